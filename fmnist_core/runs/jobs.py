"""Background training for many visitors: a fair, visible queue with a cost ceiling, in this process.

A UI submits a config for a *session* and polls the job's ``snapshot()``; the work goes on if the watcher
goes away and comes back. Rules a classroom needs:

- **One job per config.** Asking for a config that is queued or training adds a watcher to that job.
- **Fair order.** First come, first served across sessions, but a session's second and later runs wait
  behind other sessions' first runs; background runs (``prefetch``) come after every learner's run and give
  way (they are stopped between chunks and queued again) when a learner's run is waiting.
- **Visible.** ``position`` says how many runs are ahead and about how long they take, from the measured
  speed of recent runs scaled by each run's cost (parameters x images x epochs, plus steps).
- **Limits.** ``submit(..., limit=True)`` refuses a run estimated above ``max_seconds`` with a sentence.
- **Stop means "I stop watching".** ``leave`` removes a session; a job is cancelled only when nobody
  watches it any more.

The run cache makes sure a config is trained once across processes too. With ``FMNIST_QUEUE_URL`` set, the
app uses ``fmnist_core.runs.rq_jobs`` instead: the same rules, workers on other machines through Redis + RQ.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum

from ..config import FIELDS, RunConfig
from ..data.sources import DataError, Dataset, load_fashion_mnist
from ..i18n import _, number
from .cache import RunCache
from .results import RunResult
from .training import TrainingCancelled, TrainingListener

MAX_SECONDS_ENV, WORKERS_ENV = "FMNIST_MAX_RUN_SECONDS", "FMNIST_WORKERS"
DEFAULT_MAX_SECONDS = 180.0
TRAIN_IMAGES = 60_000


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


class Refused(ValueError):
    """A run is too big to start from a page or a link; the message says why and what to do instead."""


@dataclass
class CostModel:
    """Estimated training seconds of a config on this machine, corrected by the speed of finished runs.

    seconds = overhead + epochs x (parameters x training images x per_unit x small-batch penalty + steps x
    per_step). The priors were measured here: the default network (101,770 parameters, 48,000 images, 1,500
    steps of 32) trains an epoch in about 0.4 s, and building plus compiling costs about 1.5 s. Tiny batches
    turn matrix products into slow matrix-vector products: the penalty (1 + 32/batch) / 2 is 1 at batch 32.
    """

    per_unit: float = 7.3e-11
    per_step: float = 3e-5
    overhead: float = 1.5
    train_images: int = TRAIN_IMAGES  # the size of the training set in use (before the validation split)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def estimate(self, config: RunConfig) -> float:
        images = self.train_images - int(self.train_images * config.validation_split)
        steps = -(-images // config.batch_size)
        penalty = (1 + 32 / config.batch_size) / 2
        return self.overhead + config.epochs * (config.parameters * images * self.per_unit * penalty
                                                + steps * self.per_step)

    def observe(self, config: RunConfig, seconds: float, epochs: int) -> None:
        """Learn from a finished run (``epochs`` really trained in ``seconds``): scale the per-unit cost."""
        if epochs <= 0 or seconds <= self.overhead:
            return
        with self._lock:
            predicted = self.estimate(config.with_(epochs=epochs)) - self.overhead
            factor = min(4.0, max(0.25, (seconds - self.overhead) / max(predicted, 1e-9)))
            self.per_unit *= factor**0.3  # move a third of the way (in log terms) towards what was measured
            self.per_step *= factor**0.3


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
    watchers: int = 0

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


@dataclass(frozen=True)
class Position:
    """Where a queued run stands: runs ahead of it and about how long until it starts."""

    ahead: int
    seconds: float


class TrainingJob(TrainingListener):
    """One config being trained (or fetched from cache); ``run`` does the work, in a worker of the runner."""

    def __init__(self, config: RunConfig, session: str = "local", background: bool = False, order: tuple = ()) -> None:
        self.config = config
        self.background = background
        self.order = order  # sort key in the queue
        self._watchers = set() if background else {session}
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._yield = threading.Event()
        self._finished = threading.Event()
        self._status, self._epoch, self._fraction = JobStatus.QUEUED, 0, 0.0
        self._logs: dict[str, float] = {}
        self._history: dict[str, list[float]] = {}
        self._error: str | None = None
        self._result: RunResult | None = None
        self._started = time.monotonic()

    def run(self, cache: RunCache, data_loader: Callable[[], Dataset]) -> None:
        """Fetch or train the config and finish as done, cancelled or failed (never raises). A background run
        asked to give way ends back in the queue instead."""
        with self._lock:
            self._status, self._epoch, self._fraction, self._history = JobStatus.RUNNING, 0, 0.0, {}
        try:
            result = cache.get_or_train(self.config, data_loader(), self)
        except TrainingCancelled:
            if self._yield.is_set() and not self._cancel.is_set():
                with self._lock:
                    self._status = JobStatus.QUEUED
                self._yield.clear()
                return
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
        return self._cancel.is_set() or self._yield.is_set()

    # watcher side
    @property
    def live(self) -> bool:
        """True while the job is neither finished nor cancelled."""
        return not self._finished.is_set() and not self._cancel.is_set()

    @property
    def finished(self) -> bool:
        """True once the job is done, cancelled or failed."""
        return self._finished.is_set()

    @property
    def status(self) -> JobStatus:
        with self._lock:
            return self._status

    def watched_by(self, session: str) -> bool:
        with self._lock:
            return session in self._watchers

    def watch(self, session: str) -> None:
        """Add a session that wants this run."""
        with self._lock:
            self._watchers.add(session)
            self.background = False  # a learner wants it now

    def leave(self, session: str) -> int:
        """Remove a session; cancel the run when nobody watches it any more. Returns the watchers left."""
        with self._lock:
            self._watchers.discard(session)
            left = len(self._watchers)
        if left == 0 and not self.background:
            self.cancel()
        return left

    def cancel(self) -> None:
        """Stop the run for everyone; it ends as 'cancelled' and nothing is stored."""
        self._cancel.set()
        with self._lock:
            queued = self._status is JobStatus.QUEUED
        if queued:
            self._finish(JobStatus.CANCELLED)

    def give_way(self) -> None:
        """A background run: stop between chunks and go back to the queue."""
        self._yield.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until finished (or timeout); True if finished."""
        return self._finished.wait(timeout)

    def snapshot(self) -> JobSnapshot:
        """The job's state now."""
        with self._lock:
            return JobSnapshot(
                key=self.config.key, config=self.config, status=self._status, epoch=self._epoch,
                fraction=self._fraction, logs=dict(self._logs),
                history={k: list(v) for k, v in self._history.items()}, error=self._error, result=self._result,
                elapsed=time.monotonic() - self._started, watchers=len(self._watchers),
            )

    def _finish(self, status: JobStatus, result: RunResult | None = None, error: str | None = None) -> None:
        with self._lock:
            if self._finished.is_set():
                return
            self._status, self._result, self._error = status, result, error
        self._finished.set()


