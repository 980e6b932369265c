"""Workers that stay small: a worker is replaced after a number of runs or above a memory budget.

The pattern of RQ's ``--max-jobs``, Celery's ``worker_max_memory_per_child`` and gunicorn's ``max_requests``:
whatever a long-lived TensorFlow process keeps (XLA programs compiled for every network size, allocator pages) is
given back by ending it. After each run a worker gives its free heap back, and when its last run ends, the runs'
Keras state too (``release_memory``).

- ``FMNIST_WORKER_MAX_RUNS`` (default 20; 0: no limit): runs a worker trains before it is replaced; a process that
  trains several runs at once (``FMNIST_WORKER_THREADS``) trains that many for each.
- ``FMNIST_WORKER_MAX_MB`` (default 600; 0: no limit): a worker's own memory above which it is replaced, weighed
  after each run, with ``settings.MORE_THREAD_MB`` (300) more for each run still training in it. Its own memory is
  its resident memory less the pages it shares with other processes from files (``/proc/PID/statm``: resident -
  shared): of a fresh worker's 840 MB RSS, 540 MB are TensorFlow's libraries, mapped from disk once for every
  worker, and 300 MB are its own (the data, the heap); what grows with runs is its own part.

- ``FMNIST_WORKER_NICE`` (default 10; 0: the server's): a worker runs at a lower CPU priority than the server, so
  a page or the class board is served at once while the workers train (measured in docs/performance.md).

- ``FMNIST_IDLE_SECONDS`` (default 120; 0: never) and ``FMNIST_IDLE_WORKERS`` (default 0): after that many seconds
  with no page run, no run and no short task, the app's pool stops its workers down to that many; the next page
  run, Train click or short task starts them again (a worker is ready in about 10 s here; a run given to it
  waits, as "preparing", until then). A class that leaves gives back every worker's memory.

A local worker is replaced by the app's pool: past a limit it takes no new run, and once the runs it trains (one or
more, ``FMNIST_WORKER_THREADS``) have ended a new one starts in its place; the old one ends when its short tasks are
answered. ``python -m fmnist_core worker`` stops after its run, as RQ's ``--max-jobs`` does: start it under
something that starts it again (systemd's ``Restart=always``, a container's restart policy, a shell loop).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading

from .. import settings
from ..memory import trim_heap

log = logging.getLogger(__name__)


def max_runs() -> int:
    """Runs a worker trains before it is replaced: ``FMNIST_WORKER_MAX_RUNS``, default 20 (0: no limit)."""
    return settings.integer("FMNIST_WORKER_MAX_RUNS")


def max_mb() -> float:
    """The budget of a worker's own memory in MB: ``FMNIST_WORKER_MAX_MB``, default 600 (0: no limit)."""
    return settings.number("FMNIST_WORKER_MAX_MB")


def worker_nice() -> int:
    """How much lower a worker's CPU priority is than the server's: ``FMNIST_WORKER_NICE``, default 10 (0: the
    same)."""
    return settings.integer("FMNIST_WORKER_NICE")


def lower_priority() -> int:
    """In a worker, at its start: lower this process's CPU priority by ``worker_nice()``, so that on a shared host
    the web process (every learner's page, the teacher's board) gets the CPU first and training takes the rest.
    Linux keeps a priority per thread: threads started before (numpy's, a log-reading one) are lowered too, those
    started after (TensorFlow's) inherit it. Returns the niceness now. With Linux's autogroups a priority orders
    processes of one session only: a worker started from another terminal or unit competes as a session."""
    try:
        nice = os.nice(worker_nice())
    except OSError:  # pragma: no cover - raising one's own niceness is always allowed on Linux
        return os.nice(0)
    me = threading.get_native_id()
    with contextlib.suppress(OSError):
        for task in os.listdir("/proc/self/task"):
            if int(task) != me:
                with contextlib.suppress(OSError, ValueError):
                    os.setpriority(os.PRIO_PROCESS, int(task), nice)
    return nice


def idle_seconds() -> float:
    """Seconds without use after which the app's pool stops idle workers: ``FMNIST_IDLE_SECONDS``, default 120
    (0: never)."""
    return settings.number("FMNIST_IDLE_SECONDS")


def idle_workers() -> int:
    """Workers the app's pool keeps when idle: ``FMNIST_IDLE_WORKERS``, default 0 (all memory given back)."""
    return settings.integer("FMNIST_IDLE_WORKERS")  # at most 16


def _statm(pid: int | None) -> tuple[float, float] | None:
    try:
        with open(f"/proc/{pid or 'self'}/statm") as statm:
            fields = statm.read().split()
        page = os.sysconf("SC_PAGE_SIZE") / 2**20
        return int(fields[1]) * page, int(fields[2]) * page
    except (OSError, IndexError, ValueError):
        return None


def rss_mb(pid: int | None = None) -> float | None:
    """The resident memory (RSS) of process ``pid`` (default: this one) in MB, or None where /proc cannot say."""
    pages = _statm(pid)
    return None if pages is None else pages[0]


def own_mb(pid: int | None = None) -> float | None:
    """The resident memory of process ``pid`` not shared from files (RSS less its file-backed pages: TensorFlow's
    libraries, which every worker maps from the same files) in MB, or None where /proc cannot say."""
    pages = _statm(pid)
    return None if pages is None else pages[0] - pages[1]


def retire_reason(runs: int, own: float | None, slots: int = 1, training: int = 0) -> str | None:
    """Why a worker that has trained ``runs`` runs and holds ``own`` MB of its own is replaced now, or None. A worker
    process training up to ``slots`` runs at once (``FMNIST_WORKER_THREADS``) has the limits of that many workers in
    runs, and in memory ``MORE_THREAD_MB`` more for each of the ``training`` runs still in it."""
    limit_runs, limit_mb = max_runs() * slots, max_mb()
    if limit_runs and runs >= limit_runs:
        return f"{runs} runs (FMNIST_WORKER_MAX_RUNS={max_runs()} a slot, {slots} slot(s))"
    if limit_mb and own is not None and own > limit_mb + training * settings.MORE_THREAD_MB:
        return f"{own:.0f} MB of its own memory (FMNIST_WORKER_MAX_MB={limit_mb:g}, {training} run(s) training)"
    return None


def release_memory(keras: bool = True) -> bool:
    """In a worker, after a run: garbage collected, free heap pages returned to the system, and (``keras``: no other
    run trains here) Keras's global state cleared, if no other thread uses Keras now (a short task beside the run).
    Returns whether Keras's state was cleared."""
    from ..net.model import clear_keras_state

    cleared = keras and clear_keras_state()
    gc.collect()
    trim_heap()
    return cleared

