"""The embedded transport: a few local worker processes, started by the app, that do the TensorFlow work.

The web process keeps the queue (``rules``) and the jobs; each worker process (``python -m
fmnist_core.queue.local FD``) imports TensorFlow once, warms it up, then trains one run at a time and answers
short tasks (a Common mistake, a ``.keras`` file) in threads beside it. The two talk over a socket pair:
tasks, cancel and give-way one way; progress, epochs and outcomes the other. Results live in the run cache on
disk; only a run that could not be stored crosses the socket.

A worker that dies is reported to the watchers of its run and replaced. A pool nobody used for a while (no page
run, no run, no short task: ``limits.idle_seconds``) stops its workers, down to ``limits.idle_workers``, and starts
them again at the next use. A worker exits as soon as its socket
closes, so none outlives the server, however the server ends (Ctrl-C, SIGTERM, a crash, SIGKILL).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from pathlib import Path
from queue import Queue
from typing import Any

from ..config import RunConfig
from ..data.sources import DATA_DIR_ENV, DataError
from ..i18n import N_
from ..net.listener import TrainingCancelled
from ..runs.cache import RunCache
from ..runs.results import RunResult, RunUnavailable
from .base import WORKER_LOST, JobSnapshot, JobStatus, Position, WorkerLost, check, learn
from .limits import idle_seconds, idle_workers, own_mb, release_memory, retire_reason
from .quiet import forward_in_thread, min_level, quiet_environment, quiet_python_logging, to_stderr
from .rules import (
    CostModel,
    Tier,
    allowance,
    check_visitor,
    local_workers,
    max_run_seconds,
    max_runs_per_visitor,
    tier,
    wait_seconds,
)
from .work import HOLD_ENV, TASKS, train_run, warm_up

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]  # the folder holding fmnist_core, for the workers' import path
KEEP_FINISHED = 32  # finished jobs remembered (each holds a result); older ones are forgotten


class LocalJob:
    """One config being trained in a worker process, as the web process sees it. Thread-safe."""

    def __init__(self, pool: WorkerPool, cache: RunCache, config: RunConfig, session: str | None, visitor: str,
                 background: bool, rank: Tier, seq: int, data_dir: str, hold_dir: str,
                 allowance: float | None = None) -> None:
        self.pool, self.cache, self.config = pool, cache, config
        self.background, self.rank, self.seq = background, rank, seq
        self.data_dir, self.hold_dir, self.allowance = data_dir, hold_dir, allowance
        self._watchers = {session: visitor} if session is not None else {}  # session -> its visitor
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._cancelled = False  # asked to stop (it ends once its worker confirms)
        self.giving_way = False
        self._status, self._epoch, self._fraction = JobStatus.QUEUED, 0, 0.0
        self._logs: dict[str, float] = {}
        self._history: dict[str, list[float]] = {}
        self._error: str | None = None
        self._result: RunResult | None = None
        self._from_cache, self._saved = False, True

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
            return JobSnapshot(
                key=self.key, config=self.config, status=self._status, epoch=self._epoch, fraction=self._fraction,
                logs=dict(self._logs), history={k: list(v) for k, v in self._history.items()}, error=self._error,
                result=self._result, watchers=len(self._watchers), from_cache=self._from_cache, saved=self._saved)

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

    def update(self, **values: Any) -> None:
        """Set the job's status, epoch, fraction, logs or history (named as keywords)."""
        with self._lock:
            for name, value in values.items():
                setattr(self, f"_{name}", value)

    def add_epoch(self, epoch: int, metrics: dict[str, float]) -> None:
        """An epoch ended with ``metrics``: they become the logs and extend the history."""
        with self._lock:
            self._epoch, self._fraction, self._logs = epoch, 1.0, dict(metrics)
            for name, value in metrics.items():
                self._history.setdefault(name, []).append(value)

    def finish(self, status: JobStatus, result: RunResult | None = None, error: str | None = None) -> None:
        """End the job (once: later calls change nothing) and wake its waiters."""
        with self._lock:
            if self._finished.is_set():
                return
            self._status, self._result, self._error = status, result, error
        self._finished.set()


