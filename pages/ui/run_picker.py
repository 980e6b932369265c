"""Choosing a stored run: a select box of the cached runs, kept in the URL, or one click to train the default."""

from __future__ import annotations

import streamlit as st

from fmnist_core.config import RunConfig
from fmnist_core.i18n import _, percent
from fmnist_core.runs import RunResult
from pages.ui.runner import get_cache, get_runner
from pages.ui.submit import submit
from pages.ui.text import plain
from pages.ui.watch import report_unfinished, watch


def run_choice(result: RunResult, current: bool = False) -> str:
    """How a stored run is offered in a select box: '128 units x 1 layer, 10 epochs — test accuracy 88.1%'
    (``current``: marked as the Train page's current run)."""
    # Translators: a run in a select box; {run}: the run's label, e.g. "128 units x 1 layer, 10 epochs, normalised";
    # {accuracy}: e.g. "88.1%"
    return (_("{run} — test accuracy {accuracy} (the Train page's current run)") if current else
            # Translators: a run in a select box; {run}: the run's label, e.g. "128 units x 1 layer, 10 epochs,
            # normalised"; {accuracy}: e.g. "88.1%"
            _("{run} — test accuracy {accuracy}")).format(run=result.config.describe(),
                                                         accuracy=percent(result.test_accuracy, 1))


def train_the_default() -> None:
    """No run is stored yet: one click trains the default configuration (its progress shown while it trains)."""
    st.info(_("No trained model yet. Train the default network once (about ten seconds); it is kept for next "
              "time."))
    job = get_runner().get(RunConfig().key)
    running = job is not None and not job.finished
    if st.button(_("Train the default model"), type="primary") or running:
        job = job if running else submit(RunConfig())
        snap = watch(job) if job is not None else None
        if snap is not None and not snap.done:
            report_unfinished(snap)


def choose_run(label: str) -> RunResult | None:
    """A select box of the cached runs, the most accurate first chosen; the Train page's current run is marked.

    The choice is kept in the URL (``?run=<key>``), so a copied link shows the same run; a link naming a run
    that is not stored falls back with a message. With no run cached, offers one click to train the default
    configuration and returns None meanwhile.
    """
    runs = get_cache().list()
    if not runs:
        train_the_default()
        return None
    by_key = {run.key: run for run in runs}
    train_page_key = st.session_state.get("train_job")
    default_key = max(runs, key=lambda r: r.test_accuracy).key
    linked = st.query_params.get("run")
    if linked and linked not in by_key:
        # Translators: {value}: the run key the link names, e.g. "3f9c2a1b7d4e5f60" (keep "run=" as it is: it is the
        # link's own text)
        st.warning(plain(_("The link's run={value} is not stored here; showing the most accurate run instead.")
                         .format(value=linked[:40])))
    elif linked:
        default_key = linked
    keys = list(by_key)
    chosen = st.selectbox(
        label, keys, index=keys.index(default_key),
        format_func=lambda k: run_choice(by_key[k], current=k == train_page_key),
        help=_("Any trained run from the cache; the most accurate one is chosen at first."),
    )
    st.query_params["run"] = chosen
    return by_key[chosen]
