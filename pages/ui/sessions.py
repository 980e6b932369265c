"""The one place the app reaches into Streamlit's internals: this page session's id, and whether a session is
still connected.

Streamlit has no public way to learn that a session ended (no callback when a tab closes), and the queue must know
it so that a run nobody watches any more leaves the queue (README: "Nobody watching, nothing trained").
``Runtime.is_active_session`` is documented thread-safe. Both are guarded: should a Streamlit release move them,
the app goes on without that one rule (every session then counts as connected), and
tests/browser/test_visitors.py fails to say so. tests/test_layering.py allows this module, and only it.
"""

from __future__ import annotations

try:  # Streamlit internals (1.67): see above
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx
except ImportError:  # pragma: no cover - a Streamlit that moved them
    runtime, get_script_run_ctx = None, None


def server_session_id() -> str | None:
    """The web server's id of the session running this script, or None without a server (AppTest)."""
    try:
        ctx = get_script_run_ctx() if runtime is not None and runtime.exists() else None
    except AttributeError:  # pragma: no cover - a Streamlit that changed them
        return None
    return getattr(ctx, "session_id", None)


def connected_check() -> object | None:
    """``connected(session_id) -> bool`` for this server's sessions, callable from any thread; None without a
    server."""
    try:
        return runtime.get_instance().is_active_session if runtime is not None and runtime.exists() else None
    except AttributeError:  # pragma: no cover
        return None
