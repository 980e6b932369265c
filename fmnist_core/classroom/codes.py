"""A class's code and teacher key, learners' nicknames, and QR codes of a class's links.

The class code is what a learner types or scans: 6 characters from an alphabet without look-alikes (no 0/O,
1/I/L), drawn with ``secrets`` (31**6, about 887 million codes). The teacher key opens the board and ends the
class: ``secrets.token_urlsafe(24)``, kept only as its SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import unicodedata

from ..i18n import _

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 6
NICKNAME_MAX = 24
ZERO_WIDTH_JOINER = "\u200d"  # inside emoji sequences (👩‍🔬): the one format character a nickname keeps


class ClassError(ValueError):
    """A refusal: the message is one sentence for the person (bad code, taken nickname, wrong key, ended class)."""


def new_code() -> str:
    """A fresh class code, e.g. 'K7P2QX'."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def read_code(text: object) -> str | None:
    """A class code as typed or linked ('k7p2qx ' -> 'K7P2QX'), or None when it cannot be one."""
    code = str(text or "")[:40].strip().upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def new_key() -> str:
    """A fresh teacher key (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def key_hash(key: str) -> str:
    """What is stored of a teacher key: its SHA-256, hex."""
    return hashlib.sha256(str(key).encode("utf-8", "replace")).hexdigest()


def key_matches(key: object, stored_hash: str) -> bool:
    """True when ``key`` is the teacher key whose hash is ``stored_hash`` (compared in constant time)."""
    return isinstance(key, str) and 0 < len(key) <= 200 and hmac.compare_digest(key_hash(key), stored_hash)


def check_nickname(text: object) -> str:
    """The nickname as it will be shown (``text`` without the spaces around it), or ClassError with the reason.

    1-24 characters; no control characters, no invisible or direction-changing characters (they make two
    names look alike or turn a board's text around); anything else, emoji and markup included, is kept as typed
    and always shown as plain text."""
    name = str(text or "")[: 4 * NICKNAME_MAX + 100].strip()  # bounded before any other work
    if not name:
        raise ClassError(_("Please type a nickname."))
    if len(name) > NICKNAME_MAX:
        # Translators: {n}: the longest nickname allowed, 24
        raise ClassError(_("A nickname has at most {n} characters; please choose a shorter one.").format(
            n=NICKNAME_MAX))
    if any(_hidden(c) for c in name):
        raise ClassError(_("A nickname cannot contain invisible or control characters; please type it again "
                           "with letters, digits, signs or emoji."))
    return name


def _hidden(char: str) -> bool:
    category = unicodedata.category(char)
    return (category in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") or (category == "Cf" and char != ZERO_WIDTH_JOINER)
            or (category == "Zs" and char != " "))


def folded(nickname: str) -> str:
    """The form two nicknames are compared in: 'Anna', 'ANNA' and 'Ａｎｎａ' are one name."""
    return unicodedata.normalize("NFKC", nickname).casefold()


def qr_png(text: str, scale: int = 8) -> bytes:
    """A QR code of ``text`` (a link) as PNG bytes, black on white with a quiet zone, for a projector."""
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
