"""The process-wide job runner and its run cache, shared by all sessions; starting its workers and queueing the
experiment pages' runs in the background."""

from __future__ import annotations

import logging
import time

import streamlit as st

from fmnist_core import settings
from fmnist_core.queue import Runner, open_runner, start_workers
from fmnist_core.runs import RunCache, default_cache_dir

PREFETCH_RETRY_SECONDS = 60.0
_prefetch_retry_at: dict[tuple[str, str], float] = {}  # (cache, queue URL) -> when to try again after a failure


@st.cache_resource(show_spinner=False)
def _runner_for(cache_root: str, queue_url: str) -> Runner:
    return open_runner(RunCache(cache_root))


def runner_key() -> tuple[str, str]:
    """The cache folder and queue URL of this process (their runner is shared by every session)."""
    return str(default_cache_dir()), settings.text("FMNIST_QUEUE_URL")


def get_runner() -> Runner:
    """The process-wide runner for the current cache folder and queue (shared by all sessions)."""
    return _runner_for(*runner_key())


def get_cache() -> RunCache:
    """The run cache of the process-wide runner (what a page reads stored runs from)."""
    return get_runner().cache


def warm_up_workers() -> None:
    """After the first paint: start the worker processes, so TensorFlow is ready before the first Train click
    (``FMNIST_WARM_UP=0``: only when first needed)."""
    if settings.flag("FMNIST_WARM_UP"):
        start_workers(get_runner())


@st.cache_resource(show_spinner=False)
def _prefetch(cache_root: str) -> int:
    from fmnist_core.lessons import EXPERIMENTS

    configs = dict.fromkeys(c for e in EXPERIMENTS.values() for c in e.configs())
    return len(get_runner().prefetch(sorted(configs, key=lambda c: -c.epochs)))  # longest first


def prefetch_experiments() -> None:
    """Once per process: queue every experiment page's default runs in the background, at the lowest priority
    (a learner's run always goes first), so a newcomer's first visit to any experiment page is instant.
    ``FMNIST_PREFETCH=0`` switches it off. After a failure (Redis not answering) the next try waits a minute,
    not the next page run, and the log says why in one line each time."""
    target = runner_key()
    if not settings.flag("FMNIST_PREFETCH") or time.monotonic() < _prefetch_retry_at.get(target, 0.0):
        return
    try:
        _prefetch(target[0])
    except Exception as exc:  # noqa: BLE001 - e.g. Redis unreachable: the pages work on, the log says why
        _prefetch_retry_at[target] = time.monotonic() + PREFETCH_RETRY_SECONDS
        logging.getLogger(__name__).warning("could not queue the experiment pages' runs (%s: %s); trying again in "
                                            "%.0f s", type(exc).__name__, exc, PREFETCH_RETRY_SECONDS)
