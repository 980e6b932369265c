"""Deep links: every page runs inside the app's menu, even when a fresh server was first asked for a sub-page."""

from __future__ import annotations

import streamlit as st

APP_NAVIGATION_MARK = "_fmnist_app_navigation"


def ensure_app_navigation() -> None:
    """Run a page that Streamlit started directly inside streamlit_app.py's menu instead.

    With page scripts in ``pages/``, the first script run of a new server uses Streamlit's old folder-based
    mode: a deep link then runs the page alone, without the app's menu. If the app script has not run yet in
    this session, switch that mode off and run the app script right here: its ``st.navigation`` opens this
    page by its name, in the menu, in this same script run (no rerun round trip, no "Page not found").

    Whether the app script ran is asked of this session (the mark it sets), never of Streamlit's process-wide
    mode: when two visitors arrive at once, the first one switches that mode off while the second one's page is
    already running alone, and that page must still be put in the menu.
    """
    from streamlit.runtime.pages_manager import PagesManager

    from pages.ui.lang import use_session_language

    use_session_language()  # a page run on its own (a test's switch_page) still speaks the session's language
    if st.session_state.get(APP_NAVIGATION_MARK):
        return
    import runpy
    from pathlib import Path

    PagesManager.uses_pages_directory = False
    runpy.run_path(str(Path(__file__).resolve().parents[2] / "streamlit_app.py"), run_name="__main__")
    st.stop()  # the page ran inside the app script; this folder-mode run of it ends here


def accept_home_alias(name: str) -> None:
    """Let ``/<name>`` open the home page: the menu's default page lives at ``/``, so Streamlit would answer a
    copied ``/train?…`` link with a "Page not found" pop-up. Call before ``st.navigation``."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None and ctx.pages_manager.intended_page_name == name:
        ctx.pages_manager.set_script_intent("", "")
