"""The RQ transport: workers on other machines through Redis + RQ, on the same rules as the local one.

``FMNIST_QUEUE_URL=redis://host:6379/0`` switches the app to it; ``python -m fmnist_core worker`` starts an
RQ worker (any number, on any machine that reaches Redis and the shared run cache folder).

- A job's id is its config key, so a config asked for by many sessions on many app servers trains once.
- The tiers of ``rules`` are three RQ queues, which workers take from in order: ``fmnist-first``,
  ``fmnist-more``, ``fmnist-background``. A session's live runs (queued *or started*) decide its tier; a
  learner asking for a queued background run moves it to their tier.
- Progress (epoch, fraction, metrics, history) is the job's ``meta``; watchers are a Redis hash (session ->
  visitor); Stop removes the session and, when nobody is left, withdraws the job or sends RQ's stop-job command.
- A visitor's later run that holds a worker while a first run waits is asked to give way (a Redis key the
  worker reads between chunks); it ends as "yielded" and the first app server that sees it queues it again.
- A worker that dies mid-run stops refreshing the run's heartbeat key; the watchers are told the run failed.
  The run cache writes an entry by renaming a finished folder, so nothing half-written stands under the key.
- A worker outlives a Redis outage (``rq_worker``): it reconnects, registers again, and reports the run it had
  as lost (``fmnist:lost:<key>``, which outlives the job when Redis restarted empty).
- Nothing over Redis is pickled: jobs, meta and results are JSON (``rq.serializers.JSONSerializer``) on both
  sides, so a write to Redis cannot run code here; data that is not JSON is refused as an unreadable run.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import json
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..config import RunConfig
from ..i18n import N_
from ..net.listener import TrainingCancelled
from ..runs.cache import RunCache
from ..runs.results import RunResult
from .base import (
    REDIS_LOST,
    UNREADABLE,
    WORKER_LOST,
    JobSnapshot,
    JobStatus,
    Position,
    QueueUnreachable,
    WorkerLost,
    check,
    learn,
)
from .rules import (
    OVERRAN,
    CostModel,
    Tier,
    allowance,
    check_visitor,
    max_run_seconds,
    max_runs_per_visitor,
    tier,
    wait_seconds,
)
from .work import TASKS, RunOverran, train_run

if TYPE_CHECKING:  # rq is imported only where it is used: the embedded transport runs without it
    from rq.job import Job

QUEUE_URL_ENV = "FMNIST_QUEUE_URL"
QUEUES = ("fmnist-first", "fmnist-more", "fmnist-background")  # indexed by rules.Tier
HEARTBEAT_SECONDS, HEARTBEAT_TTL = 2.0, 10
JOB_TIMEOUT = 6 * 3600  # the cost ceiling keeps page runs far below; the command line has no ceiling
_LIVE = {"queued", "started", "deferred", "scheduled"}
RUN_FAILED = N_("the run failed on its worker")
NOT_STORED = N_("the finished run is not in the shared run cache")
LOST_TTL = 3600  # how long the watchers of a run lost with Redis can still be told
SERIALIZER = "rq.serializers.JSONSerializer"  # for RQ's queues, jobs and workers: never pickle
_log = logging.getLogger(__name__)


def _watchers_key(key: str) -> str:
    return f"fmnist:watchers:{key}"


def _alive_key(key: str) -> str:
    return f"fmnist:alive:{key}"


def _cancel_key(key: str) -> str:  # Stop, as the worker sees it between chunks (RQ's stop command can miss a
    return f"fmnist:cancel:{key}"  # run whose horse has not registered yet)


def _give_way_key(key: str) -> str:
    return f"fmnist:give-way:{key}"


def _promoted_key(key: str) -> str:  # apart from the job's meta, which its worker rewrites with every progress
    return f"fmnist:promoted:{key}"


def _lost_key(key: str) -> str:  # set by a worker whose run was lost in a Redis outage: {"config": ...}
    return f"fmnist:lost:{key}"


def _plain(value: Any) -> Any:
    """``value`` as JSON's plain values (numpy numbers become floats)."""
    return json.loads(json.dumps(value, default=float))


def _unreadable(job: Job) -> bool:
    """True when the job's data or meta in Redis is not JSON (RQ keeps what it cannot read as
    ``meta["unserialized"]``; its data is read lazily): written by something other than this app."""
    from rq.exceptions import DeserializationError

    if "unserialized" in job.meta:
        return True
    try:
        job.func_name  # noqa: B018 - reading it parses the job's data (JSON: nothing runs)
    except DeserializationError:
        return True
    return False


