"""The queue of one machine and its worker processes (``WorkerPool``), in the web process.

It keeps the jobs in the order the rules give (``rules``: tiers, visitors, giving way), hands each run to a worker
process with a free slot (``local_process``) and hears back its progress and how it ended (``wire``); short tasks go
to the least busy worker, beside its training. ``FMNIST_WORKERS`` runs train at once, ``FMNIST_WORKER_THREADS`` of
them in one process (each in a thread of its own there): TensorFlow and the data are held once for all of them. A
worker that dies is reported to the watchers of its runs and replaced; one past ``FMNIST_WORKER_MAX_RUNS`` or
``FMNIST_WORKER_MAX_MB`` takes no new run and is replaced once its runs have ended (``limits``). A pool nobody used
for a while (no page run, no run, no short task: ``limits.idle_seconds``) stops its workers, down to
``limits.idle_workers``, and starts them again at the next use.
"""

from __future__ import annotations

import itertools
import logging
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from .. import settings
from ..config import RunConfig
from ..i18n import N_
from ..runs.cache import RunCache
from . import wire
from .base import NO_ANSWER, WORKER_LOST, JobStatus, Position, WorkerLost, learn
from .limits import idle_seconds, idle_workers, own_mb, retire_reason
from .local_job import LocalJob
from .local_process import Answer, WorkerProcess
from .rules import CostModel, Tier, check_visitor, local_workers, runs_per_worker, tier, wait_seconds

log = logging.getLogger(__name__)
KEEP_FINISHED = 32  # finished jobs remembered (each holds a result); older ones are forgotten


