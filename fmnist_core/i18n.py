"""Languages: every sentence a person reads, in English, Korean or German (gettext catalogs kept with Babel).

Sentences are written in English in the code and wrapped in ``_()`` (``ngettext`` where a count decides the
form); ``N_()`` marks a sentence defined at import time (a table entry), translated with ``_()`` where it is
shown. Placeholders are named (``{accuracy}``), so a translation may order them its own way.

The language belongs to the running code, not the process: pages call ``set_language`` at the start of each
script run, and a ContextVar keeps every thread (every visitor's run) in its own language. Code that never
sets one (the CLI, workers, tests) speaks English.

Catalogs: ``fmnist_core/locale/<code>/LC_MESSAGES/messages.po``, updated with ``pybabel extract/update`` and
compiled to ``.mo`` by ``pybabel compile`` (``make locales``); when a ``.mo`` is missing or older than its
``.po``, the ``.po`` is compiled in memory instead, so a fresh checkout is never left in English. Numbers,
percentages and dates are written by Babel in the language's own way (87.82% / 87,82 %).
"""

from __future__ import annotations

import gettext
import io
import logging
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from pathlib import Path

LANGUAGES = {"en": "English", "ko": "한국어", "de": "Deutsch"}  # each in its own words
BABEL_LOCALES = {"en": "en_GB", "ko": "ko_KR", "de": "de_DE"}  # how Babel writes numbers and dates for each
DEFAULT = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
log = logging.getLogger(__name__)

_current: ContextVar[str] = ContextVar("fmnist_language", default=DEFAULT)


def set_language(code: str) -> str:
    """Speak ``code`` ('en', 'ko', 'de') in this thread from now on; an unknown code means English."""
    code = code if code in LANGUAGES else DEFAULT
    _current.set(code)
    return code


def language() -> str:
    """The language code this thread speaks."""
    return _current.get()


def language_of(tag: str | None) -> str | None:
    """The app's language for a browser locale such as 'ko-KR' or 'de_AT' (None when the app has none)."""
    if not tag:
        return None
    code = str(tag).replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


@cache
def catalog(code: str) -> gettext.NullTranslations:
    """The compiled catalog of ``code``: its .mo, else its .po compiled in memory (a missing, stale or damaged
    .mo), else English with a line in the log (a damaged .po must not take every page down)."""
    folder = LOCALE_DIR / code / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if code == DEFAULT:
        return gettext.NullTranslations()
    try:
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            with mo.open("rb") as handle:
                return gettext.GNUTranslations(handle)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        log.warning("catalog %s is damaged (%s); compiling %s instead", mo, exc, po.name)
    try:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        with po.open("rb") as handle:
            messages = read_po(handle, locale=code, abort_invalid=True)
        buffer = io.BytesIO()
        write_mo(buffer, messages)
        buffer.seek(0)
        return gettext.GNUTranslations(buffer)
    except Exception as exc:  # noqa: BLE001 - whatever a broken .po raises, the page speaks English instead
        log.warning("catalog %s cannot be read (%s); %s pages are shown in English", po, exc, code)
        return gettext.NullTranslations()


def _(message: str) -> str:
    """``message`` in this thread's language (English when the catalog has no translation)."""
    return catalog(language()).gettext(message) if message else message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a sentence for the count ``n``, in this thread's language."""
    return catalog(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now (it is translated where it is shown)."""
    return message


def in_sentence(label: str) -> str:
    """A widget label inside a sentence: lower case in English ('Hidden units'), as is in German (nouns keep
    their capital) and Korean."""
    return label.lower() if language() == "en" else label


# --------------------------------------------------------------------------- numbers, dates, class names


def _locale() -> str:
    return BABEL_LOCALES[language()]


def percent(value: float, digits: int = 2) -> str:
    """0.8782 -> '87.82%' (English, Korean), '87,82 %' (German)."""
    return _pattern(_locale(), "percent", digits).apply(value, _locale())


def number(value: float, digits: int = 0) -> str:
    """1234.5 -> '1,234.50' / '1.234,50', with exactly ``digits`` decimals (grouped thousands)."""
    return _pattern(_locale(), "decimal", digits).apply(value, _locale())


@cache
def _pattern(locale: str, kind: str, digits: int):  # -> babel.numbers.NumberPattern, parsed once
    """The language's decimal or percent pattern with exactly ``digits`` decimals ('#,##0%' -> '#,##0.00%')."""
    from babel import Locale
    from babel.numbers import parse_pattern

    decimals = "." + "0" * digits if digits else ""
    if kind == "decimal":
        return parse_pattern("#,##0" + decimals)
    head, sign, tail = Locale.parse(locale).percent_formats[None].pattern.partition("%")
    integer = head.rstrip(" \u00a0")
    return parse_pattern(integer.split(".")[0] + decimals + head[len(integer):] + sign + tail)


def decimal(value: float) -> str:
    """The shortest form of ``value`` (like f'{value:g}', no grouping) with the language's decimal sign:
    0.2 -> '0.2' / '0,2'; whole numbers stay whole ('3'). For numbers inside labels ('dropout 0,2')."""
    from babel.numbers import get_decimal_symbol

    return f"{value:g}".replace(".", get_decimal_symbol(_locale()))


def signed(value: float, digits: int = 2) -> str:
    """+0.51 / −0.51 with the language's decimal sign (always a sign, like f'{x:+.2f}')."""
    return ("+" if value >= 0 else "-") + number(abs(value), digits)


def separators() -> str:
    """The decimal sign, then the thousands sign ('.,' in English and Korean, ',.' in German): Plotly's
    ``layout.separators``."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    return get_decimal_symbol(_locale()) + get_group_symbol(_locale())


def date_time(moment: datetime) -> str:
    """A moment written the language's way, e.g. '25 Nov 2026, 07:52' / '2026. 11. 25. 오전 7:52'."""
    from babel.dates import format_datetime

    return format_datetime(moment, "medium", locale=_locale())


def class_name(english: str) -> str:
    """A class in this language, its English data-set label beside it: 'Coat', '코트(Coat)', 'Mantel (Coat)'."""
    translated = _(english)
    if translated.casefold() == english.casefold():
        return translated
    # Translators: a class name with its English data-set label beside it; {translated}: e.g. "Mantel";
    # {english}: e.g. "Coat". Write it your language's way (Korean puts no space before "(").
    return _("{translated} ({english})").format(translated=translated, english=english)


def joined(items: Iterable[str]) -> str:
    """Items of a list inside a sentence, joined the language's way: 'a; b' in English and German, 'a, b' in
    Korean (which writes no semicolons)."""
    # Translators: what stands between the items of a list inside a sentence, e.g. the checks of a challenge
    # ("test accuracy at least 86%: ✓ yes; epochs at most 3: ✗ not yet") or confusions ("Shirt taken for Coat 12
    # times; …"); Korean writes no semicolons
    return _("; ").join(items)


def span(low: float, high: float, digits: int = 0) -> str:
    """'6,000' when both ends are equal, else '5,990–6,010' (the language's digits): a range of counts."""
    return number(low, digits) if low == high else f"{number(low, digits)}–{number(high, digits)}"