def _status_of(job) -> str:
    status = job.get_status(refresh=True)
    return getattr(status, "value", status)


# --------------------------------------------------------------------------- the worker side


def train_job(config: dict[str, Any], cache_root: str, allowance: float | None = None) -> dict[str, Any]:
    """The RQ job: fetch or train ``config`` into the shared run cache; what the app servers need to know."""
    from rq import get_current_job

    job = get_current_job()
    key = RunConfig.from_dict(config).key
    report = _meta_reporter(job)
    stop = threading.Event()

    def beat() -> None:  # the heartbeat says "this worker is alive"; it stops with the process
        from redis.exceptions import ConnectionError as Unconnected
        from redis.exceptions import TimeoutError as Unanswered

        while not stop.is_set():
            with contextlib.suppress(Unconnected, Unanswered):  # Redis away: the worker's main process sees to it
                job.connection.set(_alive_key(key), "1", ex=HEARTBEAT_TTL)
            stop.wait(HEARTBEAT_SECONDS)

    threading.Thread(target=beat, daemon=True).start()
    try:
        checked = [0.0, False]

        def stop_asked() -> bool:  # asked a few times a second at most
            if time.monotonic() - checked[0] > 0.25:
                checked[:] = [time.monotonic(), bool(job.connection.exists(_cancel_key(key), _give_way_key(key)))]
            return checked[1]

        try:
            found, train_images = train_run(RunConfig.from_dict(config), cache_root, report, stop_asked,
                                            allowance=allowance)
        except RunOverran:
            return {"key": key, "overran": True}
        except TrainingCancelled:
            return {"key": key, _why_stopped(job.connection, key): True}
        if not found.saved:
            raise OSError("the run could not be stored in the shared run cache")
        return {"key": found.run.key, "from_cache": found.from_cache, "train_images": train_images}
    finally:
        stop.set()


def _meta_reporter(job: Job) -> Callable[..., None]:
    """``report(kind, **values)`` for ``work.train_run``: progress into the job's meta, at most twice a second."""
    history: dict[str, list[float]] = {}
    last = [0.0]

    def report(kind: str, **values: Any) -> None:
        if kind == "start":
            job.meta.update(epoch=1, fraction=0.0, logs={}, history={})
        elif kind == "progress":
            job.meta.update(epoch=values["epoch"], fraction=values["fraction"], logs=_plain(values["logs"]))
            if time.monotonic() - last[0] < 0.5:
                return
        else:
            metrics = _plain(values["metrics"])
            for name, value in metrics.items():
                history.setdefault(name, []).append(value)
            job.meta.update(epoch=values["epoch"], fraction=1.0, logs=metrics, history=history)
        job.save_meta()
        last[0] = time.monotonic()

    return report


def _why_stopped(redis: Any, key: str) -> str:
    """'yielded' when the run was asked only to give way, else 'cancelled'."""
    return "yielded" if not redis.exists(_cancel_key(key)) and redis.exists(_give_way_key(key)) else "cancelled"


def call_job(task: str, args: list) -> Any:
    """The RQ job of a short task (``work.TASKS``), its answer as JSON's plain values: bytes as
    ``{"base64": ...}``, a dataclass (a ``MistakeOutcome``) as its fields."""
    value = TASKS[task](*args)
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    return _plain(value)


# --------------------------------------------------------------------------- the app side


def _answering(cls: type) -> type:
    """Every public method and property of ``cls`` (which has ``.url``, or ``.runner.url``) raises
    ``QueueUnreachable`` when Redis does not answer, instead of redis-py's connection errors."""

    def guarded(func: Callable) -> Callable:
        @functools.wraps(func)
        def call(self, *args: Any, **kwargs: Any) -> Any:
            from redis.exceptions import ConnectionError as Unconnected
            from redis.exceptions import TimeoutError as Unanswered

            try:
                return func(self, *args, **kwargs)
            except (Unconnected, Unanswered) as exc:
                url = urlsplit(getattr(self, "url", None) or self.runner.url)
                raise QueueUnreachable(f"{url.hostname}:{url.port or 6379}") from exc

        return call

    for name, member in list(vars(cls).items()):
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            setattr(cls, name, property(guarded(member.fget)))
        elif callable(member):
            setattr(cls, name, guarded(member))
    return cls


