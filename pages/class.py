"""Class page: a teacher starts a class and gets two links, each with a QR code: the learners' and the board's."""

from __future__ import annotations

import pages.ui.preload  # noqa: F401 - first: a fresh server runs a linked page's file alone (preload.py)

# isort: split

from urllib.parse import urlencode

import streamlit as st

from fmnist_core.classroom import ClassError, qr_png
from fmnist_core.i18n import _, ngettext
from fmnist_core.lessons import READY, link_controls
from fmnist_core.lessons.challenges import URL_FIELDS
from pages.ui.classroom import get_store
from pages.ui.navigation import in_app
from pages.ui.text import plain

TEACHER = "teacher_class"  # the class this session started: {"code", "key", "controls"}
PAGE_PATH = "class"  # this page's URL path (streamlit_app.py): the file's name, as a fresh server's first link needs
FALLBACK_ORIGIN = "http://localhost:8501"


def main() -> None:
    st.title(_("Start a class"))
    days = round(get_store().days)
    # Translators: {days}: how long a class and its records are kept, e.g. 14
    st.markdown(ngettext(
        "One click starts a class. Your learners open the **learners' link** (or scan its QR code), type a "
        "nickname, and train; every run they train or look up is recorded in the class. The **board link** is "
        "yours: it shows the class's runs live, ends the class and downloads its runs as CSV. A class is kept for "
        "{days} day, then deleted with its records.",
        "One click starts a class. Your learners open the **learners' link** (or scan its QR code), type a "
        "nickname, and train; every run they train or look up is recorded in the class. The **board link** is "
        "yours: it shows the class's runs live, ends the class and downloads its runs as CSV. A class is kept for "
        "{days} days, then deleted with its records.", days).format(days=days))
    controls = exercise_form()
    if controls is not None:
        try:
            code, key = get_store().create(controls)
        except ClassError as exc:
            st.error(plain(exc))
            return
        st.session_state[TEACHER] = {"code": code, "key": key, "controls": controls}
    started = st.session_state.get(TEACHER)
    if started:
        show_links(started["code"], started["key"], started["controls"])


def exercise_form() -> dict[str, str] | None:
    """The exercise's teacher controls (as a link carries them) when the teacher pressed Start, else None."""
    with st.form("class_start"):
        st.markdown(_("**The exercise** (optional): what every learner's Train page asks for and hides."))
        names = list(READY)
        challenge = st.selectbox(
            _("Challenge"), ["", *names, "custom"], key="class_challenge",
            format_func=lambda n: (_("no challenge") if n == "" else _("my own goal (below)") if n == "custom"
                                   else READY[n].goal))
        own = st.text_input(_("My own goal"), key="class_goal", max_chars=200,
                            help=_("Conditions joined by `;`, e.g. `acc>=0.88;units<=32`: the metrics `acc`, `gap` "
                                   "and `loss`, and any setting by its name in a link."))
        c1, c2 = st.columns(2)
        label = {url: field.label for url, field in URL_FIELDS.items()}
        hide = c1.multiselect(_("Hide these settings"), list(URL_FIELDS), key="class_hide", format_func=label.get)
        lock = c2.multiselect(_("Show but fix these settings"), list(URL_FIELDS), key="class_lock",
                              format_func=label.get)
        started = st.form_submit_button(_("Start a class"), type="primary")
    if not started:
        return None
    controls = {"challenge": own.strip() if challenge == "custom" else challenge, "hide": ",".join(hide),
                "lock": ",".join(lock)}
    controls = {k: v for k, v in controls.items() if v}
    _link, problems = link_controls(controls)
    if problems:
        for problem in problems:
            st.error(plain(problem))
        return None
    return controls


def origin() -> str:
    """The app's address as the teacher's browser sees it, without this page's path: 'http://host:8501'."""
    url = (st.context.url or "").rstrip("/")
    if not url.startswith(("http://", "https://")):
        return FALLBACK_ORIGIN
    return url[: -len(PAGE_PATH) - 1] if url.endswith("/" + PAGE_PATH) else url


def show_links(code: str, key: str, controls: dict[str, str]) -> None:
    """The two links, each as copyable text and as a QR code."""
    base = origin()
    learners = f"{base}/?{urlencode({'class': code, **controls})}"
    board = f"{base}/board?{urlencode({'class': code, 'key': key})}"
    # Translators: {code}: the new class's code, e.g. "K7P2QX"
    st.success(_("Class {code} has started.").format(code=code))
    left, right = st.columns(2)
    with left:
        st.subheader(_("Learners' link"))
        st.code(learners, language=None, wrap_lines=True)
        # Translators: {code}: the class code, e.g. "K7P2QX"
        said = _("QR code of the learners' link (class {code})").format(code=code)
        st.image(qr_png(learners), width=260, caption=said, alt=said)
    with right:
        st.subheader(_("Board link (only for you)"))
        st.code(board, language=None, wrap_lines=True)
        st.image(qr_png(board), width=260, caption=_("QR code of the board link"), alt=_("QR code of the board link"))
        st.warning(_("Keep the board link to yourself: anyone with it sees the board and can end the class. It is "
                     "shown only here and now; copy it before you leave this page."))
        st.page_link("pages/board.py", label=_("Open the board"), icon=":material/leaderboard:",
                     query_params={"class": code, "key": key})


in_app(main)
