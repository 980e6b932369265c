"""Pages run inside the app's menu, also when a fresh server's first visitor follows a deep link.

A ``pages/`` folder beside ``streamlit_app.py`` puts a fresh server's first script run in Streamlit's old folder
mode: a link such as ``/data?lang=ko`` then runs ``pages/data.py`` alone. So each page file ends with
``in_app(main)``: run by the app's ``st.navigation`` it draws the page; run alone it runs the app script instead,
whose ``st.navigation`` (which ends folder mode for the whole server) opens the linked page, in the menu, in this
same script run. Public APIs only: ``st.navigation``, ``st.Page``, ``st.switch_page``.

Why the re-run stays (checked against Streamlit 1.67): the first session of a server decides folder mode from
whether ``pages/`` exists beside the entry script (``PagesManager``), and in that mode Streamlit runs the linked
``pages/<name>.py`` instead of ``streamlit_app.py``; ``st.navigation`` turns folder mode off only once some session
has run it (so documented), and no config option or other public API turns it off before
(``client.showSidebarNavigation`` only hides the menu). Without the re-run, a fresh server's first visitor on
``/normalisation`` would get that file alone under a menu of file names (every file in ``pages/``, the hidden class
board too), without the app's titles, language picker and warm-up (see
``tests/browser/test_train.py::test_deep_link_first_after_start_gets_the_app_menu``). The only other way out,
renaming the folder, is ruled out: ``pages/`` is the product's named layout.
"""

from __future__ import annotations

import runpy
import threading
from collections.abc import Callable
from pathlib import Path

import streamlit as st

APP_SCRIPT = Path(__file__).resolve().parents[2] / "streamlit_app.py"
_running = threading.local()  # set while the app's navigation runs a page, in this script thread


def run_page(navigation: st.navigation) -> None:
    """Run the page ``st.navigation`` chose (the app script's last step)."""
    _running.in_app = True
    try:
        navigation.run()
    finally:
        _running.in_app = False


def in_app(main: Callable[[], None]) -> None:
    """A page file's last line: draw the page when the app runs it, else run the whole app in its place."""
    if getattr(_running, "in_app", False):
        main()
        return
    runpy.run_path(str(APP_SCRIPT), run_name="__main__")
    st.stop()  # the page ran inside the app script; this folder-mode run of the file ends here


def alias(home: st.Page, url_path: str) -> st.Page:
    """A hidden page at ``/<url_path>`` that opens ``home`` with the link's query: the menu's default page lives
    at ``/``, so a copied ``/train?epochs=5`` link would otherwise find no page."""

    def go_home() -> None:
        st.switch_page(home, query_params=st.query_params.to_dict())

    return st.Page(go_home, title=home.title, url_path=url_path, visibility="hidden")


def page(path: str, title: str, url: str, icon: str, default: bool = False, hidden: bool = False) -> st.Page:
    """One entry of the menu: the page file ``pages/<path>`` at ``/<url>`` (``hidden``: reached by its link
    only)."""
    return st.Page(f"pages/{path}", title=title, url_path=url, icon=f":material/{icon}:", default=default,
                   visibility="hidden" if hidden else "visible")
