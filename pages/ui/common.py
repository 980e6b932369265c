"""Streamlit helpers shared by the pages: the shared job runner, watching a run, showing a result."""

from __future__ import annotations

import threading
import time
import warnings
from datetime import datetime

import numpy as np
import streamlit as st

from fmnist_core import charts
from fmnist_core.cache import CacheWarning, RunCache, default_cache_dir
from fmnist_core.config import RunConfig
from fmnist_core.data import DataError, Dataset, load_fashion_mnist
from fmnist_core.jobs import CANCELLED, DONE, FAILED, JobRunner, JobSnapshot, TrainingJob
from fmnist_core.progress import format_metrics
from fmnist_core.results import RunResult

HELP = {
    "epochs": "One epoch is one pass over all training images. More epochs: the network sees each image more "
              "often; training accuracy keeps rising, validation accuracy stops improving at some point.",
    "hidden_units": "Neurons in each hidden Dense layer. Every one of them looks at all 784 pixels (the 28x28 image "
                    "flattened into one long vector) and adds up what it sees.",
    "extra_layers": "Hidden Dense(relu) layers after the first one. ReLU (max(0, x)) lets stacked layers model "
                    "non-linear patterns.",
    "normalize": "Divide pixel values by 255 so inputs lie in 0-1 instead of 0-255. Smaller, similar-sized "
                 "inputs make training steadier.",
    "dropout": "During training, randomly silence this share of hidden units at each step, so the network cannot "
               "rely on any single one (0 = no dropout; the lessons try 0.2).",
    "batch_size": "Images per weight update. Smaller batches: more, noisier updates per epoch.",
    "validation_split": "Share of the 60,000 training images held back to check the network on images it does "
                        "not train on (the lessons use 0.2).",
    "seed": "Fixes the random start weights and shuffling: the same seed gives the same run.",
}


APP_NAVIGATION_MARK = "_fmnist_app_navigation"


def ensure_app_navigation() -> None:
    """Send a page that Streamlit started directly through streamlit_app.py's menu instead.

    With page scripts in ``pages/``, the first script run of a new server uses Streamlit's old folder-based
    mode: a deep link then runs the page alone, without the app's menu and page settings. If the app script
    has not run yet in this session, switch that mode off and rerun, so ``st.navigation`` takes over.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if not st.session_state.get(APP_NAVIGATION_MARK) and PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


@st.cache_resource(show_spinner=False)
def _runner_for(cache_root: str) -> JobRunner:
    return JobRunner(RunCache(cache_root))


def get_runner() -> JobRunner:
    """The process-wide job runner for the current cache folder (shared by all sessions)."""
    return _runner_for(str(default_cache_dir()))


def cached_result(config: RunConfig) -> RunResult | None:
    """The cached run of ``config``; a damaged entry is discarded and the page says so."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CacheWarning)
        result = get_runner().cache.get(config)
    if any(issubclass(w.category, CacheWarning) for w in caught):
        st.warning(f"The stored run of “{config.describe()}” was damaged and has been discarded; "
                   "it will be trained again when asked for.")
    return result


def get_data() -> Dataset | None:
    """The data set, or None after showing a clear error in the page."""
    try:
        return load_fashion_mnist()
    except DataError as exc:
        st.error(f"**The Fashion-MNIST data could not be loaded.** {exc}")
        return None


def progress_text(snap: JobSnapshot) -> str:
    """'epoch 3/10 · loss 0.41 · acc 0.85 · val acc 0.86' for a running job."""
    if not snap.epoch:
        return "preparing the data and compiling the model…"
    logs = dict(snap.logs)
    for key in ("val_loss", "val_accuracy"):
        if key not in logs and snap.history.get(key):
            logs[key] = snap.history[key][-1]
    return format_metrics(snap.epoch, snap.config.epochs, logs)


def watch(job: TrainingJob, label: str = "", stop_key: str = "stop") -> JobSnapshot:
    """Show a live progress bar, status text and growing curves until the job ends; a Stop button cancels it."""
    holder = st.empty()
    with holder.container():
        st.button("Stop training", key=stop_key, on_click=job.cancel, help="Cancel this run; nothing is saved.")
        bar = st.progress(0.0, text=f"{label}starting…")
        chart = st.empty()
    shown_epochs = -1
    while True:
        snap = job.snapshot()
        bar.progress(snap.overall_fraction, text=label + progress_text(snap))
        epochs = len(snap.history.get("loss", []))
        if epochs != shown_epochs and epochs:
            chart.plotly_chart(charts.training_curves(snap.history), key=f"{stop_key}-live-{epochs}",
                               alt="Loss and accuracy per epoch so far")
            shown_epochs = epochs
        if snap.finished:
            break
        time.sleep(0.25)
    holder.empty()
    return snap


