"""A sweep: several configs fetched or trained in turn for one comparison, kept going across page runs."""

from __future__ import annotations

import streamlit as st

from fmnist_core.config import RunConfig
from fmnist_core.i18n import _
from fmnist_core.runs import RunResult
from pages.ui.runner import get_runner
from pages.ui.stored_runs import cached_result
from pages.ui.submit import submit
from pages.ui.watch import report_unfinished, watch


def run_configs(configs: list[RunConfig], labels: list[str], key: str) -> list[RunResult] | None:
    """Fetch or train each config in turn (longest first: it answers shorter runs), with a progress bar over the
    sweep; None while a run trains (its progress is shown) or after one was stopped or failed (said in the page).

    The request is kept in session state, so the page's next run (a widget, or the end of a run) goes on with it.
    """
    pending = st.session_state.setdefault(f"{key}_pending", {"keys": [c.key for c in configs], "asked": []})
    if pending["keys"] != [c.key for c in configs]:  # other values now: a new sweep
        pending.update(keys=[c.key for c in configs], asked=[])
    total = len(configs)
    results: list[RunResult | None] = [None] * total
    order = sorted(range(total), key=lambda i: -configs[i].epochs)
    for done, i in enumerate(order):
        results[i] = cached_result(configs[i])
        if results[i] is not None:
            continue
        # Translators: {done}: runs ready, e.g. 2; {total}: runs in the comparison, e.g. 4
        st.progress(done / total, text=_("comparison: {done} of {total} runs ready").format(done=done, total=total))
        job = get_runner().get(configs[i].key) if configs[i].key in pending["asked"] else None
        if job is None:
            pending["asked"].append(configs[i].key)
            job = submit(configs[i])
            if job is None:
                st.session_state.pop(f"{key}_pending", None)
                return None
        # Translators: {done}: this run's place, e.g. 2; {total}: e.g. 4; {label}: the run's label, e.g. "10 epochs"
        snap = watch(job, label=_("run {done}/{total}: {label}").format(done=done + 1, total=total,
                                                                         label=labels[i]) + " · ",
                     stop_key=f"{key}_stop_{i}")
        if snap is None:
            return None
        if not snap.done:
            report_unfinished(snap)
            st.session_state.pop(f"{key}_pending", None)
            return None
        results[i] = snap.result
    st.session_state.pop(f"{key}_pending", None)
    return results


def sweep_pending(key: str) -> bool:
    """True if this session asked for a sweep that has not finished (e.g. a rerun interrupted it)."""
    return bool(st.session_state.get(f"{key}_pending"))
