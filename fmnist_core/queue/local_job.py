"""A run on the local transport as the web process sees it: its watchers, status and progress (``LocalJob``)."""

from __future__ import annotations

import logging
import threading
import time

from ..config import RunConfig
from ..runs.cache import RunCache
from ..runs.results import RunResult
from .base import JobSnapshot, JobStatus
from .rules import Tier
from .wire import RunProgress, RunReport

log = logging.getLogger(__name__)


class LocalJob:
    """One config being trained in a worker process, as the web process sees it. Thread-safe."""

    def __init__(self, cache: RunCache, config: RunConfig, session: str | None, visitor: str,
                 background: bool, rank: Tier, seq: int, data_dir: str, hold_dir: str,
                 allowance: float | None = None) -> None:
        self.cache, self.config = cache, config
        self.background, self.rank, self.seq = background, rank, seq
        self.data_dir, self.hold_dir, self.allowance = data_dir, hold_dir, allowance
        self._watchers = {session: visitor} if session is not None else {}  # session -> its visitor
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._cancelled = False  # asked to stop (it ends once its worker confirms)
        self.giving_way = False
        self._status, self._progress = JobStatus.QUEUED, RunProgress()
        self._error: str | None = None
        self._result: RunResult | None = None
        self._from_cache, self._saved = False, True  # done: found stored by its worker; kept in the run cache
        self.submitted, self.started = time.monotonic(), None  # when a learner asked; when a worker first took it

    @property
    def key(self) -> str:
        return self.config.key

    @property
    def live(self) -> bool:
        """True while the job is neither finished nor asked to stop."""
        return not self._finished.is_set() and not self._cancelled

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    @property
    def status(self) -> JobStatus:
        with self._lock:
            return self._status

    def watched_by(self, session: str) -> bool:
        with self._lock:
            return session in self._watchers

    def wait(self, timeout: float | None = None) -> bool:
        """Block until finished (or timeout); True if finished."""
        return self._finished.wait(timeout)

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            return JobSnapshot(key=self.key, config=self.config, status=self._status, **self._progress.fields(),
                               error=self._error, result=self._result, watchers=len(self._watchers),
                               from_cache=self._from_cache, saved=self._saved)

    # ------------------------------------------------------------------ the pool's side (``WorkerPool`` only)

    @property
    def cancelled(self) -> bool:
        """Asked to stop (the job ends once its worker confirms)."""
        return self._cancelled

    def mark_cancelled(self) -> None:
        """Note that the job was asked to stop (under the pool's lock)."""
        self._cancelled = True

    def watch(self, session: str, visitor: str) -> None:
        """``session`` (of ``visitor``) watches the job too."""
        with self._lock:
            self._watchers[session] = visitor

    def unwatch(self, session: str) -> int:
        """``session`` stops watching the job; returns the watchers left."""
        with self._lock:
            self._watchers.pop(session, None)
            return len(self._watchers)

    def visitors(self) -> set[str]:
        """The visitors whose sessions watch the job."""
        with self._lock:
            return set(self._watchers.values())

    def sessions(self) -> set[str]:
        """The sessions that watch the job."""
        with self._lock:
            return set(self._watchers)

    def restart(self, status: JobStatus) -> None:
        """The job is ``status`` (running: a worker took it; queued: it gave way), with no progress yet."""
        with self._lock:
            self._status, self._progress = status, RunProgress()
            if status is JobStatus.RUNNING and self.started is None:
                self.started = time.monotonic()

    def hear(self, report: RunReport) -> None:
        """Its worker reported progress (``wire``)."""
        with self._lock:
            self._progress.take(report)

    def finish(self, status: JobStatus, result: RunResult | None = None, error: str | None = None,
               from_cache: bool = False, saved: bool = True) -> None:
        """End the job (once: later calls change nothing) and wake its waiters; a done job says whether its worker
        found the run stored and whether the run is kept in the run cache."""
        with self._lock:
            if self._finished.is_set():
                return
            self._status, self._result, self._error = status, result, error
            self._from_cache, self._saved = from_cache, saved
        self._finished.set()
        if status is JobStatus.DONE and not self.background:  # the app's own latency (bench_classroom_browser)
            started = max(self.started or self.submitted, self.submitted)  # a background run taken over: from then
            log.info("queue timing: %s waited %.2f s, result %.2f s after submit", self.key, started - self.submitted,
                     time.monotonic() - self.submitted)
