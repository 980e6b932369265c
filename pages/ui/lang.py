"""The language picker: ``?lang=ko|de|en`` in the URL, else this session's choice, else the browser's language."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import streamlit as st

from fmnist_core.i18n import DEFAULT, LANGUAGES, _, language, language_of, set_language
from fmnist_core.queue import QueueUnreachable
from pages.ui.text import plain

KEY = "ui_language"  # the session's language (plain state: it survives page changes, unlike widget state)
PICKER = "ui_language_picker"
LINKED = "ui_language_linked"  # the last ?lang= this session saw (a new one wins over the picker)


def browser_language() -> str:
    """The app's language for the browser's preferred language (Streamlit reports it), else English."""
    try:
        return language_of(st.context.locale) or DEFAULT
    except Exception:  # noqa: BLE001 - no browser context (tests, bare mode): English
        return DEFAULT


def choose_language() -> str:
    """Set this script run's language and draw the picker in the sidebar; returns the code.

    A link's ``?lang=`` wins over the picker whenever it changes (a copied link opens in its language); the
    picker's choice is written back to the URL.
    """
    linked = st.query_params.get("lang")
    if linked is not None and linked not in LANGUAGES:
        set_language(st.session_state.get(KEY, browser_language()))
        # Translators: {value}: the link's text, e.g. "fr"; {codes}: "en, ko, de"; {name}: a language's own name, e.g.
        # "한국어"
        st.sidebar.warning(plain(_("The link's lang={value} is not a language of this app ({codes}); using {name}.")
                                 .format(value=linked[:20], codes=", ".join(LANGUAGES),
                                         name=LANGUAGES[language()])))
        linked = None
    if linked and linked != st.session_state.get(LINKED):
        st.session_state[KEY] = linked  # a new link's language replaces the picker's value
    st.session_state[LINKED] = linked
    if KEY not in st.session_state:
        st.session_state[KEY] = browser_language()
    code = set_language(st.session_state[KEY])
    st.session_state[PICKER] = code  # the picker shows the session's language, whichever page drew it last
    st.sidebar.selectbox("Language · 언어 · Sprache", list(LANGUAGES), key=PICKER, format_func=LANGUAGES.get,
                         on_change=_picked)
    keep_language_in_link()
    # The page's <html lang> follows, so screen readers pronounce it in its language (``code`` is one of ours).
    st.sidebar.html(f"<script>document.documentElement.lang = '{code}';</script>", unsafe_allow_javascript=True)
    return code


def _picked() -> None:
    st.session_state[KEY] = st.session_state[PICKER]


def keep_language_in_link() -> None:
    """Put a language other than English in the URL, so a copied link opens in it (``with_language`` keeps it
    when a page rewrites its query)."""
    code = st.session_state.get(KEY, DEFAULT)
    if code != DEFAULT and st.query_params.get("lang") != code:
        st.query_params["lang"] = code
        st.session_state[LINKED] = code
    elif code == DEFAULT and "lang" in st.query_params:
        del st.query_params["lang"]
        st.session_state[LINKED] = None


def with_language(params: dict[str, str]) -> dict[str, str]:
    """A page's new URL query, with the session's language kept in it."""
    code = st.session_state.get(KEY, DEFAULT)
    return params | ({"lang": code} if code != DEFAULT else {})


def fragment(func: Callable | None = None, *, run_every: float | None = None) -> Callable:
    """``st.fragment`` that speaks the session's language in its own reruns (they run without the app script,
    so without ``choose_language`` and its error handling): use it for every fragment of the app."""
    if func is None:
        return lambda f: fragment(f, run_every=run_every)

    @functools.wraps(func)
    def in_language(*args: Any, **kwargs: Any) -> Any:
        use_session_language()
        try:
            return func(*args, **kwargs)
        except QueueUnreachable as exc:  # as streamlit_app.py does for a whole page
            st.error(exc.sentence())
            return None

    return st.fragment(in_language, run_every=run_every)


def use_session_language() -> None:
    """Speak this session's language in a fragment's rerun (it runs without the app script)."""
    set_language(st.session_state.get(KEY, DEFAULT))
