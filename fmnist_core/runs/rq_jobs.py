"""Training on workers on other machines, through Redis and RQ: the job runner's interface, shared by app servers.

``FMNIST_QUEUE_URL=redis://host:6379/0`` switches the app from in-process threads (``jobs.JobRunner``) to this;
``python -m fmnist_core worker`` starts an RQ worker (any number, on any machine that reaches Redis and the
shared run cache folder). Nothing home-made stands in between:

- a job's id is its config key, so a config asked for by many sessions on many app servers trains once;
- fairness: a session's first live run goes to the queue ``fmnist-first``, later ones to ``fmnist-more``,
  background runs to ``fmnist-background``; workers take from them in that order;
- progress (epoch, fraction, metrics, history) is the job's ``meta``; the position is RQ's queue position;
- withdraw cancels a queued RQ job; Stop removes the session from the job's watchers (a Redis set) and, when
  nobody is left, sends RQ's stop-job command;
- a worker that dies mid-run stops refreshing the run's heartbeat key; the watchers are told the run failed
  and may retry. The run cache writes an entry by renaming a finished folder, so nothing half-written ever
  stands under the real key.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..config import RunConfig
from .cache import RunCache
from .jobs import CostModel, JobSnapshot, JobStatus, Position, check_cost
from .results import RunResult
from .training import TrainingListener

QUEUE_URL_ENV = "FMNIST_QUEUE_URL"
QUEUES = ("fmnist-first", "fmnist-more", "fmnist-background")  # workers take from them in this order
HEARTBEAT_SECONDS, HEARTBEAT_TTL = 2.0, 10
JOB_TIMEOUT = 6 * 3600  # the cost ceiling keeps page runs far below; the command line does not use RQ
_LIVE = {"queued", "started", "deferred", "scheduled"}


def _watchers_key(key: str) -> str:
    return f"fmnist:watchers:{key}"


def _alive_key(key: str) -> str:
    return f"fmnist:alive:{key}"


# --------------------------------------------------------------------------- the worker side


class MetaListener(TrainingListener):
    """Writes the training progress into the RQ job's meta (at most every half second, and every epoch)."""

    def __init__(self, job) -> None:
        self.job, self.history, self._last = job, {}, 0.0

    def _save(self, force: bool = False, **values: Any) -> None:
        self.job.meta.update(values)
        if force or time.monotonic() - self._last > 0.5:
            self.job.save_meta()
            self._last = time.monotonic()

    def on_run_start(self, config: RunConfig, steps_per_epoch: int) -> None:
        self._save(True, epoch=1, fraction=0.0, logs={}, history={})

    def on_progress(self, epoch: int, fraction: float, logs: dict[str, float]) -> None:
        self._save(epoch=epoch, fraction=fraction, logs=logs)

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        for name, value in metrics.items():
            self.history.setdefault(name, []).append(value)
        self._save(True, epoch=epoch, fraction=1.0, logs=metrics, history=self.history)


def train_job(config: dict[str, Any], cache_root: str) -> str:
    """The RQ job: fetch or train ``config`` into the shared run cache; returns its key."""
    from rq import get_current_job

    job = get_current_job()
    key = RunConfig.from_dict(config).key
    stop = threading.Event()

    def beat() -> None:  # the heartbeat says "this worker is alive"; it stops with the process
        while not stop.is_set():
            job.connection.set(_alive_key(key), "1", ex=HEARTBEAT_TTL)
            stop.wait(HEARTBEAT_SECONDS)

    threading.Thread(target=beat, daemon=True).start()
    try:
        result = RunCache(cache_root).get_or_train(RunConfig.from_dict(config), listener=MetaListener(job))
        if not result.saved:
            raise OSError("the run could not be stored in the shared run cache")
        return result.key
    finally:
        stop.set()


def run_worker(url: str, burst: bool = False) -> None:
    """Start an RQ worker on the three queues (blocks)."""
    from redis import Redis
    from rq import Queue, Worker

    connection = Redis.from_url(url)
    Worker([Queue(name, connection=connection) for name in QUEUES], connection=connection).work(burst=burst)


# --------------------------------------------------------------------------- the app side