class _Worker:
    """One worker process and the thread that reads what it says (handed to ``on_message``, then ``on_lost``)."""

    def __init__(self, on_message: Callable[[_Worker, tuple], None], on_lost: Callable[[_Worker], None]) -> None:
        ours, theirs = socket.socketpair()
        env = quiet_environment(
            os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
        level = min_level(env)  # its standard error reaches ours without TensorFlow's start-up lines (``quiet``)
        self.proc = subprocess.Popen([sys.executable, "-m", "fmnist_core.queue.local", str(theirs.fileno())],
                                     pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE if level else None)
        theirs.close()
        if self.proc.stderr is not None:
            forward_in_thread(self.proc.stderr, to_stderr, level, name=f"worker-{self.proc.pid}-stderr")
        self.conn = Connection(ours.detach())
        self.on_message, self.on_lost = on_message, on_lost
        self.job: LocalJob | None = None
        self.alive = True
        self.runs, self.retiring = 0, False  # runs ended here; replaced (``limits``), ends when its calls are answered
        self.job_id: int | None = None
        self.calls: dict[int, list] = {}  # call id -> [event, ok, value]
        self._send_lock = threading.Lock()
        threading.Thread(target=self._read, name=f"worker-{self.proc.pid}", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, *message: Any) -> None:
        try:
            with self._send_lock:
                self.conn.send(message)
        except OSError:  # it died: the reader thread reports it
            pass

    def _read(self) -> None:
        while True:
            try:
                message = self.conn.recv()
                self.on_message(self, message)
            except (EOFError, OSError):
                break
            except Exception:  # noqa: BLE001 - a message we cannot read: this worker is lost, not the server
                log.exception("unreadable message from worker process %s; stopping it", self.pid)
                self.proc.kill()
                break
        self.proc.wait()
        self.on_lost(self)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.proc.poll() is None:
            self.proc.terminate()


class WorkerPool:
    """The queue of one machine and its worker processes. Share one per process (``shared_pool``)."""

    def __init__(self, workers: int | None = None) -> None:
        self.size = local_workers() if workers is None else workers
        self.costs = CostModel()
        self._cond = threading.Condition()
        self._jobs: dict[tuple[str, str], LocalJob] = {}
        self._workers: list[_Worker] = []
        self._retiring: set[_Worker] = set()  # replaced, still answering short tasks
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._closed = False
        self._dispatcher: threading.Thread | None = None
        self._last_use = time.monotonic()  # the last page run, submit, short task or run's end

    # ------------------------------------------------------------------ workers

    def _new_worker(self) -> _Worker:
        return _Worker(self._on_message, self._on_lost)

    def start(self) -> None:
        """Start the worker processes (they import and warm up TensorFlow) and the dispatcher, or start again the
        workers an idle pool stopped; counts as a use of the pool. Cheap when they run: call it at every use."""
        with self._cond:
            if self._closed:
                return
            self._last_use = time.monotonic()
            while len(self._workers) < self.size:
                try:
                    self._workers.append(self._new_worker())
                except OSError:  # out of processes or memory: those running go on, the log says why
                    log.exception("could not start a worker process")
                    break
            if self._dispatcher is None:
                self._dispatcher = threading.Thread(target=self._dispatch, name="queue-dispatcher", daemon=True)
                self._dispatcher.start()
            self._cond.notify_all()  # the dispatcher looks again at when the pool is idle

    def pids(self) -> list[int]:
        """The process ids of the live workers."""
        with self._cond:
            return [w.pid for w in self._workers if w.alive]

    def close(self) -> None:
        """Stop every worker; jobs still live end as failed."""
        with self._cond:
            self._closed = True
            workers, self._workers = [*self._workers, *self._retiring], []
            self._cond.notify_all()
        for worker in workers:
            worker.stop()
        for worker in workers:
            try:
                worker.proc.wait(10)
            except subprocess.TimeoutExpired:
                worker.proc.kill()

    # ------------------------------------------------------------------ asking

    def submit(self, cache: RunCache, config: RunConfig, session: str, visitor: str | None = None,
               max_runs: int | None = None, allowance: float | None = None) -> LocalJob:
        """Queue ``config`` for ``session`` (of ``visitor``, by default a visitor of its own), or join (and take
        over, if it is a background run) its live job. A new run is refused (``Refused``) when the visitor
        already has ``max_runs`` live runs; it is stopped after ``allowance`` seconds of training."""
        self.start()
        visitor = visitor or session
        with self._cond:
            job = self._jobs.get((str(cache.root), config.key))
            if job is not None and job.live:
                job.watch(session, visitor)
                if job.background:  # promoted: a learner wants it now
                    job.background, job.rank, job.seq = False, self._rank(visitor, but=job), next(self._seq)
                    self._give_way_if_needed()
            else:
                if max_runs is not None:
                    check_visitor(self._live_runs(visitor), max_runs)
                job = self._new_job(cache, config, session, visitor, allowance)
            self._cond.notify_all()
            return job

    def prefetch(self, cache: RunCache, configs: Iterable[RunConfig]) -> list[LocalJob]:
        """Queue background runs; those cached or already live are skipped."""
        self.start()
        jobs = []
        with self._cond:
            for config in configs:
                known = self._jobs.get((str(cache.root), config.key))
                if (known is not None and known.live) or cache.load(config.key) is not None:
                    continue
                jobs.append(self._new_job(cache, config, None))
            self._cond.notify_all()
        return jobs

    def drop_sessions(self, sessions: Iterable[str]) -> int:
        """These sessions ended (their tabs closed): each leaves every job it watched, as if it pressed Stop.
        Returns how many jobs were cancelled because nobody watches them any more."""
        gone, cancelled = set(sessions), 0
        with self._cond:
            for job in list(self._jobs.values()):
                for session in job.sessions() & gone:
                    if job.unwatch(session) == 0 and job.live and not job.background:
                        self._cancel(job)
                        cancelled += 1
            self._cond.notify_all()
        return cancelled

    def leave(self, job: LocalJob, session: str) -> int:
        """``session`` stops watching ``job``; it is cancelled when nobody is left. Returns the watchers left."""
        with self._cond:
            left = job.unwatch(session)
            if left == 0 and not job.background:
                self._cancel(job)
            self._cond.notify_all()
            return left

    def get(self, cache: RunCache, key: str) -> LocalJob | None:
        with self._cond:
            return self._jobs.get((str(cache.root), key))

    def queued(self, cache: RunCache | None = None) -> list[LocalJob]:
        """Jobs waiting to start, in the order they will start (all of them, or those of one cache)."""
        with self._cond:
            return [j for j in self._queue() if cache is None or j.cache.root == cache.root]

    def position(self, job: LocalJob) -> Position | None:
        with self._cond:
            queue = self._queue()
            if job not in queue:
                return None
            ahead = queue[: queue.index(job)]
            running = [w.job for w in self._workers if w.job is not None]
            seconds = wait_seconds(self.costs, [(j.config, j.snapshot().overall_fraction) for j in running],
                                   [j.config for j in ahead], self.size)
            return Position(len(ahead) + len(running), seconds)

    def call(self, task: str, *args: Any, timeout: float = 600) -> Any:
        """Run a short task (``work.TASKS``) in the least busy worker, beside its training; its return value."""
        self.start()
        with self._cond:
            workers = [w for w in self._workers if w.alive]
            if not workers:
                raise WorkerLost(N_("No worker process is running to do this."))
            worker = min(workers, key=lambda w: len(w.calls))
            call_id, pending = next(self._ids), [threading.Event(), False, None]
            worker.calls[call_id] = pending
        worker.send("call", call_id, task, args)
        if not pending[0].wait(timeout):
            with self._cond:
                worker.calls.pop(call_id, None)
            raise WorkerLost(N_("A worker process took too long to answer."))
        if not pending[1]:
            raise pending[2] if isinstance(pending[2], WorkerLost) else WorkerLost(str(pending[2]))
        return pending[2]

    # ------------------------------------------------------------------ the queue (under self._cond)

    def _new_job(self, cache: RunCache, config: RunConfig, session: str | None, visitor: str = "",
                 allowance: float | None = None) -> LocalJob:
        background = session is None
        job = LocalJob(self, cache, config, session, visitor, background,
                       Tier.BACKGROUND if background else self._rank(visitor), next(self._seq),
                       data_dir=os.environ.get(DATA_DIR_ENV, ""), hold_dir=os.environ.get(HOLD_ENV, ""),
                       allowance=allowance)
        self._remember(job)
        self._give_way_if_needed()
        return job

    def _live_runs(self, visitor: str, but: LocalJob | None = None) -> int:
        """The visitor's live learner runs (queued or running)."""
        return sum(1 for j in self._jobs.values() if j.live and not j.background and j is not but
                   and visitor in j.visitors())

    def _rank(self, visitor: str, but: LocalJob | None = None) -> Tier:
        return tier(self._live_runs(visitor, but))

    def _queue(self) -> list[LocalJob]:
        running = {id(w.job) for w in self._workers if w.job is not None}
        waiting = [j for j in self._jobs.values() if j.live and j.status is JobStatus.QUEUED and id(j) not in running]
        return sorted(waiting, key=lambda j: (Tier.BACKGROUND if j.background else j.rank, j.seq))

    def _give_way_if_needed(self) -> None:
        """A learner's run waits and every worker is busy: one background run gives way (between chunks), or,
        when a first run waits, a later run of a visitor who holds more than one worker."""
        queue = self._queue()
        busy = [w for w in self._workers if w.alive and w.job is not None]
        if not queue or queue[0].background or len(busy) < len([w for w in self._workers if w.alive]):
            return
        held = Counter(v for w in busy for v in w.job.visitors())
        for worker in sorted(busy, key=lambda w: not w.job.background):  # background runs first
            job = worker.job
            more = queue[0].rank is Tier.FIRST and job.rank is Tier.MORE and any(held[v] > 1 for v in job.visitors())
            if (job.background or more) and not job.giving_way:
                job.giving_way = True
                worker.send("give_way", worker.job_id)
                return

    def _cancel(self, job: LocalJob) -> None:
        job.mark_cancelled()
        worker = next((w for w in self._workers if w.job is job), None)
        if worker is None:
            job.finish(JobStatus.CANCELLED)
        else:
            worker.send("cancel", worker.job_id)

    def _dispatch(self) -> None:
        with self._cond:
            while not self._closed:
                idle = [w for w in self._workers if w.alive and w.job is None]
                queue = self._queue()
                if idle and queue:
                    worker, job = idle[0], queue[0]
                    worker.job, worker.job_id, job.giving_way = job, next(self._ids), False
                    job.update(status=JobStatus.RUNNING, epoch=0, fraction=0.0, history={}, logs={})
                    worker.send("train", worker.job_id, job.config.to_dict(), str(job.cache.root), job.data_dir,
                                job.hold_dir, job.allowance)
                    continue
                self._give_way_if_needed()
                self._cond.wait(self._stop_idle(time.monotonic())[1])

    def stop_idle_workers(self, now: float | None = None) -> int:
        """Stop the workers beyond ``idle_workers()`` if, at ``now`` (the monotonic clock; by default its time
        now), the pool has gone unused for ``idle_seconds()``: no run live, no short task, no use since. The
        dispatcher does it when the time comes. Returns how many were stopped."""
        with self._cond:
            return self._stop_idle(time.monotonic() if now is None else now)[0]

    def _stop_idle(self, now: float) -> tuple[int, float | None]:
        """``stop_idle_workers`` under the pool's lock; also returns how long until it is worth looking again
        (None: not until something happens)."""
        limit, keep = idle_seconds(), idle_workers()
        if not limit or len(self._workers) <= keep:
            return 0, None
        if any(j.live for j in self._jobs.values()) or any(w.job or w.calls for w in self._workers):
            return 0, None  # in use: looked at again when that ends
        if now < self._last_use + limit:
            return 0, self._last_use + limit - now
        stopped, self._workers = self._workers[keep:], self._workers[:keep]
        for worker in stopped:
            worker.stop()
        log.info("%d worker process(es) stopped after %g s unused; they start again when needed", len(stopped),
                 limit)
        return len(stopped), None

    def _remember(self, job: LocalJob) -> None:
        self._jobs.pop((str(job.cache.root), job.key), None)
        self._jobs[(str(job.cache.root), job.key)] = job
        finished = [k for k, j in self._jobs.items() if j.finished]
        for k in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[k]

    # ------------------------------------------------------------------ what the workers say (reader threads)

    def _on_message(self, worker: _Worker, message: tuple) -> None:
        kind, ident, *rest = message
        if kind == "called":
            with self._cond:
                pending = worker.calls.pop(ident, None)
            if pending is not None:
                pending[1], pending[2] = rest
                pending[0].set()
            with self._cond:
                self._last_use = time.monotonic()
                if worker.retiring and not worker.calls:
                    worker.stop()
                self._cond.notify_all()
            return
        with self._cond:
            job = worker.job if worker.job_id == ident else None
        if job is None:
            return
        if kind == "start":
            job.update(epoch=1, fraction=0.0)
        elif kind == "progress":
            epoch, fraction, logs = rest
            job.update(epoch=epoch, fraction=fraction, logs=dict(logs))
        elif kind == "epoch":
            job.add_epoch(*rest)
        else:
            self._end(worker, job, kind, rest)

    def _end(self, worker: _Worker, job: LocalJob, kind: str, rest: list) -> None:
        with self._cond:  # decided under the pool's lock: a Stop (``leave``) cannot slip in between
            self._decide(job, kind, rest)
            worker.job, worker.job_id = None, None
            worker.runs += 1
            self._last_use = time.monotonic()
            self._retire_if_due(worker)
            self._cond.notify_all()

    def _retire_if_due(self, worker: _Worker) -> None:
        """After a run: a worker past ``FMNIST_WORKER_MAX_RUNS`` or ``FMNIST_WORKER_MAX_MB`` makes way for a new one
        at once; it ends when its short tasks are answered (under the pool's lock)."""
        reason = retire_reason(worker.runs, own_mb(worker.pid))
        if reason is None or self._closed or worker not in self._workers:
            return
        try:
            self._workers[self._workers.index(worker)] = self._new_worker()
        except OSError:  # out of processes or memory: this one goes on
            log.exception("could not start a worker process to replace %s", worker.pid)
            return
        log.info("worker process %s replaced after %s", worker.pid, reason)
        worker.retiring = True
        self._retiring.add(worker)
        if not worker.calls:
            worker.stop()

    def _decide(self, job: LocalJob, kind: str, rest: list) -> None:
        if kind == "done":
            unsaved, from_cache, train_images = rest
            result = unsaved if unsaved is not None else job.cache.load(job.key)
            if result is None:
                job.finish(JobStatus.FAILED, error=N_("the finished run is not in the run cache"))
            else:
                learn(self.costs, result, from_cache, train_images)
                job.update(from_cache=from_cache, saved=unsaved is None)
                job.finish(JobStatus.DONE, result=result)
        elif kind == "yielded" and not job.cancelled:
            job.update(status=JobStatus.QUEUED, epoch=0, fraction=0.0, history={}, logs={})
        elif kind in ("cancelled", "yielded"):
            job.finish(JobStatus.CANCELLED)
        else:
            job.finish(JobStatus.FAILED, error=rest[0])

    def _on_lost(self, worker: _Worker) -> None:
        with self._cond:
            worker.alive = False
            self._retiring.discard(worker)
            job, calls = worker.job, dict(worker.calls)
            worker.job, worker.calls = None, {}
            if job is not None:
                job.finish(JobStatus.FAILED, error=WORKER_LOST)
            for pending in calls.values():
                pending[1], pending[2] = False, WorkerLost(WORKER_LOST)
                pending[0].set()
            replace = worker in self._workers and not self._closed
            if replace:
                log.warning("worker process %s ended (exit status %s); starting another", worker.pid,
                            worker.proc.returncode)
                try:
                    self._workers[self._workers.index(worker)] = self._new_worker()
                except OSError:  # out of processes or memory: the others go on, the log says why
                    log.exception("could not start a worker process")
            self._cond.notify_all()


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

    def position(self, job: LocalJob) -> Position | None:
        return self.pool.position(job)

    def mistake(self, name: str) -> Any:
        """One Common mistake trained through Keras in a worker (a ``MistakeOutcome``)."""
        return self.pool.call("mistake", name, os.environ.get(DATA_DIR_ENV, ""))

    def keras_file(self, key: str) -> bytes:
        """The ``.keras`` file of a stored run, written by a worker."""
        return self.pool.call("keras_file", str(self.cache.root), key)


_shared: WorkerPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> WorkerPool:
    """This process's pool of worker processes (``FMNIST_WORKERS`` of them), closed when the process exits."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = WorkerPool()
            atexit.register(_shared.close)
        return _shared


# --------------------------------------------------------------------------- inside a worker process


class _Serving:
    """A worker process's end of the socket: the runs asked for, trained one at a time, and their flags."""

    def __init__(self, fd: int) -> None:
        self.conn, self._send_lock = Connection(fd), threading.Lock()
        self.tasks: Queue[tuple] = Queue()  # runs: (run id, config, cache root, data dir, hold dir, allowance)
        self.flags: dict[int, tuple[threading.Event, threading.Event]] = {}  # run id -> (cancel, give way)

    def send(self, *message: Any) -> None:
        with self._send_lock:
            self.conn.send(message)

    def run(self) -> None:
        """Read the socket in a thread, warm up, then train the runs in the order they come."""
        threading.Thread(target=self.read, daemon=True).start()
        try:
            warm_up()
        except Exception:  # noqa: BLE001 - a failed warm-up only means the first run waits
            log.exception("TensorFlow warm-up failed")
        while True:
            self.train(*self.tasks.get())

    def read(self) -> None:
        """Queue runs, raise their cancel and give-way flags, start short tasks; exit when the socket closes."""
        try:
            while True:
                kind, ident, *rest = self.conn.recv()
                self.take(kind, ident, rest)
        except (EOFError, OSError):
            os._exit(0)  # the server is gone: so are we, mid-run or not

    def take(self, kind: str, ident: int, rest: list) -> None:
        """One message from the server."""
        if kind == "train":
            self.flags[ident] = (threading.Event(), threading.Event())
            self.tasks.put((ident, *rest))
        elif kind in ("cancel", "give_way") and ident in self.flags:
            self.flags[ident][0 if kind == "cancel" else 1].set()
        elif kind == "call":
            threading.Thread(target=self.call, args=(ident, *rest), daemon=True).start()

    def call(self, call_id: int, name: str, args: tuple) -> None:
        """A short task (``work.TASKS``), in its own thread beside the training."""
        try:
            self.send("called", call_id, True, TASKS[name](*args))
        except Exception as exc:  # noqa: BLE001 - the asker gets the error's words, the worker goes on
            self.send("called", call_id, False, str(exc) or type(exc).__name__)

    def train(self, ident: int, config: dict[str, Any], cache_root: str, data_dir: str, hold_dir: str,
              allowance: float | None = None) -> None:
        """Train one run, reporting its progress, and say how it ended."""
        cancel, give_way = self.flags[ident]

        def report(kind: str, **values: Any) -> None:
            self.send(kind, ident, *values.values())

        try:
            found, train_images = train_run(RunConfig.from_dict(config), cache_root, report,
                                            lambda: cancel.is_set() or give_way.is_set(), data_dir, hold_dir,
                                            allowance)
        except TrainingCancelled:
            outcome: tuple = ("yielded" if give_way.is_set() and not cancel.is_set() else "cancelled", ident)
        except Exception as exc:  # noqa: BLE001 - reported to the watchers and the terminal, the worker goes on
            if isinstance(exc, DataError | RunUnavailable):  # explained by its message: one line
                log.error("a run failed: %s", exc)
            else:
                log.exception("a run failed (%s)", config)
            outcome = ("failed", ident, str(exc) or type(exc).__name__)
        else:
            outcome = ("done", ident, None if found.saved else found.run, found.from_cache, train_images)
        self.flags.pop(ident, None)
        try:  # before the outcome: the pool measures this process's memory when it hears it
            release_memory()
        except Exception:  # noqa: BLE001 - memory not given back is no reason to lose the run
            log.exception("releasing a finished run's Keras state failed")
        self.send(*outcome)


def serve(fd: int) -> None:
    """A worker process's life: warm up, then train what the socket ``fd`` asks until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle; we end with its socket
    quiet_environment(os.environ)  # before TensorFlow is imported (the warm-up imports it)
    quiet_python_logging()
    logging.basicConfig(format="%(asctime)s fmnist worker %(process)d %(levelname)s %(message)s")
    _Serving(fd).run()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
