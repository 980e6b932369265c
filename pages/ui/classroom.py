"""A learner in a class: the join form a class link asks for once, the records of the runs this session sees, and
"your runs in K7P2QX: 6". The class records live in fmnist_core.classroom; only the session's membership is here."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime

import streamlit as st

from fmnist_core import settings
from fmnist_core.classroom import ClassError, ClassStore, open_store, read_code
from fmnist_core.classroom.store import FILE_NAME
from fmnist_core.i18n import _, date_time
from fmnist_core.runs import RunResult, default_cache_dir
from pages.ui.text import plain

MEMBER = "class_member"  # this session's class: a Member


@dataclass(frozen=True)
class Member:
    """This session is in class ``code`` as ``nickname`` (as typed)."""

    code: str
    nickname: str


@st.cache_resource(show_spinner=False)
def _store(path: str, url: str) -> ClassStore:
    return open_store(path, url)


def get_store() -> ClassStore:
    """The class records (shared by all sessions): in the queue's Redis when ``FMNIST_QUEUE_URL`` is set (one board
    for every app server), else in the file beside the current run cache."""
    return _store(str(default_cache_dir() / FILE_NAME), settings.text("FMNIST_QUEUE_URL"))


def class_member() -> tuple[Member | None, bool]:
    """The class this session is in, and whether the page goes on. A link's ``?class=`` this session has not
    joined draws the join form (the page stops below it until the learner has joined); a bad or unknown code is
    one sentence, and the page goes on outside any class."""
    current = st.session_state.get(MEMBER)
    linked = st.query_params.get("class")
    if not linked:
        return current, True
    code = read_code(linked)
    if current is not None and current.code == code:
        return current, True
    try:
        info = get_store().get(linked)
    except ClassError as exc:
        st.error(plain(exc))
        return None, True
    return join_form(info.code), False


def join_form(code: str) -> None:
    """Ask for a nickname once: join as a new learner, or come back as one who joined before."""
    # Translators: {code}: a class code, e.g. "K7P2QX"
    st.subheader(_("Join the class {code}").format(code=code))
    st.markdown(_("Type a nickname your teacher will recognise (1-24 characters). It is shown on the class board "
                  "beside your runs; nothing else about you is asked or kept."))
    with st.form("class_join"):
        name = st.text_input(_("Your nickname"), max_chars=24, key="class_nickname")
        c1, c2 = st.columns(2)
        joined = c1.form_submit_button(_("Join"), type="primary")
        back = c2.form_submit_button(_("I joined before: come back"),
                                     help=_("Type the nickname you joined with to see your runs in this class again."))
    if not (joined or back):
        return
    try:
        learner = get_store().join(code, name, returning=back)
    except ClassError as exc:
        st.error(plain(exc))
        return
    st.session_state[MEMBER] = Member(code, learner.nickname)
    st.rerun()


def class_controls(member: Member | None) -> dict[str, str]:
    """The exercise the learner's class was started with (``hide``, ``lock``, ``challenge``), {} outside one."""
    if member is None:
        return {}
    try:
        return get_store().get(member.code).controls
    except ClassError:
        return {}


def asked(member: Member | None, key: str) -> None:
    """Note on the class board that this learner asked for the run ``key`` (it counts as waiting or training there
    until it is done); nothing outside a class, and a store that fails is said when the run is recorded."""
    if member is not None:
        with contextlib.suppress(ClassError):
            get_store().ask(member.code, member.nickname, key)


def in_class(member: Member | None, result: RunResult | None) -> None:
    """Record ``result`` (a run this learner trained or looked up) in the learner's class, once per
    configuration, and say how many runs the learner has there."""
    if member is None:
        return
    store = get_store()
    try:
        if result is not None:
            store.record(member.code, member.nickname, result)
        count = store.count(member.code, member.nickname)
    except ClassError as exc:
        st.warning(plain(exc))
        return
    # Translators: {name}: the learner's nickname, as typed; {code}: the class code, e.g. "K7P2QX"; {n}: the runs
    # recorded for this learner in the class, e.g. 6
    st.caption(plain(_("You are {name} in class {code}. Your runs in {code}: {n}").format(
        name=member.nickname, code=member.code, n=count)))


def class_runs_table(member: Member | None) -> None:
    """This learner's runs in the class, newest first (they come back with the nickname, in any browser)."""
    if member is None:
        return
    try:
        runs = get_store().runs(member.code, member.nickname)
    except ClassError as exc:
        st.warning(plain(exc))
        return
    # Translators: {code}: the class code, e.g. "K7P2QX"; {n}: the learner's runs recorded there, e.g. 6
    st.subheader(_("Your runs in {code}: {n}").format(code=member.code, n=len(runs)))
    if runs:
        st.dataframe([{_("configuration"): r.config.describe(), _("test accuracy"): round(r.test_accuracy, 4),
                       _("parameters"): r.parameters,
                       _("when (UTC)"): date_time(datetime.fromtimestamp(r.at, UTC).replace(tzinfo=None)),
                       _("challenge met"): r.met} for r in reversed(runs)], hide_index=True)


def class_run_keys(member: Member | None) -> list[str]:
    """The configuration keys of this learner's runs in the class, newest first ([] outside a class)."""
    if member is None:
        return []
    try:
        return [r.key for r in reversed(get_store().runs(member.code, member.nickname))]
    except ClassError:
        return []
