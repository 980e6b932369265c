"""The embedded transport: a few local worker processes, started by the app, that do the TensorFlow work.

The web process keeps the queue and the jobs (``local_pool``, ``local_job``); each worker process
(``local_process`` starts ``python -m fmnist_core.queue.local_worker FD``) imports TensorFlow once, warms it up,
then trains up to ``FMNIST_WORKER_THREADS`` runs at once, each in a thread, and answers short tasks (a Common
mistake, a ``.keras`` file) in threads beside them.
The two talk over a socket pair in the messages of ``wire``: tasks, cancel and give-way one way; progress, epochs
and outcomes the other. Results live in the run cache on disk; only a run that could not be stored crosses the
socket. A worker exits as soon as its socket closes, so none outlives the server, however the server ends
(Ctrl-C, SIGTERM, a crash, SIGKILL).

This module is the ``Runner`` over them (``LocalRunner``) and the one pool a process shares (``shared_pool``).
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterable
from typing import Any

from .. import settings
from ..config import RunConfig
from ..runs.cache import RunCache
from .base import Position, check
from .local_job import LocalJob
from .local_pool import WorkerPool
from .rules import CostModel, allowance, max_run_seconds, max_runs_per_visitor

__all__ = ["LocalJob", "LocalRunner", "WorkerPool", "shared_pool"]


class LocalRunner:
    """The ``Runner`` over local worker processes, for one run cache."""

    def __init__(self, cache: RunCache, pool: WorkerPool | None = None, max_seconds: float | None = None) -> None:
        self.cache = cache
        self.pool = pool or shared_pool()
        self.max_seconds = max_run_seconds() if max_seconds is None else max_seconds

    @property
    def costs(self) -> CostModel:
        return self.pool.costs

    @property
    def workers(self) -> int:
        return self.pool.size

    def check(self, config: RunConfig) -> None:
        check(self, config)

    def submit(self, config: RunConfig, session: str = "local", limit: bool = False,
               visitor: str | None = None) -> LocalJob:
        if limit:
            self.check(config)
        return self.pool.submit(self.cache, config, session, visitor, max_runs_per_visitor() if limit else None,
                                allowance(limit, self.max_seconds))

    def drop_sessions(self, sessions: Iterable[str]) -> int:
        return self.pool.drop_sessions(sessions)

    def prefetch(self, configs: Iterable[RunConfig]) -> list[LocalJob]:
        return self.pool.prefetch(self.cache, configs)

    def leave(self, job: LocalJob, session: str) -> int:
        return self.pool.leave(job, session)

    def get(self, key: str) -> LocalJob | None:
        return self.pool.get(self.cache, key)

    def queued(self) -> list[LocalJob]:
        return self.pool.queued(self.cache)

    def running(self) -> list[LocalJob]:
        return self.pool.running(self.cache)

    def position(self, job: LocalJob) -> Position | None:
        return self.pool.position(job)

    def mistake(self, name: str) -> Any:
        """One Common mistake trained through Keras in a worker (a ``MistakeOutcome``)."""
        return self.pool.call("mistake", name, settings.text("FMNIST_DATA_DIR"))

    def keras_file(self, key: str) -> bytes:
        """The ``.keras`` file of a stored run, written by a worker."""
        return self.pool.call("keras_file", str(self.cache.root), key)


_shared: WorkerPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> WorkerPool:
    """This process's pool of worker processes (``FMNIST_WORKERS`` runs at once), closed when the process exits."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = WorkerPool()
            atexit.register(_shared.close)
        return _shared