class WorkerPool:
    """The queue of one machine and its worker processes. Share one per process (``shared_pool``)."""

    def __init__(self, workers: int | None = None, threads: int | None = None) -> None:
        self.size = local_workers() if workers is None else workers  # runs trained at once
        per_process = max(1, runs_per_worker() if threads is None else threads)
        self.slots = [min(per_process, self.size - n) for n in range(0, self.size, per_process)]  # one a process
        self.costs = CostModel()
        self._cond = threading.Condition()
        self._jobs: dict[tuple[str, str], LocalJob] = {}
        self._workers: list[WorkerProcess] = []
        self._retiring: set[WorkerProcess] = set()  # replaced, still answering short tasks
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._closed = False
        self._dispatcher: threading.Thread | None = None
        self._last_use = time.monotonic()  # the last page run, submit, short task or run's end

    # ------------------------------------------------------------------ workers

    def _new_worker(self, slots: int) -> WorkerProcess:
        return WorkerProcess(self._on_message, self._on_lost, slots)

    def _replace(self, worker: WorkerProcess) -> bool:
        """A new worker process in ``worker``'s place (under the pool's lock); False when none could start (out of
        processes or memory: the others go on, the log says why)."""
        try:
            self._workers[self._workers.index(worker)] = self._new_worker(worker.slots)
        except OSError:
            log.exception("could not start a worker process in place of %s", worker.pid)
            return False
        return True

    def start(self) -> None:
        """Start the worker processes (they import and warm up TensorFlow) and the dispatcher, or start again the
        workers an idle pool stopped; counts as a use of the pool. Cheap when they run: call it at every use."""
        with self._cond:
            if self._closed:
                return
            self._last_use = time.monotonic()
            for worker in [w for w in self._workers if not w.alive]:  # lost, and no replacement could start then
                self._replace(worker)
            while len(self._workers) < len(self.slots):
                try:
                    self._workers.append(self._new_worker(self.slots[len(self._workers)]))
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
                    job.submitted = time.monotonic()
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

    def running(self, cache: RunCache | None = None) -> list[LocalJob]:
        """Jobs a worker is training now (all of them, or those of one cache)."""
        with self._cond:
            return [j for j in self._running() if cache is None or j.cache.root == cache.root]

    def free(self) -> int:
        """Runs the workers could start now (a worker due for replacement offers none)."""
        with self._cond:
            return sum(w.free for w in self._workers)

    def position(self, job: LocalJob) -> Position | None:
        with self._cond:
            queue = self._queue()
            if job not in queue:
                return None
            ahead = queue[: queue.index(job)]
            running = self._running()
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
            call_id, answer = next(self._ids), Answer()
            worker.calls[call_id] = answer
        worker.send(call_id, wire.Call(task=task, args=args))
        if not answer.came(timeout):
            with self._cond:
                worker.calls.pop(call_id, None)
            raise WorkerLost(NO_ANSWER)
        return answer.value()

    # ------------------------------------------------------------------ the queue (under self._cond)

    def _new_job(self, cache: RunCache, config: RunConfig, session: str | None, visitor: str = "",
                 allowance: float | None = None) -> LocalJob:
        background = session is None
        job = LocalJob(cache, config, session, visitor, background,
                       Tier.BACKGROUND if background else self._rank(visitor), next(self._seq),
                       data_dir=settings.text("FMNIST_DATA_DIR"), hold_dir=settings.text("FMNIST_HOLD_DIR"),
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

    def _running(self) -> list[LocalJob]:
        return [job for w in self._workers for job in w.jobs.values()]

    def _holder(self, job: LocalJob) -> tuple[WorkerProcess, int] | None:
        """The worker training ``job`` and the id its messages carry there, if one is."""
        return next(((w, i) for w in self._workers for i, j in w.jobs.items() if j is job), None)

    def _queue(self) -> list[LocalJob]:
        running = {id(j) for j in self._running()}
        waiting = [j for j in self._jobs.values() if j.live and j.status is JobStatus.QUEUED and id(j) not in running]
        return sorted(waiting, key=lambda j: (Tier.BACKGROUND if j.background else j.rank, j.seq))

    def _give_way_if_needed(self) -> None:
        """A learner's run waits and every slot is busy: one background run gives way (between chunks), or, when a
        first run waits, a later run of a visitor who holds more than one slot."""
        queue = self._queue()
        if not queue or queue[0].background or any(w.free for w in self._workers):
            return
        running = [(w, i, j) for w in self._workers if w.alive and not w.due for i, j in w.jobs.items()]
        held = Counter(v for _, _, job in running for v in job.visitors())
        for worker, ident, job in sorted(running, key=lambda r: not r[2].background):  # background runs first
            more = queue[0].rank is Tier.FIRST and job.rank is Tier.MORE and any(held[v] > 1 for v in job.visitors())
            if (job.background or more) and not job.giving_way:
                job.giving_way = True
                worker.send(ident, wire.GiveWay())
                return

    def _cancel(self, job: LocalJob) -> None:
        job.mark_cancelled()
        holder = self._holder(job)
        if holder is None:
            job.finish(JobStatus.CANCELLED)
        else:
            holder[0].send(holder[1], wire.Cancel())

    def _dispatch(self) -> None:
        with self._cond:
            while not self._closed:
                free = [w for w in self._workers if w.free]
                queue = self._queue()
                if free and queue:
                    worker, job, ident = max(free, key=lambda w: w.free), queue[0], next(self._ids)  # the emptiest
                    worker.jobs[ident], job.giving_way = job, False
                    job.restart(JobStatus.RUNNING)
                    worker.send(ident, wire.Train(
                        config=job.config.to_dict(), cache_root=str(job.cache.root), data_dir=job.data_dir,
                        hold_dir=job.hold_dir, allowance=job.allowance))
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
        if any(j.live for j in self._jobs.values()) or any(w.jobs or w.calls for w in self._workers):
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

    def _on_message(self, worker: WorkerProcess, ident: int, message: wire.FromWorker) -> None:
        if isinstance(message, wire.Called):
            with self._cond:
                worker.answered(ident, message)
                self._last_use = time.monotonic()
                self._cond.notify_all()
            return
        if not isinstance(message, wire.RunReport | wire.Outcome):
            raise TypeError(f"not a message from a worker: {message!r}")
        with self._cond:
            job = worker.jobs.get(ident)
        if job is None:
            return
        if isinstance(message, wire.RunReport):
            job.hear(message)
        else:
            self._end(worker, ident, job, message)

    def _end(self, worker: WorkerProcess, ident: int, job: LocalJob, outcome: wire.Outcome) -> None:
        with self._cond:  # decided under the pool's lock: a Stop (``leave``) cannot slip in between
            self._decide(job, outcome)
            worker.jobs.pop(ident, None)
            worker.runs += 1
            self._last_use = time.monotonic()
            self._retire_if_due(worker)
            self._cond.notify_all()

    def _retire_if_due(self, worker: WorkerProcess) -> None:
        """After a run: a worker past ``FMNIST_WORKER_MAX_RUNS`` or ``FMNIST_WORKER_MAX_MB`` (``limits``) takes no
        new run, and once its runs have ended makes way for a new one (not before: two TensorFlow processes at once
        is the memory this saves); it ends when its short tasks are answered (under the pool's lock)."""
        if worker.due is None:
            worker.due = retire_reason(worker.runs, own_mb(worker.pid), worker.slots, len(worker.jobs))
        if worker.due is None or worker.jobs or self._closed or worker not in self._workers:
            return
        if not self._replace(worker):  # this one goes on, and is weighed again after its next run
            worker.due = None
            return
        log.info("worker process %s replaced after %s", worker.pid, worker.due)
        worker.retiring = True
        self._retiring.add(worker)
        if not worker.calls:
            worker.stop()

    def _decide(self, job: LocalJob, outcome: wire.Outcome) -> None:
        if isinstance(outcome, wire.Done):
            result = outcome.unsaved if outcome.unsaved is not None else job.cache.load(job.key)
            if result is None:
                job.finish(JobStatus.FAILED, error=N_("the finished run is not in the run cache"))
            else:
                learn(self.costs, result, outcome.from_cache, outcome.train_images)
                job.finish(JobStatus.DONE, result=result, from_cache=outcome.from_cache,
                           saved=outcome.unsaved is None)
        elif isinstance(outcome, wire.Yielded) and not job.cancelled:
            job.restart(JobStatus.QUEUED)
        elif isinstance(outcome, wire.Yielded | wire.Cancelled):
            job.finish(JobStatus.CANCELLED)
        else:
            job.finish(JobStatus.FAILED, error=outcome.error)

    def _on_lost(self, worker: WorkerProcess) -> None:
        with self._cond:
            worker.alive = False
            self._retiring.discard(worker)
            jobs, worker.jobs = worker.jobs, {}
            for job in jobs.values():
                job.finish(JobStatus.FAILED, error=WORKER_LOST)
            worker.lose_calls(WORKER_LOST)
            replace = worker in self._workers and not self._closed
            if replace:
                log.warning("worker process %s ended (exit status %s); starting another", worker.pid,
                            worker.proc.returncode)
                self._replace(worker)
            self._cond.notify_all()
