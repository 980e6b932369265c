"""The RQ transport: workers on other machines through Redis + RQ, on the same rules as the local one.

``FMNIST_QUEUE_URL=redis://host:6379/0`` switches the app to it; ``python -m fmnist_core worker`` starts an
RQ worker (any number, on any machine that reaches Redis and the shared run cache folder).

- A job's id is its config key, so a config asked for by many sessions on many app servers trains once.
- The tiers of ``rules`` are three RQ queues, which workers take from in order: ``fmnist-first``,
  ``fmnist-more``, ``fmnist-background``. A session's live runs (queued *or started*) decide its tier; a
  learner asking for a queued background run moves it to their tier.
- Progress (epoch, fraction, metrics, history: ``wire.RunProgress``) is the job's ``meta``; watchers are a Redis
  hash (session -> visitor); Stop removes the session and, when nobody is left, withdraws the job or sends RQ's
  stop-job command. The app side makes its calls to Redis inside ``with runner.reachable()``: an outage is one
  sentence (``QueueUnreachable``), not a traceback.
- A visitor's later run that holds a worker while a first run waits is asked to give way (a Redis key the
  worker reads between chunks); it ends as "yielded" and the first app server that sees it queues it again.
- A worker that dies mid-run stops refreshing the run's heartbeat key; the watchers are told the run failed.
  The run cache writes an entry by renaming a finished folder, so nothing half-written stands under the key.
- A worker outlives a Redis outage (``rq_worker``): it reconnects, registers again, and reports the run it had
  as lost (``fmnist:lost:<key>``, which outlives the job when Redis restarted empty).
- Nothing over Redis is pickled: jobs, meta and results are JSON (``rq.serializers.JSONSerializer``) on both
  sides, so a write to Redis cannot run code here; data that is not JSON is refused as an unreadable run.

This module holds what both sides share (queue names, Redis keys, the serializer) and the two job functions RQ's
work horses run, ``train_job`` and ``call_job``: Redis stores their dotted names and ``rq_worker`` runs no other.
The app side is ``rq_runner`` (``RQRunner``) and ``rq_job`` (``RQJob``); the worker process is ``rq_worker``.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import threading
import time
from typing import TYPE_CHECKING, Any

from ..config import RunConfig
from ..reports import TrainingCancelled
from .base import REDIS_LOST, UNREADABLE  # the worker and the tests name them from here too
from .wire import Progress, RunProgress, RunReport
from .work import TASKS, Report, RunOverran, train_run

if TYPE_CHECKING:  # rq is imported only where it is used: the embedded transport runs without it
    from rq.job import Job

__all__ = ["QUEUES", "REDIS_LOST", "SERIALIZER", "UNREADABLE", "call_job", "train_job"]

QUEUES = ("fmnist-first", "fmnist-more", "fmnist-background")  # indexed by rules.Tier
HEARTBEAT_SECONDS, HEARTBEAT_TTL = 2.0, 10
JOB_TIMEOUT = 6 * 3600  # the cost ceiling keeps page runs far below; the command line has no ceiling
LOST_TTL = 3600  # how long the watchers of a run lost with Redis can still be told
SERIALIZER = "rq.serializers.JSONSerializer"  # for RQ's queues, jobs and workers: never pickle


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


def _yielded(job: Job) -> bool:
    done = job.return_value()
    return isinstance(done, dict) and bool(done.get("yielded"))


def _last_line(text: str | None) -> str | None:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else None


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


def _meta_reporter(job: Job) -> Report:
    """The report of ``work.train_run`` for an RQ job: its progress (``wire.RunProgress``) into the job's meta,
    saved at every start and epoch and at most twice a second in between."""
    progress, last = RunProgress(), [0.0]

    def report(message: RunReport) -> None:
        progress.take(message)
        job.meta.update(progress.fields())
        if isinstance(message, Progress) and time.monotonic() - last[0] < 0.5:
            return
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

