"""Deep links: every page runs inside the app's menu, even when a fresh server was first asked for a sub-page."""

from __future__ import annotations

import streamlit as st

APP_NAVIGATION_MARK = "_fmnist_app_navigation"


def ensure_app_navigation() -> None:
    """Send a page that Streamlit started directly through streamlit_app.py's menu instead.

    With page scripts in ``pages/``, the first script run of a new server uses Streamlit's old folder-based
    mode: a deep link then runs the page alone, without the app's menu. If the app script has not run yet in
    this session, switch that mode off and rerun *by page name* (not by the folder mode's page hash, which the
    menu does not know and would answer with a "Page not found" pop-up), so ``st.navigation`` opens this page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if st.session_state.get(APP_NAVIGATION_MARK) or not PagesManager.uses_pages_directory:
        return
    from streamlit.commands.execution_control import _force_yield_point
    from streamlit.runtime.scriptrunner import RerunData, get_script_run_ctx

    PagesManager.uses_pages_directory = False
    ctx = get_script_run_ctx()
    ctx.script_requests.request_rerun(RerunData(
        query_string=ctx.query_string, page_script_hash="",
        page_name=ctx.pages_manager.intended_page_name or "", context_info=ctx.context_info,
    ))
    _force_yield_point()


def accept_home_alias(name: str) -> None:
    """Let ``/<name>`` open the home page: the menu's default page lives at ``/``, so Streamlit would answer a
    copied ``/train?…`` link with a "Page not found" pop-up. Call before ``st.navigation``."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None and ctx.pages_manager.intended_page_name == name:
        ctx.pages_manager.set_script_intent("", "")