@dataclass
class RQJob:
    """A run on the RQ queue, seen from an app server (the interface of ``jobs.TrainingJob``)."""

    runner: RQRunner
    config: RunConfig
    background: bool = False
    _result: RunResult | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return self.config.key

    def _job(self):
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            return Job.fetch(self.key, connection=self.runner.redis)
        except NoSuchJobError:
            return None

    def _status(self, job) -> tuple[JobStatus, str | None]:
        if job is None:
            return JobStatus.CANCELLED, None
        status = job.get_status(refresh=True)
        status = getattr(status, "value", status)
        if status == "finished":
            return JobStatus.DONE, None
        if status in ("stopped", "canceled"):
            return JobStatus.CANCELLED, None
        if status == "failed":
            return JobStatus.FAILED, _last_line(job.exc_info) or "the run failed on its worker"
        if status == "started":
            started = job.started_at.timestamp() if job.started_at else time.time()
            if not self.runner.redis.exists(_alive_key(self.key)) and time.time() - started > HEARTBEAT_TTL:
                return JobStatus.FAILED, ("the worker training this run stopped unexpectedly; press Train to "
                                          "try again")
            return JobStatus.RUNNING, None
        return JobStatus.QUEUED, None

    def snapshot(self) -> JobSnapshot:
        job = self._job()
        status, error = self._status(job)
        meta = job.meta if job is not None else {}
        if status is JobStatus.DONE and self._result is None:
            self._result = self.runner.cache.load(self.key)
            if self._result is not None:
                self._result.from_cache = False  # trained for this job by a worker, just now
            if self._result is None:
                status, error = JobStatus.FAILED, "the finished run is not in the shared run cache"
        return JobSnapshot(
            key=self.key, config=self.config, status=status, epoch=int(meta.get("epoch", 0)),
            fraction=float(meta.get("fraction", 0.0)), logs=dict(meta.get("logs", {})),
            history={k: list(v) for k, v in meta.get("history", {}).items()}, error=error, result=self._result,
            elapsed=0.0, watchers=int(self.runner.redis.scard(_watchers_key(self.key))),
        )

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
        return bool(self.runner.redis.sismember(_watchers_key(self.key), session))

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

        self.runner.redis.delete(_watchers_key(self.key))
        job = self._job()
        if job is None:
            return
        status = getattr(job.get_status(), "value", job.get_status())
        if status == "started":
            try:
                send_stop_job_command(self.runner.redis, self.key)
            except InvalidJobOperation:
                pass
        elif status in _LIVE:
            job.cancel()


@dataclass
class RQRunner:
    """The job runner over Redis + RQ: the same rules as ``jobs.JobRunner`` for many app servers."""

    url: str
    cache: RunCache
    max_seconds: float = 180.0
    costs: CostModel = field(default_factory=CostModel)

    def __post_init__(self) -> None:
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(self.url)
        self.queues = {name: Queue(name, connection=self.redis) for name in QUEUES}

    def check(self, config: RunConfig) -> None:
        """Raise Refused when ``config`` is too big for a page or a link (see ``jobs.check_cost``)."""
        check_cost(config, self.costs, self.max_seconds, self.cache)

    def submit(self, config: RunConfig, session: str = "local", limit: bool = False,
               background: bool = False) -> RQJob:
        """Queue ``config`` (job id: its key) for ``session``, or join the live job for it."""
        if limit:
            self.check(config)
        key = config.key
        if not background:
            self.redis.sadd(_watchers_key(key), session)
        with self.redis.lock(f"fmnist:enqueue:{key}", timeout=10):
            job = RQJob(self, config, background)
            existing = job._job()
            if existing is not None:
                status, _ = job._status(existing)
                if not status.finished:
                    return job
                existing.delete()
            if background:
                queue = self.queues["fmnist-background"]
            else:
                mine = sum(1 for name in QUEUES[:2] for other in self.queues[name].job_ids
                           if other != key and self.redis.sismember(_watchers_key(other), session))
                queue = self.queues["fmnist-first" if mine == 0 else "fmnist-more"]
            queue.enqueue(train_job, config.to_dict(), str(self.cache.root), job_id=key, job_timeout=JOB_TIMEOUT,
                          result_ttl=3600, failure_ttl=3600, meta={"config": config.to_dict()})
        return job

    def prefetch(self, configs: Iterable[RunConfig]) -> list[RQJob]:
        return [self.submit(c, background=True) for c in configs if self.cache.load(c.key) is None]

    def leave(self, job: RQJob, session: str) -> int:
        """``session`` stops watching; the run is stopped when nobody is left. Returns the watchers left."""
        self.redis.srem(_watchers_key(job.key), session)
        left = int(self.redis.scard(_watchers_key(job.key)))
        if left == 0 and not job.background:
            job.cancel()
        return left

    def get(self, key: str) -> RQJob | None:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            job = Job.fetch(key, connection=self.redis)
        except NoSuchJobError:
            return None
        return RQJob(self, RunConfig.from_dict(job.meta["config"]), background=job.origin == QUEUES[2])

    def queued(self) -> list[RQJob]:
        out = []
        for name in QUEUES:
            out += [j for j in map(self.get, self.queues[name].job_ids) if j is not None]
        return out

    def position(self, job: RQJob) -> Position | None:
        """Runs ahead (in higher queues, ahead in its own, and running) and about how long until it starts."""
        queue = self.queued()
        keys = [j.key for j in queue]
        if job.key not in keys:
            return None
        ahead = queue[: keys.index(job.key)]
        from rq.registry import StartedJobRegistry

        running = sum(StartedJobRegistry(name, connection=self.redis).count for name in QUEUES)
        workers = max(1, _worker_count(self.redis))
        seconds = (sum(self.costs.estimate(j.config) for j in ahead) + running * self.costs.overhead) / workers
        return Position(len(ahead) + running, seconds)


def _worker_count(connection) -> int:
    from rq import Worker

    return len(Worker.all(connection=connection))


def _last_line(text: str | None) -> str | None:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else None