@_answering
class RQJob:
    """A run on the RQ queue, seen from an app server."""

    def __init__(self, runner: RQRunner, config: RunConfig) -> None:
        self.runner, self.config = runner, config
        self._result: RunResult | None = None
        self._from_cache = False

    @property
    def key(self) -> str:
        return self.config.key

    def rq_job(self) -> Job | None:
        """RQ's job for this run (fetched afresh), or None when Redis holds none."""
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            return Job.fetch(self.key, connection=self.runner.redis, serializer=SERIALIZER)
        except NoSuchJobError:
            return None

    @property
    def background(self) -> bool:
        job = self.rq_job()
        return (job is not None and job.meta.get("background") is True
                and not self.runner.redis.exists(_promoted_key(self.key)))

    def status_and_error(self, job: Job | None) -> tuple[JobStatus, str | None]:
        """The status of RQ's ``job`` (from ``rq_job``) as the app names it, and the error of a failed one."""
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
            progress = dict(epoch=int(meta.get("epoch", 0)), fraction=float(meta.get("fraction", 0.0)),
                            logs={k: float(v) for k, v in meta.get("logs", {}).items()},
                            history={k: [float(x) for x in v] for k, v in meta.get("history", {}).items()})
        except (TypeError, ValueError, AttributeError):  # JSON, but not the progress this app writes
            self.runner.refuse(self.key, "its progress is not what a worker of this app writes")
            status, error = JobStatus.FAILED, UNREADABLE
            progress = dict(epoch=0, fraction=0.0, logs={}, history={})
        return JobSnapshot(key=self.key, config=self.config, status=status, **progress, error=error,
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


@_answering
class RQRunner:
    """The ``Runner`` over Redis + RQ, for many app servers and workers."""

    def __init__(self, url: str, cache: RunCache, max_seconds: float | None = None) -> None:
        from redis import Redis
        from rq import Queue

        self.url, self.cache = url, cache
        self.max_seconds = max_run_seconds() if max_seconds is None else max_seconds
        self.costs = CostModel()
        self.redis = Redis.from_url(url)
        self.queues = [Queue(name, connection=self.redis, serializer=SERIALIZER) for name in QUEUES]
        self._seen: dict[str, object] = {}  # key -> when its last finished run ended (learnt from once)
        self._refused: set[str] = set()  # keys whose unreadable data was logged (once each)

    def refuse(self, key: str, why: str) -> None:
        """Log once per key that the queue's data for run ``key`` was refused, and why."""
        if key not in self._refused:
            self._refused.add(key)
            _log.warning("refused the queue's data for run %s: %s (is something other than this app writing to "
                         "Redis? Keep Redis private: see the README)", key, why)

    def refused(self, job: Job) -> bool:
        """True (logged once) when RQ's ``job`` holds data or meta that is not JSON."""
        if _unreadable(job):
            self.refuse(job.id, "its data or meta is not JSON")
            return True
        return False

    def done_value(self, job: Job) -> dict | None:
        """What the finished ``job`` returned (a dict), or None (logged once) when it is not JSON this app wrote."""
        try:
            value = job.return_value()
        except ValueError:  # not JSON (json's and the UTF-8 decoder's errors, base64's too, are ValueErrors)
            value = None
        else:
            value = {} if value is None else value
        if not isinstance(value, dict):
            self.refuse(job.id, "its result is not JSON this app wrote")
            return None
        return value

    def first_sight(self, key: str, ended_at: object) -> bool:
        """True the first time this server sees the run ``key`` that ended at ``ended_at``."""
        if self._seen.get(key) == ended_at:
            return False
        self._seen[key] = ended_at
        return True

    def check(self, config: RunConfig) -> None:
        check(self, config)

    def submit(self, config: RunConfig, session: str = "local", limit: bool = False,
               visitor: str | None = None) -> RQJob:
        """Queue ``config`` (job id: its key) for ``session`` (of ``visitor``), or join (and take over) the live
        job for it; a page run (``limit``) is refused when too big or when its visitor has enough live runs."""
        if limit:
            self.check(config)
        return self._submit(config, session, visitor or session, max_runs_per_visitor() if limit else None,
                            allowance(limit, self.max_seconds))

    def _submit(self, config: RunConfig, session: str | None, visitor: str = "", max_runs: int | None = None,
                allowance: float | None = None) -> RQJob:
        key, job = config.key, RQJob(self, config)
        with self.redis.lock(f"fmnist:enqueue:{key}", timeout=10):
            existing = job.rq_job()
            if existing is not None and not job.status_and_error(existing)[0].finished:
                if session is not None:
                    self.redis.hset(_watchers_key(key), session, visitor)
                    if existing.meta.get("background") and not self.redis.exists(_promoted_key(key)):
                        self._promote(existing, visitor)
                return job
            if max_runs is not None:
                check_visitor(self._live_runs(visitor, but=key), max_runs)
            if existing is not None:
                existing.delete()
            self.redis.delete(_watchers_key(key), _promoted_key(key), _cancel_key(key), _give_way_key(key),
                              _lost_key(key))  # a new run: nothing of the one before (watchers, a takeover, a Stop,
            # a give-way, a loss) carries over
            rank = Tier.BACKGROUND if session is None else tier(self._live_runs(visitor, but=key))
            if session is not None:
                self.redis.hset(_watchers_key(key), session, visitor)
            self.queues[rank].enqueue(train_job, config.to_dict(), str(self.cache.root), allowance, job_id=key,
                                      job_timeout=JOB_TIMEOUT, result_ttl=3600, failure_ttl=3600,
                                      meta={"config": config.to_dict(), "background": session is None,
                                            "tier": int(rank), "allowance": allowance})
        if rank is Tier.FIRST:
            self._give_way_if_needed()
        return job

    def requeue(self, finished: Job) -> Job | None:
        """A run that gave way goes back to the front of its tier, watchers kept (once, whoever sees it first);
        RQ's job for it now."""
        from rq.job import Job

        key = finished.id
        with self.redis.lock(f"fmnist:enqueue:{key}", timeout=10):
            current = Job.fetch(key, connection=self.redis, serializer=SERIALIZER)
            if _status_of(current) == "finished" and _yielded(current):
                meta, args = dict(current.meta), current.args
                current.delete()
                self.redis.delete(_give_way_key(key))
                self.queues[meta.get("tier", Tier.MORE)].enqueue(
                    train_job, *args, job_id=key, job_timeout=JOB_TIMEOUT, result_ttl=3600, failure_ttl=3600,
                    meta={k: meta[k] for k in ("config", "background", "tier", "allowance") if k in meta},
                    at_front=True)
            return Job.fetch(key, connection=self.redis, serializer=SERIALIZER)

    def _give_way_if_needed(self) -> None:
        """A first run waits and no worker is idle: a later run of a visitor who holds two workers gives way."""
        from rq import Worker
        from rq.registry import StartedJobRegistry

        started = [key for name in QUEUES[: Tier.BACKGROUND]
                   for key in StartedJobRegistry(name, connection=self.redis).get_job_ids()]
        if not self.queues[Tier.FIRST].count or len(started) < len(Worker.all(connection=self.redis)):
            return
        visitors = {key: set(v.decode() for v in self.redis.hvals(_watchers_key(key))) for key in started}
        held = Counter(v for vs in visitors.values() for v in vs)
        for key in started:
            job = self.get(key)
            meta = job.rq_job().meta if job is not None and job.rq_job() is not None else {}
            if meta.get("tier") == Tier.MORE and any(held[v] > 1 for v in visitors[key]):
                self.redis.set(_give_way_key(key), "1", ex=JOB_TIMEOUT)
                return

    def _promote(self, existing, visitor: str) -> None:
        """A learner wants a background run: it is theirs now (Stop can cancel it), and if it still waits it
        moves to their tier."""
        self.redis.set(_promoted_key(existing.id), "1", ex=JOB_TIMEOUT)
        if _status_of(existing) == "queued" and existing.origin == QUEUES[Tier.BACKGROUND]:
            self.queues[Tier.BACKGROUND].remove(existing.id)
            rank = tier(self._live_runs(visitor, but=existing.id))
            existing.meta["tier"] = int(rank)
            existing.save_meta()
            self.queues[rank].enqueue_job(existing)

    def _live_keys(self) -> set[str]:
        """Learner runs queued in the first two tiers or started there (or a started background run a learner
        took over)."""
        from rq.registry import StartedJobRegistry

        keys = set()
        for name in QUEUES[: Tier.BACKGROUND]:
            keys.update(self.queues[QUEUES.index(name)].job_ids)
            keys.update(StartedJobRegistry(name, connection=self.redis).get_job_ids())
        keys.update(key for key in StartedJobRegistry(QUEUES[Tier.BACKGROUND], connection=self.redis).get_job_ids()
                    if self.redis.exists(_promoted_key(key)))
        return keys

    def _live_runs(self, visitor: str, but: str) -> int:
        """The visitor's live learner runs."""
        return sum(1 for key in self._live_keys() - {but}
                   if visitor.encode() in self.redis.hvals(_watchers_key(key)))

    def drop_sessions(self, sessions: Iterable[str]) -> int:
        """These sessions ended: each leaves every run it watched; returns the runs cancelled for want of
        watchers. Only this server's sessions are named, so other servers' watchers stay."""
        gone, cancelled = list(sessions), 0
        if not gone:
            return 0
        for key in self._live_keys() | set(self.queues[Tier.BACKGROUND].job_ids):
            if self.redis.hdel(_watchers_key(key), *gone) and not self.redis.hlen(_watchers_key(key)):
                job = self.get(key)
                if job is not None and not job.background:
                    job.cancel()
                    cancelled += 1
        return cancelled

    def prefetch(self, configs: Iterable[RunConfig]) -> list[RQJob]:
        return [self._submit(c, None) for c in configs if self.cache.load(c.key) is None]

    def leave(self, job: RQJob, session: str) -> int:
        """``session`` stops watching; the run is stopped when nobody is left. Returns the watchers left."""
        self.redis.hdel(_watchers_key(job.key), session)
        left = int(self.redis.hlen(_watchers_key(job.key)))
        if left == 0 and not job.background:
            job.cancel()
        return left

    def get(self, key: str) -> RQJob | None:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            job = Job.fetch(key, connection=self.redis, serializer=SERIALIZER)
        except NoSuchJobError:
            lost = self.redis.get(_lost_key(key))  # a run lost with Redis: its watchers are told
            return self._job_of(key, _json(lost).get("config")) if lost else None
        if self.refused(job):
            return None
        return self._job_of(key, job.meta.get("config"))

    def _job_of(self, key: str, config: Any) -> RQJob | None:
        """The job of run ``key`` for its stored ``config`` (a dict); None (logged) when that is not a config of
        this key."""
        try:
            run = RunConfig.from_dict(config) if isinstance(config, dict) else None
        except (TypeError, ValueError, KeyError, AttributeError):
            run = None
        if run is None or run.key != key:
            if config is not None:
                self.refuse(key, "its configuration is not one this app wrote")
            return None
        return RQJob(self, run)

    def queued(self) -> list[RQJob]:
        return [j for queue in self.queues for j in map(self.get, queue.job_ids) if j is not None]

    def position(self, job: RQJob) -> Position | None:
        """Runs ahead (in earlier tiers, ahead in its own, and running) and about how long until it starts."""
        from rq import Worker
        from rq.registry import StartedJobRegistry

        queue = self.queued()
        keys = [j.key for j in queue]
        if job.key not in keys:
            return None
        running = [j for name in QUEUES for j in map(self.get, StartedJobRegistry(name, connection=self.redis)
                                                     .get_job_ids()) if j is not None]
        ahead = queue[: keys.index(job.key)]
        workers = len(Worker.all(connection=self.redis))  # registered ones: a worker registers again after an outage
        seconds = wait_seconds(self.costs, [(j.config, j.snapshot().overall_fraction) for j in running],
                               [j.config for j in ahead], workers)
        return Position(len(ahead) + len(running), seconds, workers)

    def _call(self, task: str, *args: Any, timeout: float = 600) -> Any:
        job = self.queues[Tier.FIRST].enqueue(call_job, task, list(args), job_id=f"call-{uuid.uuid4().hex}",
                                              result_ttl=600, failure_ttl=600, job_timeout=timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = _status_of(job)
            if status == "finished":
                value = self.done_value(job)
                if value is None:
                    raise WorkerLost(UNREADABLE)
                return value
            if status in ("failed", "stopped", "canceled"):
                raise WorkerLost(_last_line(job.exc_info) or RUN_FAILED)
            time.sleep(0.2)
        job.cancel()
        raise WorkerLost(N_("A worker process took too long to answer."))

    def mistake(self, name: str) -> Any:
        """One Common mistake trained through Keras on a worker (a ``MistakeOutcome``)."""
        from ..net.mistakes import MistakeOutcome

        try:
            return MistakeOutcome(**self._call("mistake", name))
        except TypeError as exc:
            raise WorkerLost(UNREADABLE) from exc

    def keras_file(self, key: str) -> bytes:
        """The ``.keras`` file of a stored run, written by a worker."""
        try:
            return base64.b64decode(self._call("keras_file", str(self.cache.root), key)["base64"], validate=True)
        except (KeyError, TypeError, ValueError) as exc:
            raise WorkerLost(UNREADABLE) from exc


def _json(raw: bytes) -> dict:
    """``raw`` parsed as a JSON object; {} when it is not one."""
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _yielded(job: Job) -> bool:
    done = job.return_value()
    return isinstance(done, dict) and bool(done.get("yielded"))


def _last_line(text: str | None) -> str | None:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else None
