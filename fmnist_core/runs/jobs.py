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
from enum import Enum

from ..config import RunConfig
from ..data.sources import Dataset, load_fashion_mnist
from .cache import RunCache
from .results import RunResult
from .training import TrainingCancelled, TrainingListener


class JobStatus(Enum):
    """Where a job stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        """True for done, cancelled and failed."""
        return self in (JobStatus.DONE, JobStatus.CANCELLED, JobStatus.FAILED)


@dataclass
class JobSnapshot:
    """A consistent copy of a job's progress at one moment."""

    key: str
    config: RunConfig
    status: JobStatus
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
        return self.status.finished

    @property
    def done(self) -> bool:
        """True when the job finished with a result."""
        return self.status is JobStatus.DONE and self.result is not None

    @property
    def overall_fraction(self) -> float:
        """Share of the whole run done, 0-1."""
        if self.status is JobStatus.DONE:
            return 1.0
        return min(1.0, max(0.0, (self.epoch - 1 + self.fraction) / self.config.epochs)) if self.epoch else 0.0


class TrainingJob(TrainingListener):
    """One config being trained (or fetched from cache); ``run`` does the work, in a thread of the runner."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self._status, self._epoch, self._fraction = JobStatus.QUEUED, 0, 0.0
        self._logs: dict[str, float] = {}
        self._history: dict[str, list[float]] = {}
        self._error: str | None = None
        self._result: RunResult | None = None
        self._started = time.monotonic()

    def run(self, cache: RunCache, data_loader: Callable[[], Dataset]) -> None:
        """Fetch or train the config and finish as done, cancelled or failed (never raises)."""
        try:
            result = cache.get_or_train(self.config, data_loader(), self)
        except TrainingCancelled:
            self._finish(JobStatus.CANCELLED)
        except Exception as exc:  # noqa: BLE001 - reported to the watcher, never lost in a thread
            self._finish(JobStatus.FAILED, error=str(exc) or type(exc).__name__)
        else:
            self._finish(JobStatus.DONE, result=result)

    # listener side (training thread)
    def on_run_start(self, config: RunConfig, steps_per_epoch: int) -> None:
        with self._lock:
            self._status, self._epoch, self._started = JobStatus.RUNNING, 1, time.monotonic()

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
    @property
    def live(self) -> bool:
        """True while the job is neither finished nor asked to stop."""
        return not self._finished.is_set() and not self._cancel.is_set()

    @property
    def finished(self) -> bool:
        """True once the job is done, cancelled or failed."""
        return self._finished.is_set()

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

    def _finish(self, status: JobStatus, result: RunResult | None = None, error: str | None = None) -> None:
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
            if job is not None and job.live:
                return job
            job = TrainingJob(config)
            self._jobs.pop(config.key, None)
            self._jobs[config.key] = job
            finished = [key for key, j in self._jobs.items() if j.finished]
            for key in finished[: max(0, len(finished) - self.keep_finished)]:
                del self._jobs[key]
        threading.Thread(target=job.run, args=(self.cache, self.data_loader), name=f"train-{config.key}",
                         daemon=True).start()
        return job

    def get(self, key: str) -> TrainingJob | None:
        """The latest job for a config key, if any."""
        with self._lock:
            return self._jobs.get(key)
