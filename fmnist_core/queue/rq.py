"""The RQ transport: workers on other machines through Redis + RQ, on the same rules as the local one.

``FMNIST_QUEUE_URL=redis://host:6379/0`` switches the app to it; ``python -m fmnist_core worker`` starts an
RQ worker (any number, on any machine that reaches Redis and the shared run cache folder).

- A job's id is its config key, so a config asked for by many sessions on many app servers trains once.
- The tiers of ``rules`` are three RQ queues, which workers take from in order: ``fmnist-first``,
  ``fmnist-more``, ``fmnist-background``. A session's live runs (queued *or started*) decide its tier; a
  learner asking for a queued background run moves it to their tier.
- Progress (epoch, fraction, metrics, history) is the job's ``meta``; watchers are a Redis set; Stop removes
  the session and, when nobody is left, withdraws the job or sends RQ's stop-job command.
- A worker that dies mid-run stops refreshing the run's heartbeat key; the watchers are told the run failed.
  The run cache writes an entry by renaming a finished folder, so nothing half-written stands under the key.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..config import RunConfig
from ..i18n import N_
from ..runs.cache import RunCache
from ..runs.results import RunResult
from ..runs.training import TrainingCancelled
from .base import JobSnapshot, JobStatus, Position, QueueUnreachable, WorkerLost, check, learn
from .rules import CostModel, Tier, max_run_seconds, tier, wait_seconds
from .work import TASKS, train_run

if TYPE_CHECKING:  # rq is imported only where it is used: the embedded transport runs without it
    from rq.job import Job

QUEUE_URL_ENV = "FMNIST_QUEUE_URL"
QUEUES = ("fmnist-first", "fmnist-more", "fmnist-background")  # indexed by rules.Tier
HEARTBEAT_SECONDS, HEARTBEAT_TTL = 2.0, 10
JOB_TIMEOUT = 6 * 3600  # the cost ceiling keeps page runs far below; the command line has no ceiling
_LIVE = {"queued", "started", "deferred", "scheduled"}
WORKER_LOST = N_("the worker training this run stopped unexpectedly; press Train to try again")
RUN_FAILED = N_("the run failed on its worker")
NOT_STORED = N_("the finished run is not in the shared run cache")


def _watchers_key(key: str) -> str:
    return f"fmnist:watchers:{key}"


def _alive_key(key: str) -> str:
    return f"fmnist:alive:{key}"


def _cancel_key(key: str) -> str:  # Stop, as the worker sees it between chunks (RQ's stop command can miss a
    return f"fmnist:cancel:{key}"  # run whose horse has not registered yet)


def _promoted_key(key: str) -> str:  # apart from the job's meta, which its worker rewrites with every progress
    return f"fmnist:promoted:{key}"


def _status_of(job) -> str:
    status = job.get_status(refresh=True)
    return getattr(status, "value", status)


# --------------------------------------------------------------------------- the worker side


def train_job(config: dict[str, Any], cache_root: str) -> dict[str, Any]:
    """The RQ job: fetch or train ``config`` into the shared run cache; what the app servers need to know."""
    from rq import get_current_job

    job = get_current_job()
    key = RunConfig.from_dict(config).key
    history: dict[str, list[float]] = {}
    last = [0.0]
    stop = threading.Event()

    def report(kind: str, **values: Any) -> None:
        if kind == "start":
            job.meta.update(epoch=1, fraction=0.0, logs={}, history={})
        elif kind == "progress":
            job.meta.update(epoch=values["epoch"], fraction=values["fraction"], logs=values["logs"])
            if time.monotonic() - last[0] < 0.5:
                return
        else:
            for name, value in values["metrics"].items():
                history.setdefault(name, []).append(value)
            job.meta.update(epoch=values["epoch"], fraction=1.0, logs=values["metrics"], history=history)
        job.save_meta()
        last[0] = time.monotonic()

    def beat() -> None:  # the heartbeat says "this worker is alive"; it stops with the process
        while not stop.is_set():
            job.connection.set(_alive_key(key), "1", ex=HEARTBEAT_TTL)
            stop.wait(HEARTBEAT_SECONDS)

    threading.Thread(target=beat, daemon=True).start()
    try:
        checked = [0.0, False]

        def stop_asked() -> bool:  # asked a few times a second at most
            if time.monotonic() - checked[0] > 0.25:
                checked[:] = [time.monotonic(), bool(job.connection.exists(_cancel_key(key)))]
            return checked[1]

        try:
            result, train_images = train_run(RunConfig.from_dict(config), cache_root, report, stop_asked)
        except TrainingCancelled:
            return {"key": key, "cancelled": True}
        if not result.saved:
            raise OSError("the run could not be stored in the shared run cache")
        return {"key": result.key, "from_cache": result.from_cache, "train_images": train_images}
    finally:
        stop.set()


def call_job(task: str, args: tuple) -> Any:
    """The RQ job of a short task (``work.TASKS``)."""
    return TASKS[task](*args)


def run_worker(url: str, burst: bool = False) -> None:
    """Start an RQ worker on the three queues (blocks); it stops after ``FMNIST_WORKER_MAX_RUNS`` jobs or a job that
    left it above ``FMNIST_WORKER_MAX_MB`` (``limits``), as RQ's ``--max-jobs`` does."""
    from redis import Redis
    from rq import Queue

    from .limits import max_runs, rq_worker_class

    connection = Redis.from_url(url)
    worker = rq_worker_class()([Queue(name, connection=connection) for name in QUEUES], connection=connection)
    worker.work(burst=burst, max_jobs=max_runs() or None)


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

    @property
    def key(self) -> str:
        return self.config.key

    def rq_job(self) -> Job | None:
        """RQ's job for this run (fetched afresh), or None when Redis holds none."""
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            return Job.fetch(self.key, connection=self.runner.redis)
        except NoSuchJobError:
            return None

    @property
    def background(self) -> bool:
        job = self.rq_job()
        return (job is not None and bool(job.meta.get("background"))
                and not self.runner.redis.exists(_promoted_key(self.key)))

    def status_and_error(self, job: Job | None) -> tuple[JobStatus, str | None]:
        """The status of RQ's ``job`` (from ``rq_job``) as the app names it, and the error of a failed one."""
        if job is None:
            return JobStatus.CANCELLED, None
        status = _status_of(job)
        if status == "finished":
            done = job.return_value() or {}
            return (JobStatus.CANCELLED if isinstance(done, dict) and done.get("cancelled") else JobStatus.DONE), None
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
        status, error = self.status_and_error(job)
        meta = job.meta if job is not None else {}
        if status is JobStatus.DONE and self._result is None:
            self._result = self.runner.cache.load(self.key)
            if self._result is None:
                status, error = JobStatus.FAILED, NOT_STORED
            else:
                done = job.return_value() or {}
                self._result.from_cache = bool(done.get("from_cache", False))
                if self.runner.first_sight(self.key, job.ended_at):  # each finished run teaches once
                    learn(self.runner.costs, self._result, done.get("train_images"))
        return JobSnapshot(
            key=self.key, config=self.config, status=status, epoch=int(meta.get("epoch", 0)),
            fraction=float(meta.get("fraction", 0.0)), logs=dict(meta.get("logs", {})),
            history={k: list(v) for k, v in meta.get("history", {}).items()}, error=error, result=self._result,
            watchers=int(self.runner.redis.scard(_watchers_key(self.key))),
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
        self.queues = [Queue(name, connection=self.redis) for name in QUEUES]
        self._seen: dict[str, object] = {}  # key -> when its last finished run ended (learnt from once)

    def first_sight(self, key: str, ended_at: object) -> bool:
        """True the first time this server sees the run ``key`` that ended at ``ended_at``."""
        if self._seen.get(key) == ended_at:
            return False
        self._seen[key] = ended_at
        return True

    def check(self, config: RunConfig) -> None:
        check(self, config)

    def submit(self, config: RunConfig, session: str = "local", limit: bool = False) -> RQJob:
        """Queue ``config`` (job id: its key) for ``session``, or join (and take over) the live job for it."""
        if limit:
            self.check(config)
        return self._submit(config, session)

    def _submit(self, config: RunConfig, session: str | None) -> RQJob:
        key, job = config.key, RQJob(self, config)
        with self.redis.lock(f"fmnist:enqueue:{key}", timeout=10):
            existing = job.rq_job()
            if existing is not None and not job.status_and_error(existing)[0].finished:
                if session is not None:
                    self.redis.sadd(_watchers_key(key), session)
                    if existing.meta.get("background") and not self.redis.exists(_promoted_key(key)):
                        self._promote(existing, session)
                return job
            if existing is not None:
                existing.delete()
            self.redis.delete(_watchers_key(key), _promoted_key(key), _cancel_key(key))  # a new run: nothing
            # of the one before (watchers, a takeover, a Stop) carries over
            rank = Tier.BACKGROUND if session is None else tier(self._live_runs(session, but=key))
            if session is not None:
                self.redis.sadd(_watchers_key(key), session)
            self.queues[rank].enqueue(train_job, config.to_dict(), str(self.cache.root), job_id=key,
                                      job_timeout=JOB_TIMEOUT, result_ttl=3600, failure_ttl=3600,
                                      meta={"config": config.to_dict(), "background": session is None})
        return job

    def _promote(self, existing, session: str) -> None:
        """A learner wants a background run: it is theirs now (Stop can cancel it), and if it still waits it
        moves to their tier."""
        self.redis.set(_promoted_key(existing.id), "1", ex=JOB_TIMEOUT)
        if _status_of(existing) == "queued" and existing.origin == QUEUES[Tier.BACKGROUND]:
            self.queues[Tier.BACKGROUND].remove(existing.id)
            self.queues[tier(self._live_runs(session, but=existing.id))].enqueue_job(existing)

    def _live_runs(self, session: str, but: str) -> int:
        """The session's live learner runs: queued in the first two tiers or started there."""
        from rq.registry import StartedJobRegistry

        keys = set()
        for name in QUEUES[: Tier.BACKGROUND]:
            keys.update(self.queues[QUEUES.index(name)].job_ids)
            keys.update(StartedJobRegistry(name, connection=self.redis).get_job_ids())
        keys.update(key for key in StartedJobRegistry(QUEUES[Tier.BACKGROUND], connection=self.redis).get_job_ids()
                    if self.redis.exists(_promoted_key(key)))  # a started background run a learner took over
        keys.discard(but)
        return sum(1 for key in keys if self.redis.sismember(_watchers_key(key), session))

    def prefetch(self, configs: Iterable[RunConfig]) -> list[RQJob]:
        return [self._submit(c, None) for c in configs if self.cache.load(c.key) is None]

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
        config = job.meta.get("config")
        return RQJob(self, RunConfig.from_dict(config)) if config else None

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
        seconds = wait_seconds(self.costs, [(j.config, j.snapshot().overall_fraction) for j in running],
                               [j.config for j in ahead], len(Worker.all(connection=self.redis)))
        return Position(len(ahead) + len(running), seconds)

    def _call(self, task: str, *args: Any, timeout: float = 600) -> Any:
        job = self.queues[Tier.FIRST].enqueue(call_job, task, args, job_id=f"call-{uuid.uuid4().hex}",
                                              result_ttl=600, failure_ttl=600, job_timeout=timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = _status_of(job)
            if status == "finished":
                return job.return_value()
            if status in ("failed", "stopped", "canceled"):
                raise WorkerLost(_last_line(job.exc_info) or RUN_FAILED)
            time.sleep(0.2)
        job.cancel()
        raise WorkerLost(N_("A worker process took too long to answer."))

    def mistake(self, name: str) -> Any:
        """One Common mistake trained through Keras on a worker (a ``MistakeOutcome``)."""
        return self._call("mistake", name)

    def keras_file(self, key: str) -> bytes:
        """The ``.keras`` file of a stored run, written by a worker."""
        return self._call("keras_file", str(self.cache.root), key)


def _last_line(text: str | None) -> str | None:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else None
