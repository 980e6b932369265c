"""Background training jobs: train in a thread, watch progress from anywhere, cancel, share by config.

A UI (or anything else) submits a config and polls the job's ``snapshot()``; the work goes on even if
the watcher goes away and comes back. Asking for a config that is already training returns the same
job, and the run cache makes sure a config is trained once across processes too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .cache import RunCache
from .config import RunConfig
from .data import Dataset, load_fashion_mnist
from .results import RunResult
from .training import TrainingCancelled, TrainingListener

QUEUED, RUNNING, DONE, CANCELLED, FAILED = "queued", "running", "done", "cancelled", "failed"


@dataclass
class JobSnapshot:
    """A consistent copy of a job's progress at one moment."""

    key: str
    config: RunConfig
    status: str
    epoch: int
    fraction: float
    logs: dict[str, float]
    history: dict[str, list[float]]
    error: str | None
    result: RunResult | None
    elapsed: float

    @property
    def finished(self) -> bool:
        """True once the job is done, cancelled or failed."""
        return self.status in (DONE, CANCELLED, FAILED)

    @property
    def overall_fraction(self) -> float:
        """Share of the whole run done, 0-1."""
        if self.status == DONE:
            return 1.0
        return min(1.0, max(0.0, (self.epoch - 1 + self.fraction) / self.config.epochs)) if self.epoch else 0.0


class TrainingJob(TrainingListener):
    """One config being trained (or fetched from cache) in a background thread."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self._status, self._epoch, self._fraction = QUEUED, 0, 0.0
        self._logs: dict[str, float] = {}
        self._history: dict[str, list[float]] = {}
        self._error: str | None = None
        self._result: RunResult | None = None
        self._started = time.monotonic()

    # listener side (training thread)
    def on_run_start(self, config: RunConfig, steps_per_epoch: int) -> None:
        with self._lock:
            self._status, self._epoch, self._started = RUNNING, 1, time.monotonic()

    def on_progress(self, epoch: int, fraction: float, logs: dict[str, float]) -> None:
        with self._lock:
            self._epoch, self._fraction, self._logs = epoch, fraction, dict(logs)

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        with self._lock:
            self._epoch, self._fraction, self._logs = epoch, 1.0, dict(metrics)
            for key, value in metrics.items():
                self._history.setdefault(key, []).append(value)

    def should_stop(self) -> bool:
        return self._cancel.is_set()

    # watcher side
    def cancel(self) -> None:
        """Ask the run to stop; it ends as 'cancelled' and nothing is stored."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until finished (or timeout); True if finished."""
        return self._finished.wait(timeout)

    def snapshot(self) -> JobSnapshot:
        """The job's state now."""
        with self._lock:
            return JobSnapshot(
                key=self.config.key,
                config=self.config,
                status=self._status,
                epoch=self._epoch,
                fraction=self._fraction,
                logs=dict(self._logs),
                history={k: list(v) for k, v in self._history.items()},
                error=self._error,
                result=self._result,
                elapsed=time.monotonic() - self._started,
            )

    def _finish(self, status: str, result: RunResult | None = None, error: str | None = None) -> None:
        with self._lock:
            self._status, self._result, self._error = status, result, error
        self._finished.set()


@dataclass
class JobRunner:
    """Starts and tracks training jobs against one run cache. Thread-safe; share one per process."""

    cache: RunCache
    data_loader: Callable[[], Dataset] = load_fashion_mnist
    keep_finished: int = 32  # finished jobs remembered (each holds a model); older ones are forgotten
    _jobs: dict[str, TrainingJob] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def submit(self, config: RunConfig) -> TrainingJob:
        """Start training ``config`` (or fetch it from cache) unless a live job for it exists; return the job."""
        with self._lock:
            job = self._jobs.get(config.key)
            if job is not None and not job._finished.is_set() and not job.should_stop():
                return job
            job = TrainingJob(config)
            self._jobs.pop(config.key, None)
            self._jobs[config.key] = job
            finished = [key for key, j in self._jobs.items() if j._finished.is_set()]
            for key in finished[: max(0, len(finished) - self.keep_finished)]:
                del self._jobs[key]
        threading.Thread(target=self._run, args=(job,), name=f"train-{config.key}", daemon=True).start()
        return job

    def get(self, key: str) -> TrainingJob | None:
        """The latest job for a config key, if any."""
        with self._lock:
            return self._jobs.get(key)

    def _run(self, job: TrainingJob) -> None:
        try:
            result = self.cache.get_or_train(job.config, self.data_loader(), job)
        except TrainingCancelled:
            job._finish(CANCELLED)
        except Exception as exc:  # noqa: BLE001 - reported to the watcher, never lost in a thread
            job._finish(FAILED, error=f"{type(exc).__name__}: {exc}")
        else:
            job._finish(DONE, result=result)

    def describe(self) -> dict[str, Any]:
        """Keys and statuses of known jobs (for debugging)."""
        with self._lock:
            return {key: job.snapshot().status for key, job in self._jobs.items()}