def report_unfinished(snap: JobSnapshot) -> None:
    """Say in the page why a job did not produce a result."""
    if snap.status == CANCELLED:
        done = len(snap.history.get("loss", []))
        st.warning(f"Training stopped after {done} of {snap.config.epochs} epochs. Nothing was saved; "
                   "press Train to run it again.")
    elif snap.status == FAILED:
        st.error(f"Training failed: {snap.error}. The app is still running; try another configuration.")


def provenance(result: RunResult) -> str:
    """'From the cache: trained 25 Nov 2026 07:52 UTC in 4.6 s' or 'Trained just now in 4.6 s'."""
    if result.from_cache:
        when = datetime.fromisoformat(result.trained_at).strftime("%d %b %Y %H:%M UTC")
        return f"From the cache: trained {when} in {result.train_seconds:.1f} s."
    return f"Trained just now in {result.train_seconds:.1f} s."


def is_done(snap: JobSnapshot | None) -> bool:
    """True when a snapshot holds a finished result."""
    return snap is not None and snap.status == DONE and snap.result is not None


def test_images(data: Dataset, result: RunResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images, labels, probabilities) of the test set the run was evaluated on."""
    probabilities = result.test_probabilities
    if len(probabilities) != len(data.y_test):
        raise DataError("this cached run was evaluated on a different test set than the one loaded now")
    return data.x_test, data.y_test, probabilities


def run_configs(configs: list[RunConfig], labels: list[str], key: str) -> list[RunResult] | None:
    """Fetch or train each config in turn with a progress bar over the sweep; None if a run was stopped/failed.

    The request is kept in session state, so a rerun in the middle (any widget) picks the sweep up again.
    """
    runner = get_runner()
    st.session_state[f"{key}_pending"] = [c.key for c in configs]
    overall = st.progress(0.0, text=f"comparison: 0 of {len(configs)} runs ready")
    results: list[RunResult] = []
    for i, (config, label) in enumerate(zip(configs, labels, strict=True)):
        result = cached_result(config)
        if result is None:
            snap = watch(runner.submit(config), label=f"run {i + 1}/{len(configs)}: {label} · ",
                         stop_key=f"{key}_stop_{i}")
            if not is_done(snap):
                report_unfinished(snap)
                st.session_state.pop(f"{key}_pending", None)
                overall.empty()
                return None
            result = snap.result
        results.append(result)
        overall.progress((i + 1) / len(configs), text=f"comparison: {i + 1} of {len(configs)} runs ready")
    st.session_state.pop(f"{key}_pending", None)
    overall.empty()
    return results


def sweep_pending(key: str) -> bool:
    """True if this session asked for a sweep that has not finished (e.g. a rerun interrupted it)."""
    return bool(st.session_state.get(f"{key}_pending"))


@st.cache_resource(show_spinner=False, max_entries=8)
def _shared_run(cache_root: str, key: str) -> tuple[RunResult, threading.Lock] | None:
    run = RunCache(cache_root).load(key)
    if run is None:
        return None
    _ = run.model  # load it now, once
    return run, threading.Lock()


def shared_run(key: str) -> tuple[RunResult, threading.Lock] | None:
    """A cached run with its model loaded once and shared by all sessions, and a lock to take turns using it."""
    return _shared_run(str(default_cache_dir()), key)


def choose_run(label: str) -> RunResult | None:
    """A select box of the cached runs, the most accurate first chosen; the Train page's current run is marked.

    With no run cached, offers one click to train the default configuration and returns None meanwhile.
    """
    runner = get_runner()
    runs = runner.cache.list()
    if not runs:
        st.info("No trained model yet. Train the default network once (about ten seconds); it is kept for next time.")
        job = runner.get(RunConfig().key)
        running = job is not None and not job.snapshot().finished
        if st.button("Train the default model", type="primary") or running:
            snap = watch(runner.submit(RunConfig()))
            if not is_done(snap):
                report_unfinished(snap)
                return None
            st.rerun()
        return None
    by_key = {run.key: run for run in runs}
    train_page_key = st.session_state.get("train_job")
    default_key = max(runs, key=lambda r: r.test_accuracy).key
    keys = list(by_key)
    chosen = st.selectbox(
        label, keys, index=keys.index(default_key),
        format_func=lambda k: f"{by_key[k].config.describe()} — test accuracy {by_key[k].test_accuracy:.1%}"
                              + (" (the Train page's current run)" if k == train_page_key else ""),
        help="Any trained run from the cache; the most accurate one is chosen at first.",
    )
    return by_key[chosen]
