"""What pages and the command line see of the queue: a ``Runner`` that takes configs, ``Job`` s to watch."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from ..config import RunConfig
from ..data.sources import DataError, load_fashion_mnist
from ..i18n import N_, _
from ..runs.cache import RunCache
from ..runs.results import RunResult
from ..runs.store import Lookup
from .rules import OVERRAN, CostModel, check_cost

# A worker process died under its job (both transports say so); the sentence already tells the reader what to do.
WORKER_LOST = N_("the worker training this run stopped unexpectedly; press Train to try again")
# RQ: the run was lost in a Redis outage, or Redis held data this app did not write (said by the RQ transport).
REDIS_LOST = N_("the queue's Redis server stopped while this run was training, so the run was lost; press Train to "
                "try again")
UNREADABLE = N_("the queue held data for this run that this app did not write, so it was refused; press Train to "
                "try again")
# A short task (a Common mistake, a ``.keras`` file) had no answer in time (both transports).
NO_ANSWER = N_("A worker process took too long to answer.")


def failure_sentence(error: str | None) -> str:
    """The sentence a page shows for a failed run, with a ``{reason}`` field for the (translated) error: it adds
    "try another configuration" only when the reason does not already say what to do (a lost worker: press Train;
    a page run stopped past its allowance: make it smaller)."""
    if error in (WORKER_LOST, REDIS_LOST, UNREADABLE, OVERRAN):
        # Translators: {reason}: why, a sentence that already says what to do, e.g. "the worker training this run
        # stopped unexpectedly; press Train to try again"
        return _("Training failed: {reason}.")
    # Translators: {reason}: why, one of this catalog's queue sentences, e.g. "the run failed on its worker", or the
    # last line of Keras's own error (English), e.g. "Graph execution error"
    return _("Training failed: {reason}. The app is still running; try another configuration.")


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
    watchers: int = 0
    from_cache: bool = False  # done: the worker found the run stored (not derived or trained for this job)
    saved: bool = True  # done: the run is in the run cache (False: the worker could not store it)

    @property
    def finished(self) -> bool:
        """True once the job is done, cancelled or failed."""
        return self.status.finished

    @property
    def done(self) -> bool:
        """True when the job finished with a result."""
        return self.status is JobStatus.DONE and self.result is not None

    @property
    def found(self) -> Lookup:
        """The job's run with what the job learned of it (from the cache or not, kept or not), as the cache says it."""
        return Lookup(self.result, from_cache=self.from_cache, saved=self.saved)

    @property
    def overall_fraction(self) -> float:
        """Share of the whole run done, 0-1."""
        if self.status is JobStatus.DONE:
            return 1.0
        return min(1.0, max(0.0, (self.epoch - 1 + self.fraction) / self.config.epochs)) if self.epoch else 0.0


# What a queued run's watchers see while no worker is registered (RQ: workers are started on their own machines)
NO_WORKER = N_("no worker is running: the run starts when one does")


@dataclass(frozen=True)
class Position:
    """Where a queued run stands: runs ahead of it (running ones included), about how long until it starts, and
    the workers registered to take it (None: the transport starts its own, so there always are some)."""

    ahead: int
    seconds: float
    workers: int | None = None


class WorkerLost(RuntimeError):
    """A worker process ended while it had work; the message is one sentence for the person."""


class QueueUnreachable(RuntimeError):
    """The queue's server (Redis) does not answer: ``str()`` is the English sentence, ``sentence()`` the
    reader's language."""

    # Translators: {address}: where the queue's Redis server should be, e.g. "queue.school.example:6379"
    MESSAGE = N_("The run queue cannot be reached (Redis at {address} does not answer), so no run can be trained "
                 "or watched now; start Redis and reload the page.")

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__(self.MESSAGE.format(address=address))

    def sentence(self) -> str:
        return _(self.MESSAGE).format(address=self.address)


class Job(Protocol):
    """One configuration being trained for the sessions that watch it."""

    config: RunConfig

    @property
    def key(self) -> str: ...
    @property
    def background(self) -> bool: ...
    @property
    def finished(self) -> bool: ...
    @property
    def live(self) -> bool: ...
    def snapshot(self) -> JobSnapshot: ...
    def watched_by(self, session: str) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...


class Runner(Protocol):
    """The queue: the same rules (``rules``) whatever carries the work to the workers."""

    cache: RunCache
    costs: CostModel
    max_seconds: float

    def check(self, config: RunConfig) -> None: ...
    def submit(self, config: RunConfig, session: str = "local", limit: bool = False,
               visitor: str | None = None) -> Job: ...
    def prefetch(self, configs: Iterable[RunConfig]) -> list[Job]: ...
    def leave(self, job: Job, session: str) -> int: ...
    def drop_sessions(self, sessions: Iterable[str]) -> int: ...
    def get(self, key: str) -> Job | None: ...
    def queued(self) -> list[Job]: ...
    def running(self) -> list[Job]: ...
    def position(self, job: Job) -> Position | None: ...
    def mistake(self, name: str) -> Any: ...
    def keras_file(self, key: str) -> bytes: ...


def check(runner: Runner, config: RunConfig) -> None:
    """The ceiling for page and link runs, estimated on the data in use (both transports)."""
    data = None
    with contextlib.suppress(DataError):
        data = load_fashion_mnist()
        runner.costs.train_images = len(data.x_train)
    check_cost(config, runner.costs, runner.max_seconds, cached=lambda c: runner.cache.can_answer(c, data))


def learn(costs: CostModel, result: RunResult, from_cache: bool, train_images: int | None) -> None:
    """Correct the cost model with a run a worker really trained (not read from the cache or off a longer run)."""
    if not from_cache and not result.read_off_longer_run:
        costs.observe(result.config, result.train_seconds, result.epochs_run, train_images)
