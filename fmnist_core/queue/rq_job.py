"""A run on the RQ queue as an app server sees it (``RQJob``): its status, read afresh from Redis at every look,
and its progress from the job's meta (``wire.RunProgress``)."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Protocol

from ..config import RunConfig
from ..i18n import N_
from ..runs.results import RunResult
from .base import REDIS_LOST, UNREADABLE, WORKER_LOST, JobSnapshot, JobStatus, learn
from .rq import (
    HEARTBEAT_TTL,
    JOB_TIMEOUT,
    SERIALIZER,
    _alive_key,
    _cancel_key,
    _last_line,
    _lost_key,
    _promoted_key,
    _status_of,
    _watchers_key,
    _yielded,
)
from .rules import OVERRAN
from .wire import RunProgress

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from redis import Redis
    from rq.job import Job

    from ..runs.cache import RunCache
    from .rules import CostModel


class RQRunnerSide(Protocol):
    """What a job asks of its runner (``rq_runner.RQRunner``), named here so that the job's module does not import
    the runner's (which imports this one)."""

    cache: RunCache
    costs: CostModel
    redis: Redis

    def reachable(self) -> AbstractContextManager[None]: ...
    def refuse(self, key: str, why: str) -> None: ...
    def refused(self, job: Job) -> bool: ...
    def done_value(self, job: Job) -> dict | None: ...
    def first_sight(self, key: str, ended_at: object) -> bool: ...
    def requeue(self, finished: Job) -> Job | None: ...

_LIVE = {"queued", "started", "deferred", "scheduled"}
RUN_FAILED = N_("the run failed on its worker")
NOT_STORED = N_("the finished run is not in the shared run cache")


class RQJob:
    """A run on the RQ queue, seen from an app server."""

    def __init__(self, runner: RQRunnerSide, config: RunConfig) -> None:
        self.runner, self.config = runner, config
        self._result: RunResult | None = None
        self._from_cache = False  # done: the worker found the run stored

    @property
    def key(self) -> str:
        return self.config.key

    def rq_job(self) -> Job | None:
        """RQ's job for this run (fetched afresh), or None when Redis holds none."""
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        with self.runner.reachable():
            try:
                return Job.fetch(self.key, connection=self.runner.redis, serializer=SERIALIZER)
            except NoSuchJobError:
                return None

    @property
    def background(self) -> bool:
        with self.runner.reachable():
            job = self.rq_job()
            return (job is not None and job.meta.get("background") is True
                    and not self.runner.redis.exists(_promoted_key(self.key)))

    def status_and_error(self, job: Job | None) -> tuple[JobStatus, str | None]:
        """The status of RQ's ``job`` (from ``rq_job``) as the app names it, and the error of a failed one."""
        with self.runner.reachable():
            lost = self.runner.redis.exists(_lost_key(self.key))  # its worker said Redis went away during this run
            if job is None:
                return (JobStatus.FAILED, REDIS_LOST) if lost else (JobStatus.CANCELLED, None)
            if self.runner.refused(job):
                return JobStatus.FAILED, UNREADABLE
            status = _status_of(job)
            if lost and status != "finished":
                return JobStatus.FAILED, REDIS_LOST
            if status == "finished":
                done = self.runner.done_value(job)
                if done is None:
                    return JobStatus.FAILED, UNREADABLE
                if done.get("overran"):
                    return JobStatus.FAILED, OVERRAN
                if done.get("yielded"):
                    return JobStatus.QUEUED, None  # gave way: queued again by ``requeue``
                return (JobStatus.CANCELLED if done.get("cancelled") else JobStatus.DONE), None
            if status in ("stopped", "canceled"):
                return JobStatus.CANCELLED, None
            if status == "failed":
                return JobStatus.FAILED, _last_line(job.exc_info) or RUN_FAILED
            if status == "started":
                started = job.started_at.timestamp() if job.started_at else time.time()
                if not self.runner.redis.exists(_alive_key(self.key)) and time.time() - started > HEARTBEAT_TTL:
                    return JobStatus.FAILED, WORKER_LOST
                return JobStatus.RUNNING, None
            return JobStatus.QUEUED, None

    def snapshot(self) -> JobSnapshot:
        with self.runner.reachable():
            job = self.rq_job()
            if job is not None and _status_of(job) == "finished" and _yielded(job):
                job = self.runner.requeue(job)
            status, error = self.status_and_error(job)
            meta = job.meta if job is not None and error != UNREADABLE else {}
            if status is JobStatus.DONE and self._result is None:
                self._result = self.runner.cache.load(self.key)
                if self._result is None:
                    status, error = JobStatus.FAILED, NOT_STORED
                else:
                    done = self.runner.done_value(job) or {}
                    self._from_cache = bool(done.get("from_cache", False))
                    if self.runner.first_sight(self.key, job.ended_at):  # each finished run teaches once
                        train_images = done.get("train_images")
                        learn(self.runner.costs, self._result, self._from_cache,
                              train_images if isinstance(train_images, int) else None)
            try:
                progress = RunProgress.read(meta)
            except ValueError:  # JSON, but not the progress this app writes
                self.runner.refuse(self.key, "its progress is not what a worker of this app writes")
                status, error, progress = JobStatus.FAILED, UNREADABLE, RunProgress()
            return JobSnapshot(key=self.key, config=self.config, status=status, **progress.fields(), error=error,
                               result=self._result, watchers=int(self.runner.redis.hlen(_watchers_key(self.key))),
                               from_cache=self._from_cache)

    @property
    def finished(self) -> bool:
        return self.snapshot().status.finished

    @property
    def live(self) -> bool:
        return not self.finished

    @property
    def status(self) -> JobStatus:
        return self.snapshot().status

    def watched_by(self, session: str) -> bool:
        with self.runner.reachable():
            return bool(self.runner.redis.hexists(_watchers_key(self.key), session))

    def wait(self, timeout: float | None = None) -> bool:
        deadline = time.monotonic() + (timeout if timeout is not None else 1e9)
        while time.monotonic() < deadline:
            if self.finished:
                return True
            time.sleep(0.2)
        return self.finished

    def cancel(self) -> None:
        """Stop the run for everyone: withdraw it from the queue, or stop it on its worker."""
        from rq.command import send_stop_job_command
        from rq.exceptions import InvalidJobOperation

        with self.runner.reachable():
            self.runner.redis.delete(_watchers_key(self.key))
            self.runner.redis.set(_cancel_key(self.key), "1", ex=JOB_TIMEOUT)
            job = self.rq_job()
            if job is None:
                return
            status = _status_of(job)
            if status == "started":
                with contextlib.suppress(InvalidJobOperation):
                    send_stop_job_command(self.runner.redis, self.key)
            elif status in _LIVE:
                job.cancel()
