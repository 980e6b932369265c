"""The class board (the teacher's page, for a projector): the class's runs, live, from its records."""

from __future__ import annotations

import pages.ui.preload  # noqa: F401 - first: a fresh server runs a linked page's file alone (preload.py)

# isort: split

import streamlit as st

from fmnist_core.classroom import (
    ClassError,
    ClassInfo,
    board,
    class_challenge,
    class_confusion,
    clock,
    confusion_sentence,
    of_class,
    runs_csv,
    sentences,
)
from fmnist_core.classroom.board import TUTORIAL
from fmnist_core.i18n import _
from fmnist_core.views import charts
from pages.ui.classroom import get_store
from pages.ui.data import get_data
from pages.ui.lang import fragment
from pages.ui.navigation import in_app
from pages.ui.runner import get_cache, get_runner
from pages.ui.text import plain

REFRESH_SECONDS = 3.0  # a learner's run is on the board within about 3 s of being recorded


def main() -> None:
    code, key = st.query_params.get("class", ""), st.query_params.get("key", "")
    try:
        info = get_store().as_teacher(code, key)
    except ClassError as exc:
        st.title(_("Class board"))
        st.error(plain(exc))
        return
    # Translators: {code}: the class code, e.g. "K7P2QX"
    st.title(_("Class {code}").format(code=info.code))
    challenge = class_challenge(info)
    if challenge is not None:
        # Translators: {goal}: the class's challenge, e.g. "Reach test accuracy at least 86% with hidden units per
        # layer at most 32."
        st.markdown(_("**Challenge:** {goal}").format(goal=challenge.goal))
    live_board(info.code, key)


@fragment(run_every=REFRESH_SECONDS)
def live_board(code: str, key: str) -> None:
    """Everything that changes while the class works, read again every few seconds (only this part reruns)."""
    store = get_store()
    try:
        info = store.as_teacher(code, key)
        learners, runs, asked = store.learners(code), store.runs(code), store.asked_keys(code)
    except ClassError as exc:
        st.error(plain(exc))
        return
    show_state(info, key)
    found = board(learners, runs, class_challenge(info) is not None)
    runner = get_runner()
    cols = st.columns(4)
    cols[0].metric(_("Learners joined"), found.learners)
    cols[1].metric(_("Runs"), found.runs)
    cols[2].metric(_("Training now"), of_class(asked, runner.running()),
                   help=_("Runs this class's learners asked for that a worker is training now."))
    cols[3].metric(_("Waiting now"), of_class(asked, runner.queued()),
                   help=_("Runs this class's learners asked for that are waiting for a worker now."))
    for sentence in sentences(found, runs):
        st.markdown("- " + plain(sentence))
    # drawn before the first run too (the axes, the tutorial's line): the browser has Plotly ready when runs come
    st.plotly_chart(charts.class_scatter([(r.nickname, r.parameters, r.test_accuracy, r.config.describe())
                                          for r in runs], TUTORIAL.parameters), key="class_scatter",
                    alt=_("Every run of the class: parameters against test accuracy, one colour per learner"))
    best_table(found)
    confusion(runs)
    st.download_button(_("Download CSV"), runs_csv(runs), file_name=f"class-{code}.csv", mime="text/csv",
                       icon=":material/download:", key="class_csv", on_click="ignore")


def show_state(info: ClassInfo, key: str) -> None:
    """Whether the class is open, and the button that ends it."""
    if not info.open:
        # Translators: {when}: a time of day, e.g. "10:42:05"
        st.info(_("This class ended at {when} UTC: no more runs are recorded. The board stays readable.").format(
            when=clock(info.ended)))
        return
    with st.popover(_("End the class"), icon=":material/stop_circle:"):
        st.markdown(_("Ending the class stops recording runs and joining; the board and the CSV stay."))
        if st.button(_("End the class now"), type="primary", key="class_end"):
            try:
                get_store().end(info.code, key)
            except ClassError as exc:
                st.error(plain(exc))
                return
            st.rerun()


def best_table(found) -> None:
    """Each learner's best run (sortable by any column), the challenge met or not, the first to meet it."""
    if not found.best:
        return
    st.subheader(_("Each learner's best run"))
    first = found.first_to_meet
    rows = []
    for best in found.best:
        row = {_("learner"): best.nickname, _("runs"): best.runs,
               _("test accuracy"): None if best.run is None else round(best.run.test_accuracy, 4),
               _("parameters"): None if best.run is None else best.run.parameters,
               _("configuration"): "" if best.run is None else best.run.config.describe()}
        if found.has_challenge:
            row[_("challenge met")] = best.met
            row[_("first to meet it")] = first is not None and first.nickname == best.nickname
        rows.append(row)
    st.dataframe(rows, hide_index=True, key="class_best",
                 column_config={_("test accuracy"): st.column_config.NumberColumn(format="percent"),
                                _("parameters"): st.column_config.NumberColumn(format="localized")})


def confusion(runs) -> None:
    """The class's most common confusion over all its runs (from the runs' stored test predictions)."""
    if not runs:
        return
    data = get_data()
    if data is None:
        return
    keys = [r.key for r in runs]
    worst = class_confusion(keys, get_cache(), data.y_test)
    said = confusion_sentence(worst, len(set(keys)))
    if said:
        st.subheader(_("The class's most common confusion"))
        st.markdown(plain(said))


in_app(main)
