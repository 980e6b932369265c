"""Who is asking: a *visitor* (one browser, across its page loads and tabs) and the page sessions that ended.

The queue's fairness counts visitors (``rules``). Every page load is a new Streamlit session, so a session id
alone let one browser queue run after run as "first" runs. A browser is recognised by the token inside the
XSRF cookie the web server gives it (the same token for every page load and tab until the browser drops its
cookies; the cookie's text changes, the token does not); a browser that sends no such cookie is counted by its
address. Only a hash of either is kept. A visitor who forges a new cookie for every page load is not stopped by
this; the ceiling and the cost model still bound each of their runs (see the README's trust model).
"""

from __future__ import annotations

import binascii
import hashlib
import threading
import time
from collections.abc import Callable


def _xsrf_token(cookie: str) -> bytes | None:
    """The token inside an XSRF cookie ('2|mask|masked token|timestamp', the token XORed with a 4-byte mask
    that changes with every response; or '1|token|…'); None when it is not one."""
    parts = cookie.strip("\"'").split("|")
    try:
        if parts[0] == "2" and len(parts) == 4:
            mask, masked = binascii.a2b_hex(parts[1]), binascii.a2b_hex(parts[2])
            if len(mask) != 4 or not masked:
                return None
            return bytes(b ^ mask[i % 4] for i, b in enumerate(masked))
        if parts[0] == "1" and len(parts) >= 2 and parts[1]:
            return parts[1].encode()
    except (binascii.Error, ValueError):
        return None
    return None


def visitor_id(xsrf_cookie: str | None, address: str | None, session: str) -> str:
    """A short id for the browser behind a page session: from its XSRF cookie's token, else its address, else
    the session itself."""
    token = _xsrf_token(xsrf_cookie[:512]) if isinstance(xsrf_cookie, str) and xsrf_cookie else None
    if token:
        return "b-" + hashlib.sha256(token).hexdigest()[:16]
    if isinstance(address, str) and address:
        return "a-" + hashlib.sha256(address.encode()).hexdigest()[:16]
    return "s-" + session


class Departures:
    """Which of the page sessions that asked for runs have ended: a session not connected for ``grace`` seconds
    (the web server's own time for keeping a disconnected session) is gone. Thread-safe."""

    def __init__(self, grace: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.grace, self.clock = grace, clock
        self._missing_since: dict[str, float | None] = {}  # session -> when first seen disconnected (None: connected)
        self._lock = threading.Lock()

    def seen(self, session: str) -> None:
        """``session`` asked for a run (or watches one)."""
        with self._lock:
            self._missing_since[session] = None

    def gone(self, connected: Callable[[str], bool]) -> list[str]:
        """The known sessions that have not been connected for ``grace`` seconds (forgotten once returned)."""
        now, gone = self.clock(), []
        with self._lock:
            for session, since in list(self._missing_since.items()):
                if connected(session):
                    self._missing_since[session] = None
                elif since is None:
                    self._missing_since[session] = now
                elif now - since >= self.grace:
                    gone.append(session)
                    del self._missing_since[session]
        return gone