def default_workers() -> int:
    """Runs trained at once by default: one per core, at most 4. Measured on this project's 2-core machine:
    two runs at once finish the pair 1.6x sooner, each run 1.2x slower (tests/bench_parallel.py)."""
    return max(1, min(os.cpu_count() or 1, 4))


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass
class JobRunner:
    """The queue and its workers against one run cache. Thread-safe; share one per process."""

    cache: RunCache
    data_loader: Callable[[], Dataset] = load_fashion_mnist
    keep_finished: int = 32  # finished jobs remembered (each holds a result); older ones are forgotten
    workers: int = field(default_factory=lambda: max(0, int(_env_float(WORKERS_ENV, default_workers()))))
    max_seconds: float = field(default_factory=lambda: _env_float(MAX_SECONDS_ENV, DEFAULT_MAX_SECONDS))
    costs: CostModel = field(default_factory=CostModel)
    _jobs: dict[str, TrainingJob] = field(default_factory=dict)
    _running: dict[str, TrainingJob] = field(default_factory=dict)
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _seq: itertools.count = field(default_factory=itertools.count)
    _threads: list[threading.Thread] = field(default_factory=list)

    # ------------------------------------------------------------------ asking

    def check(self, config: RunConfig) -> None:
        """Raise Refused when ``config`` is estimated above the ceiling for runs started from a page or link."""
        try:
            self.costs.train_images = len(self.data_loader().x_train)  # estimates for the data really used
        except DataError:
            pass
        check_cost(config, self.costs, self.max_seconds, self.cache)

    def submit(self, config: RunConfig, session: str = "local", limit: bool = False) -> TrainingJob:
        """Queue ``config`` for ``session`` (or join the live job for it) and return the job.

        With ``limit``, a run estimated above ``max_seconds`` is refused (Refused); the command line passes
        no limit.
        """
        if limit:
            self.check(config)
        with self._lock:
            job = self._jobs.get(config.key)
            if job is not None and job.live:
                job.watch(session)
                self._lock.notify_all()
                return job
            rank = sum(1 for j in self._jobs.values() if j.live and not j.background and j.watched_by(session))
            job = TrainingJob(config, session, order=(0, rank, next(self._seq)))
            self._remember(job)
            self._start_workers()
            self._preempt_background()
            self._lock.notify_all()
        return job

    def prefetch(self, configs: Iterable[RunConfig]) -> list[TrainingJob]:
        """Queue background runs (experiment pages' defaults) at the lowest priority; cached ones are skipped."""
        jobs = []
        with self._lock:
            for config in configs:
                if config.key in self._jobs and self._jobs[config.key].live or self.cache.load(config.key):
                    continue
                job = TrainingJob(config, "", background=True, order=(1, 0, next(self._seq)))
                self._remember(job)
                jobs.append(job)
            self._start_workers()
            self._lock.notify_all()
        return jobs

    def leave(self, job: TrainingJob, session: str) -> int:
        """``session`` stops watching ``job``; it is cancelled when nobody is left. Returns the watchers left."""
        with self._lock:
            left = job.leave(session)
            self._lock.notify_all()
            return left

    def get(self, key: str) -> TrainingJob | None:
        """The latest job for a config key, if any."""
        with self._lock:
            return self._jobs.get(key)

    def queued(self) -> list[TrainingJob]:
        """The jobs waiting to start, in the order they will start."""
        with self._lock:
            return self._queue()

    def position(self, job: TrainingJob) -> Position | None:
        """Runs ahead of a queued ``job`` and about how long until it starts (None when it is not queued)."""
        with self._lock:
            queue = self._queue()
            if job not in queue:
                return None
            ahead = queue[: queue.index(job)]
            busy = max(1, self.workers)
            running = sum(max(0.0, self.costs.estimate(j.config) * (1 - j.snapshot().overall_fraction))
                          for j in self._running.values())
            seconds = (running + sum(self.costs.estimate(j.config) for j in ahead)) / busy
            return Position(len(ahead) + len(self._running), seconds)

    # ------------------------------------------------------------------ the workers

    def _queue(self) -> list[TrainingJob]:
        waiting = [j for j in self._jobs.values() if j.live and j.status is JobStatus.QUEUED
                   and j.config.key not in self._running]
        return sorted(waiting, key=lambda j: (1 if j.background else 0, *j.order[1:]))

    def _start_workers(self) -> None:
        while len(self._threads) < self.workers:
            thread = threading.Thread(target=self._work, name=f"trainer-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _preempt_background(self) -> None:
        if len(self._running) >= max(1, self.workers):
            for job in self._running.values():
                if job.background:
                    job.give_way()
                    return

    def _work(self) -> None:
        while True:
            with self._lock:
                while not (queue := self._queue()):
                    self._lock.wait()
                job = queue[0]
                self._running[job.config.key] = job
            start = time.monotonic()
            job.run(self.cache, self.data_loader)
            snap = job.snapshot()
            if snap.done and not snap.result.from_cache and not snap.result.origin:
                self.costs.observe(job.config, time.monotonic() - start, snap.result.epochs_run)
            with self._lock:
                self._running.pop(job.config.key, None)
                self._lock.notify_all()

    def _remember(self, job: TrainingJob) -> None:
        self._jobs.pop(job.config.key, None)
        self._jobs[job.config.key] = job
        finished = [key for key, j in self._jobs.items() if j.finished]
        for key in finished[: max(0, len(finished) - self.keep_finished)]:
            del self._jobs[key]


def check_cost(config: RunConfig, costs: CostModel, max_seconds: float, cache: RunCache) -> None:
    """Raise Refused, with the reason and the command line to use instead, when ``config`` is estimated above
    ``max_seconds`` of training here (a run already in the cache is never refused)."""
    seconds = costs.estimate(config)
    if seconds > max_seconds and cache.get(config) is None:
        raise Refused(_(
            "This run would take about {time} to train here, more than the {allowed} allowed for runs started "
            "from a page or a link (so that everyone gets a turn). Make it smaller (fewer epochs or units, a "
            "bigger batch), or train it from the command line: {command}").format(
            time=_duration(seconds), allowed=_duration(max_seconds),
            command=f"python -m fmnist_core train {_flags(config)}"))


def _duration(seconds: float) -> str:
    if seconds < 90:
        return _("{n} s").format(n=number(seconds))
    if seconds < 5400:
        return _("{n} minutes").format(n=number(seconds / 60))
    if seconds < 2 * 86400:
        return _("{n} hours").format(n=number(seconds / 3600))
    return _("{n} days").format(n=number(seconds / 86400))


def _flags(config: RunConfig) -> str:
    """The command-line flags of the settings that differ from the defaults."""
    parts = []
    for spec in FIELDS:
        value = getattr(config, spec.name)
        if value != spec.default:
            parts.append(f"{spec.flag}" if spec.type is bool and value else
                         f"--no-{spec.flag[2:]}" if spec.type is bool else f"{spec.flag} {spec.format(value)}")
    return " ".join(parts)
