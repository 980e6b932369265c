"""The classroom queue: one ``Runner`` with one set of rules (``rules``), two transports.

- ``local``: worker processes on this machine, started by the app (the default, no extra server);
- ``rq``: RQ workers on any machine, through Redis (``FMNIST_QUEUE_URL``).

Pages and the command line are typed against ``Runner`` and ``Job`` and get theirs from ``open_runner``.
The web process never imports TensorFlow: only worker processes do (``work``, ``net``).
"""

from __future__ import annotations

from collections.abc import Callable

from .. import settings
from ..reports import TrainingListener
from ..runs.cache import RunCache
from .base import (
    NO_WORKER,
    Job,
    JobSnapshot,
    JobStatus,
    Position,
    QueueUnreachable,
    Runner,
    WorkerLost,
    failure_sentence,
)
from .rules import CostModel, Refused, Tier

__all__ = ["NO_WORKER", "CostModel", "Job", "JobSnapshot", "JobStatus", "Position", "QueueUnreachable",
           "Refused", "Runner", "Tier", "WorkerLost", "failure_sentence", "follow", "open_runner", "start_workers"]


def open_runner(cache: RunCache, workers: int | None = None) -> Runner:
    """The runner the environment asks for: RQ when ``FMNIST_QUEUE_URL`` is set, else local worker processes
    (the process's shared pool, or a pool of its own with ``workers`` processes)."""
    url = settings.text("FMNIST_QUEUE_URL")
    if url:
        from .rq_runner import RQRunner

        return RQRunner(url, cache)
    from .local import LocalRunner, WorkerPool

    return LocalRunner(cache, pool=None if workers is None else WorkerPool(workers))


def follow(job: Job, listener: TrainingListener, poll: float = 0.1,
           queued: Callable[[], None] | None = None) -> JobSnapshot:
    """Wait for ``job`` to finish, telling ``listener`` its progress as the snapshots show it (the command line's
    progress bar), and calling ``queued`` after each poll while it waits for a worker; the final snapshot."""
    started, epochs = False, 0
    while True:
        finished = job.wait(poll)
        snap = job.snapshot()
        if queued is not None and snap.status is JobStatus.QUEUED:
            queued()
        if snap.epoch and not started:
            listener.on_run_start(snap.config, 0)
            started = True
        for epoch in range(epochs, len(snap.history.get("loss", []))):
            listener.on_epoch_end(epoch + 1, {k: v[epoch] for k, v in snap.history.items() if len(v) > epoch})
        epochs = len(snap.history.get("loss", []))
        if snap.epoch and snap.fraction < 1 and snap.logs:
            listener.on_progress(snap.epoch, snap.fraction, snap.logs)
        if finished or snap.finished:
            return snap


def start_workers(runner: Runner) -> None:
    """Start a local runner's worker processes now (they import and warm up TensorFlow), so that the first run
    shows progress at once; RQ's workers are started on their own machines."""
    pool = getattr(runner, "pool", None)
    if pool is not None:
        pool.start()
