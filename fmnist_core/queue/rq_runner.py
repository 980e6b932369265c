"""The ``Runner`` over Redis + RQ (``RQRunner``), in each app server: it queues runs in the three tiers, keeps
their watchers, promotes, withdraws, stops and requeues them, and asks a worker for short tasks. What the queue
looks like in Redis is described in ``rq``; every call to Redis here sits in ``with self.reachable()``."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..config import RunConfig
from ..runs.cache import RunCache
from .base import NO_ANSWER, UNREADABLE, Position, QueueUnreachable, WorkerLost, check
from .rq import (
    JOB_TIMEOUT,
    QUEUES,
    SERIALIZER,
    _cancel_key,
    _give_way_key,
    _last_line,
    _lost_key,
    _promoted_key,
    _status_of,
    _unreadable,
    _watchers_key,
    _yielded,
    call_job,
    train_job,
)
from .rq_job import RUN_FAILED, RQJob
from .rules import CostModel, Tier, allowance, check_visitor, max_run_seconds, max_runs_per_visitor, tier, wait_seconds

if TYPE_CHECKING:
    from rq.job import Job

_log = logging.getLogger(__name__)


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

    @contextlib.contextmanager
    def reachable(self) -> Iterator[None]:
        """Around the calls to Redis (every public method of this runner and its jobs that makes one): redis-py's
        connection errors become ``QueueUnreachable``, the one sentence a page shows instead of a traceback."""
        from redis.exceptions import ConnectionError as Unconnected
        from redis.exceptions import TimeoutError as Unanswered

        try:
            yield
        except (Unconnected, Unanswered) as exc:
            url = urlsplit(self.url)
            raise QueueUnreachable(f"{url.hostname}:{url.port or 6379}") from exc

    def refuse(self, key: str, why: str) -> None:
        """Log once per key that the queue's data for run ``key`` was refused, and why."""
        if key not in self._refused:
            self._refused.add(key)
            _log.warning("refused the queue's data for run %s: %s (is something other than this app writing to "
                         "Redis? Keep Redis private: see the README)", key, why)

    def refused(self, job: Job) -> bool:
        """True (logged once) when RQ's ``job`` holds data or meta that is not JSON."""
        with self.reachable():
            if _unreadable(job):
                self.refuse(job.id, "its data or meta is not JSON")
                return True
            return False

    def done_value(self, job: Job) -> dict | None:
        """What the finished ``job`` returned (a dict), or None (logged once) when it is not JSON this app wrote."""
        with self.reachable():
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
        """True the first time this server sees the run ``key`` that ended at ``ended_at`` (None: not read yet; a
        job's status can be read as finished before its end time is)."""
        if key in self._seen and self._seen[key] == ended_at:
            return False
        self._seen[key] = ended_at
        return True

    def check(self, config: RunConfig) -> None:
        check(self, config)

    def submit(self, config: RunConfig, session: str = "local", limit: bool = False,
               visitor: str | None = None) -> RQJob:
        """Queue ``config`` (job id: its key) for ``session`` (of ``visitor``), or join (and take over) the live
        job for it; a page run (``limit``) is refused when too big or when its visitor has enough live runs."""
        with self.reachable():
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

        with self.reachable():
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
        with self.reachable():
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
        with self.reachable():
            return [self._submit(c, None) for c in configs if self.cache.load(c.key) is None]

    def leave(self, job: RQJob, session: str) -> int:
        """``session`` stops watching; the run is stopped when nobody is left. Returns the watchers left."""
        with self.reachable():
            self.redis.hdel(_watchers_key(job.key), session)
            left = int(self.redis.hlen(_watchers_key(job.key)))
            if left == 0 and not job.background:
                job.cancel()
            return left

    def get(self, key: str) -> RQJob | None:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        with self.reachable():
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
        with self.reachable():
            return [j for queue in self.queues for j in map(self.get, queue.job_ids) if j is not None]

    def running(self) -> list[RQJob]:
        """Runs a worker has started and not finished (short calls, which have no run, left out)."""
        from rq.registry import StartedJobRegistry

        with self.reachable():
            return [j for name in QUEUES for j in map(self.get, StartedJobRegistry(name, connection=self.redis)
                                                      .get_job_ids()) if j is not None]

    def position(self, job: RQJob) -> Position | None:
        """Runs ahead (in earlier tiers, ahead in its own, and running) and about how long until it starts."""
        from rq import Worker
        from rq.registry import StartedJobRegistry

        with self.reachable():
            queue = self.queued()
            keys = [j.key for j in queue]
            if job.key not in keys:
                return None
            running = [j for name in QUEUES for j in map(self.get, StartedJobRegistry(name, connection=self.redis)
                                                         .get_job_ids()) if j is not None]
            ahead = queue[: keys.index(job.key)]
            # registered ones: a worker registers again after an outage
            workers = len(Worker.all(connection=self.redis))
            seconds = wait_seconds(self.costs, [(j.config, j.snapshot().overall_fraction) for j in running],
                                   [j.config for j in ahead], workers)
            return Position(len(ahead) + len(running), seconds, workers)

    def _call(self, task: str, *args: Any, timeout: float = 600) -> Any:
        with self.reachable():
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
            raise WorkerLost(NO_ANSWER)

    def mistake(self, name: str) -> Any:
        """One Common mistake trained through Keras on a worker (a ``MistakeOutcome``)."""
        from ..reports import MistakeOutcome

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
