"""The worker of ``python -m fmnist_core worker``: RQ's forking worker, made to outlive Redis and to trust it less.

- **Outages.** RQ's own worker quits on a Redis error while it runs a job ("found an unhandled exception"),
  and an idle one reconnects but is never registered again, so the app sees no worker. This one, when Redis
  stops answering (or answers again having forgotten this worker: restarted empty) while a job runs, stops the
  job's work horse, waits for Redis, reports the run as lost to its watchers (``base.REDIS_LOST``), and goes on;
  and it registers again whenever Redis has forgotten it.
- **No pickle, no strangers' jobs.** Jobs, meta and results are JSON (``rq.SERIALIZER``). A job that this app
  did not write (data or meta not JSON, a function other than this app's two, callbacks or webhooks: planted by
  something else that writes to Redis) is refused in one log line and marked failed, never run.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from types import FrameType

from redis import Redis
from redis.client import Pipeline
from redis.exceptions import ConnectionError as Unconnected
from redis.exceptions import TimeoutError as Unanswered
from rq import Queue, Worker, worker_registration
from rq.exceptions import NoSuchJobError, StopRequested
from rq.executions import Execution
from rq.job import Job
from rq.job import JobStatus as RQStatus
from rq.utils import now
from rq.worker import WorkerStatus

from .limits import lower_priority, max_runs, own_mb, retire_reason
from .rq import LOST_TTL, QUEUES, REDIS_LOST, SERIALIZER, UNREADABLE, _lost_key, _unreadable, call_job, train_job

OUTAGE = (Unconnected, Unanswered)
MONITOR_SECONDS = 5  # how often the worker checks on a busy work horse (and on Redis): RQ's default is 30
_log = logging.getLogger("rq.worker")
OURS = {f"{f.__module__}.{f.__qualname__}" for f in (train_job, call_job)}  # the only functions a job may name


def foreign(job: Job) -> str | None:
    """Why ``job`` was not written by this app (so it must not run), or None when it was."""
    if _unreadable(job):
        return "its data or meta is not JSON"
    if job.func_name not in OURS or job.instance is not None:
        return f"it names the function {job.func_name!r}, not one of this app's"
    if any(getattr(job, f"_{kind}_callback_name", None) for kind in ("success", "failure", "stopped")):
        return "it names callbacks"
    if getattr(job, "webhooks", None):
        return "it names webhooks"
    return None


class RedisForgot(RuntimeError):
    """Redis answers, but has forgotten this worker (restarted empty, or flushed): the running job is gone too."""


class OutlivingWorker(Worker):
    """RQ's worker on JSON, that outlives Redis outages and refuses jobs this app did not write."""

    def __init__(self, queues: list[Queue], connection: Redis) -> None:
        super().__init__(queues, connection=connection, serializer=SERIALIZER,
                         job_monitoring_interval=MONITOR_SECONDS)
        self._execution: Execution | None = None
        self.asked_to_stop = False

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """RQ's warm stop (SIGINT, SIGTERM), remembered: ``run`` does not start again after it."""
        self.asked_to_stop = True
        super().request_stop(signum, frame)

    def subscribe(self) -> None:
        """RQ's channel for commands (stop a job), read in a thread that waits at most a second at a time: RQ's
        waits 60 s, and a SIGTERM then took up to a minute to stop the worker (measured with RQ 3.0)."""
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(sleep_time=1, daemon=True,
                                                       exception_handler=self._pubsub_exception_handler)

    def prepare_execution(self, job: Job) -> Execution:
        """RQ's record of this execution, kept so that a run lost in an outage leaves RQ's registries clean."""
        self._execution = super().prepare_execution(job)
        return self._execution

    def _forgotten(self) -> bool:
        """True when Redis no longer lists this worker (it restarted empty, or was flushed)."""
        return not self.connection.sismember(worker_registration.REDIS_WORKER_KEYS, self.key)

    def heartbeat(self, timeout: int | None = None, pipeline: Pipeline | None = None) -> None:
        """RQ's heartbeat, and, between jobs, registering again when Redis has forgotten this worker."""
        super().heartbeat(timeout, pipeline)
        if pipeline is None and not self.is_horse and self.get_state() != WorkerStatus.BUSY:
            self._ensure_registered()

    def _ensure_registered(self) -> None:
        if not self._forgotten():
            return
        with self.connection.pipeline() as pipeline:
            pipeline.hset(self.key, mapping=self.serialize())
            worker_registration.register(self, pipeline)
            pipeline.expire(self.key, self.worker_ttl + 60)
            pipeline.execute()
        self.log.info("Worker %s: registered again (Redis had forgotten this worker)", self.name)

    def maintain_heartbeats(self, job: Job, execution: Execution) -> None:
        """RQ's heartbeats while a job runs, and a check that Redis still knows this worker (and so its job)."""
        super().maintain_heartbeats(job, execution)
        if self._forgotten():
            raise RedisForgot("Redis no longer lists this worker")

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Run ``job`` in a work horse (RQ's way), refusing it when this app did not write it; when Redis stops
        answering or forgets this worker meanwhile, end the horse, wait for Redis and report the run as lost."""
        why = foreign(job)
        if why is not None:
            self._refuse(job, queue, why)
            return
        self._execution = None
        try:
            super().execute_job(job, queue)
            if not self._forgotten():
                self._retire_if_over_budget()
                return
        except (*OUTAGE, RedisForgot) as exc:
            self.log.warning("Worker %s: Redis went away while job %s ran (%s: %s)", self.name, job.id,
                             type(exc).__name__, exc)
            if self.horse_pid:  # never 0: kill_horse would signal this worker's own process group
                self.kill_horse()
                self.wait_for_horse()
                self._horse_pid = 0
        self.wait_for_redis()
        self._report_lost(job, queue)
        self._ensure_registered()
        self.set_state(WorkerStatus.IDLE)

    def _retire_if_over_budget(self) -> None:
        """Stop after a job that left this long-lived process above ``FMNIST_WORKER_MAX_MB`` of its own memory (its
        work horses fork per job; ``max_jobs`` counts the runs): whatever runs the worker starts it again."""
        reason = retire_reason(0, own_mb())
        if reason:
            self.log.info("Worker %s: %s, stopping to be started again", self.name, reason)
            self._stop_requested = True

    def wait_for_redis(self) -> None:
        """Return once Redis answers (trying again every few seconds, one log line); StopRequested on a stop."""
        wait_for_redis(self.connection, self.name, lambda: self._stop_requested or self.asked_to_stop)

    def _report_lost(self, job: Job, queue: Queue) -> None:
        """Tell the watchers of ``job`` (lost in an outage) that it failed: a lost-run key with its config, and
        the job marked failed where Redis still holds it."""
        try:
            stored = Job.fetch(job.id, connection=self.connection, serializer=SERIALIZER)
            status = stored.get_status()
        except NoSuchJobError:
            stored, status = None, None
        if status == RQStatus.FINISHED:  # the horse finished it after all
            return
        self.connection.set(_lost_key(job.id), json.dumps({"config": job.meta.get("config")}), ex=LOST_TTL)
        if stored is None:
            self.connection.delete(job.key)  # whatever the dying horse wrote into a new, empty Redis
        elif status not in (RQStatus.FAILED, RQStatus.STOPPED, RQStatus.CANCELED):
            job.ended_at = now()
            self.handle_job_failure(job, queue, exc_string=REDIS_LOST, execution=self._execution)
        self.log.warning("Worker %s: job %s was lost with Redis; its watchers are told it failed", self.name, job.id)

    def _refuse(self, job: Job, queue: Queue, why: str) -> None:
        self.log.warning("Worker %s: refused job %s: %s (something other than this app writes to Redis; keep Redis "
                         "private)", self.name, job.id, why)
        execution = self.prepare_execution(job)
        job.ended_at = now()
        self.handle_job_failure(job, queue, exc_string=UNREADABLE, execution=execution)
        self.set_state(WorkerStatus.IDLE)


def wait_for_redis(connection: Redis, name: str, stopping: Callable[[], bool] = lambda: False) -> None:
    """Return once Redis answers, trying again every few seconds (one log line for worker ``name``); raise
    StopRequested when ``stopping()`` says so."""
    pause, said = 0.5, False
    while True:
        if stopping():
            raise StopRequested
        try:
            connection.ping()
            return
        except OUTAGE as exc:
            if not said:
                _log.warning("Worker %s: Redis does not answer (%s); trying again until it does", name, exc)
                said = True
        time.sleep(pause)
        pause = min(5.0, pause * 2)


def run(url: str, burst: bool = False) -> None:
    """Work the three queues of ``url`` until stopped (or, with ``burst``, until they are empty). A worker starts
    once Redis answers; when RQ's loop quits because Redis went away between jobs, a new one starts the same way.
    It stops after ``FMNIST_WORKER_MAX_RUNS`` jobs or a job that left it above ``FMNIST_WORKER_MAX_MB``
    (``limits``), as RQ's ``--max-jobs`` does, to be started again by whatever runs it. It trains at the local
    workers' lower CPU priority (``FMNIST_WORKER_NICE``)."""
    lower_priority()
    connection = Redis.from_url(url)
    while True:
        try:
            worker = OutlivingWorker([Queue(name, connection=connection, serializer=SERIALIZER) for name in QUEUES],
                                     connection)
        except OUTAGE:  # RQ asks Redis as it makes a worker: not there yet (or gone again), so wait for it
            wait_for_redis(connection, "(starting)")
            continue
        try:
            worker.work(burst=burst, max_jobs=max_runs() or None)
        except OUTAGE:  # RQ's loop quit, and its teardown could not tell Redis: Redis is away
            pass
        else:  # stopped, done (burst), or quit on an error that is not an outage (logged by RQ): as RQ does
            return
        if burst or worker.asked_to_stop:
            return
        try:
            worker.wait_for_redis()
        except StopRequested:
            return
        _log.info("Worker %s: starting again now that Redis answers", worker.name)
