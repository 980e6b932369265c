"""One contract for both transports of the queue: local worker processes and RQ workers through a real Redis.

Every test holds a worker busy with ``FMNIST_HOLD_DIR`` (a run whose key names a file there waits, as running,
until the file is removed), so nothing here depends on how fast this machine trains: tests wait on states.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fmnist_core.config import RunConfig
from fmnist_core.queue import JobStatus, Refused
from fmnist_core.runs.cache import RunCache
from tests.browser.helpers import free_port
from tests.support import TINY, children, until

ROOT = Path(__file__).resolve().parents[3]
QUICK = RunConfig(epochs=2, hidden_units=8)


class Queue:
    """One transport under test: runners on one shared cache, workers that can be killed, runs that can be held."""

    def __init__(self, kind: str, folder: Path, data_dir: Path, monkeypatch) -> None:
        self.kind, self.folder = kind, folder
        self.cache_root, self.holds = folder / "cache", folder / "holds"
        self.holds.mkdir()
        monkeypatch.setenv("FMNIST_DATA_DIR", str(data_dir))
        monkeypatch.setenv("FMNIST_HOLD_DIR", str(self.holds))
        monkeypatch.delenv("FMNIST_MAX_RUN_SECONDS", raising=False)
        self.env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"}
        self.pool, self.redis, self.workers = None, None, []
        if kind == "embedded":
            from fmnist_core.queue.local import WorkerPool

            self.pool = WorkerPool(workers=1)
        else:
            self._start_redis()
            self.add_worker()

    def _start_redis(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            pytest.skip("redis-server is not installed (make test installs it)")
        port = free_port()
        self.redis = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{port}/0"
        from redis import Redis

        def up() -> bool:
            try:
                return bool(Redis.from_url(self.url).ping())
            except Exception:  # noqa: BLE001 - not listening yet
                return False

        until(up, 30)

    def add_worker(self) -> None:
        """One more worker (RQ: a worker process; embedded: the pool grows by one)."""
        if self.kind == "embedded":
            self.pool.close()
            from fmnist_core.queue.local import WorkerPool

            self.pool = WorkerPool(workers=self.pool.size + 1)
            return
        self.workers.append(subprocess.Popen([sys.executable, "-m", "fmnist_core", "worker", "--url", self.url],
                                             cwd=ROOT, env=self.env, start_new_session=True,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def runner(self):
        """A new runner (an app server) on the shared cache, reading the environment now."""
        cache = RunCache(self.cache_root)
        if self.kind == "embedded":
            from fmnist_core.queue.local import LocalRunner

            return LocalRunner(cache, pool=self.pool)
        from fmnist_core.queue.rq_runner import RQRunner

        return RQRunner(self.url, cache)

    def hold(self, config: RunConfig) -> RunConfig:
        (self.holds / config.key).touch()
        return config

    def release(self, config: RunConfig) -> None:
        (self.holds / config.key).unlink(missing_ok=True)

    def kill_worker(self) -> None:
        """SIGKILL the worker process(es) doing the work (for RQ: the worker and the work horse it forked)."""
        if self.kind == "embedded":
            for pid in self.pool.pids():
                os.kill(pid, signal.SIGKILL)
            return
        for worker in self.workers:
            for pid in [*children(worker.pid), worker.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            worker.wait(30)
        self.workers.clear()

    def close(self) -> None:
        for path in self.holds.iterdir():
            path.unlink()
        if self.pool is not None:
            self.pool.close()
        if self.redis is not None:
            self.kill_worker()
            self.redis.terminate()
            self.redis.wait(10)


@pytest.fixture(params=["embedded", pytest.param("rq", marks=pytest.mark.redis)])
def queue(request, tmp_path, synthetic_dir, monkeypatch):
    q = Queue(request.param, tmp_path, synthetic_dir, monkeypatch)
    yield q
    q.close()


def running(job) -> bool:
    return job.snapshot().status is JobStatus.RUNNING


def entries(q: Queue) -> list[str]:
    runs = q.cache_root / "runs"
    return sorted(p.name for p in runs.iterdir() if not p.name.startswith(".")) if runs.exists() else []


def test_later_runs_wait_behind_other_sessions_first_runs_even_while_the_first_one_runs(queue):
    runner = queue.runner()
    a1, a2, b1, c1, a3 = (queue.hold(TINY.with_(seed=s)) for s in range(5))
    first = runner.submit(a1, "ann")
    until(lambda: running(first))  # ann's first run is running: her next one is a later run all the same
    names = {a2.key: "a2", b1.key: "b1", c1.key: "c1", a3.key: "a3"}
    for config, session in ((a2, "ann"), (b1, "bob"), (c1, "cy"), (a3, "ann")):
        runner.submit(config, session)
    assert [names[j.key] for j in runner.queued()] == ["b1", "c1", "a2", "a3"]
    assert [j.key for j in runner.running()] == [first.key]  # what the class board counts as training now
    position = runner.position(runner.get(a2.key))
    assert position.ahead == 3 and position.seconds > 0  # the running run and two first runs


def test_the_ceiling_comes_from_the_environment(queue, monkeypatch):
    medium = RunConfig(epochs=100, hidden_units=512, batch_size=1)  # ~20 s estimated on the test data
    queue.runner().check(medium)  # the default ceiling (180 s) lets it through
    monkeypatch.setenv("FMNIST_MAX_RUN_SECONDS", "5")
    runner = queue.runner()
    with pytest.raises(Refused, match="more than the 5 s allowed"):
        runner.submit(medium, "ann", limit=True)
    assert runner.queued() == [] and runner.get(medium.key) is None


def test_a_learner_takes_over_a_prefetched_run_and_can_stop_it(queue):
    runner = queue.runner()
    busy = runner.submit(queue.hold(TINY), "ann")
    until(lambda: running(busy))
    p1, p2 = (queue.hold(TINY.with_(epochs=e)) for e in (4, 5))
    runner.prefetch([p1, p2])
    assert [j.key for j in runner.queued()] == [p1.key, p2.key] and runner.get(p2.key).background
    wanted = runner.submit(p2, "bob")
    assert [j.key for j in runner.queued()] == [p2.key, p1.key] and not wanted.background
    assert runner.leave(wanted, "bob") == 0
    until(lambda: wanted.snapshot().status is JobStatus.CANCELLED)
    assert [j.key for j in runner.queued()] == [p1.key]


def test_stop_with_two_watchers_leaves_and_the_last_stop_cancels(queue):
    a, b = queue.runner(), queue.runner()
    config = queue.hold(TINY)
    job = a.submit(config, "ann")
    b.submit(config, "bob")
    until(lambda: running(job))
    assert job.snapshot().watchers == 2
    assert a.leave(job, "ann") == 1
    assert running(job) and job.live
    assert b.leave(b.get(config.key), "bob") == 0
    until(lambda: job.snapshot().status is JobStatus.CANCELLED)
    assert entries(queue) == []
    again = a.submit(config, "cy")  # asked for again: a new run, watched by nobody from before
    assert again.snapshot().watchers == 1
    a.leave(again, "cy")
    until(lambda: again.snapshot().finished)


def test_a_learner_takes_over_a_running_prefetched_run_and_can_stop_it(queue):
    runner = queue.runner()
    (prefetched,) = runner.prefetch([queue.hold(TINY.with_(epochs=4))])
    until(lambda: running(prefetched))
    wanted = runner.submit(prefetched.config, "bob")
    assert not wanted.background
    later = runner.submit(queue.hold(QUICK), "bob")  # bob's second live run: behind other learners' first runs
    first = runner.submit(queue.hold(QUICK.with_(seed=1)), "ann")
    assert [j.key for j in runner.queued()] == [first.key, later.key]
    assert runner.leave(wanted, "bob") == 0
    until(lambda: wanted.snapshot().status is JobStatus.CANCELLED)
    assert entries(queue) == []


def test_a_queued_run_nobody_watches_is_withdrawn(queue):
    runner = queue.runner()
    busy = runner.submit(queue.hold(TINY), "ann")
    until(lambda: running(busy))
    waiting = runner.submit(QUICK, "bob")
    assert runner.position(waiting).ahead == 1
    assert runner.leave(waiting, "bob") == 0
    until(lambda: waiting.snapshot().status is JobStatus.CANCELLED)
    assert [j.key for j in runner.queued()] == []


def test_a_killed_worker_is_reported_leaves_no_half_entry_and_the_queue_goes_on(queue):
    runner = queue.runner()
    job = runner.submit(queue.hold(TINY), "ann")
    until(lambda: running(job))
    queue.kill_worker()
    until(lambda: job.snapshot().status is JobStatus.FAILED)
    assert "stopped unexpectedly" in job.snapshot().error
    assert entries(queue) == []
    if queue.kind == "rq":
        queue.add_worker()  # RQ workers are started by their machines; the local pool replaces its own
    retry = runner.submit(QUICK, "ann")
    until(lambda: retry.snapshot().finished)
    assert retry.snapshot().done


def test_one_config_asked_for_twice_trains_once(queue):
    a, b = queue.runner(), queue.runner()
    config = queue.hold(QUICK)
    mine, theirs = a.submit(config, "ann"), b.submit(config, "bob")
    until(lambda: running(mine))
    assert mine.key == theirs.key and mine.snapshot().watchers == 2 and len(a.queued()) == 0
    queue.release(config)
    until(lambda: mine.snapshot().finished and theirs.snapshot().finished)
    done_a, done_b = mine.snapshot(), theirs.snapshot()
    assert done_a.done and done_b.done and not done_a.from_cache
    assert done_a.result.trained_at == done_b.result.trained_at and len(done_a.history["loss"]) == 2
    assert entries(queue) == [config.key]
    again = a.submit(config, "cy")  # asked for again later: answered from the cache, not trained
    until(lambda: again.snapshot().finished)
    assert again.snapshot().from_cache


def test_finished_runs_teach_the_cost_model(queue):
    runner = queue.runner()
    before = runner.costs.estimate(RunConfig())
    job = runner.submit(QUICK.with_(seed=3), "ann")
    until(lambda: job.snapshot().finished)
    assert job.snapshot().done
    assert runner.costs.train_images == 400  # the test data's training set, reported by the worker
    assert runner.costs.estimate(RunConfig()) != before


def test_short_tasks_run_in_a_worker(queue):
    runner = queue.runner()
    outcome = runner.mistake("correct")
    assert outcome.error is None and outcome.history["loss"]
    job = runner.submit(QUICK.with_(seed=4), "ann")
    until(lambda: job.snapshot().finished)
    assert runner.keras_file(QUICK.with_(seed=4).key)[:2] == b"PK"  # a .keras file is a zip archive


def test_the_train_page_trains_through_either_transport(queue, monkeypatch):
    from tests.support import finish, open_app, texts

    monkeypatch.setenv("FMNIST_CACHE_DIR", str(queue.cache_root))
    if queue.kind == "rq":
        monkeypatch.setenv("FMNIST_QUEUE_URL", queue.url)
    at = open_app({"epochs": "2", "units": "8", "seed": "11"})
    at.form_submit_button[0].click()
    finish(at)
    assert not at.exception and any(t.startswith("Trained just now") for t in texts(at.success))
    assert RunConfig(epochs=2, hidden_units=8, seed=11).key in entries(queue)


# ------------------------------------------------------------------- visitors (one browser across its page loads)


def test_a_visitor_is_one_browser_across_page_loads(queue):
    runner = queue.runner()
    a1, a2, b1 = (queue.hold(TINY.with_(seed=s)) for s in (20, 21, 22))
    first = runner.submit(a1, "ann-load-1", visitor="ann")
    until(lambda: running(first))
    runner.submit(a2, "ann-load-2", visitor="ann")  # a new page load of the same browser: still ann's second run
    runner.submit(b1, "bob-load-1", visitor="bob")
    assert [j.key for j in runner.queued()] == [b1.key, a2.key]


def test_a_visitor_has_at_most_a_few_runs_from_pages(queue, monkeypatch):
    monkeypatch.setenv("FMNIST_MAX_RUNS_PER_VISITOR", "2")
    runner = queue.runner()
    a1, a2, a3, b1 = (queue.hold(QUICK.with_(seed=s)) for s in (30, 31, 32, 33))
    runner.submit(a1, "ann-1", limit=True, visitor="ann")
    runner.submit(a2, "ann-2", limit=True, visitor="ann")
    with pytest.raises(Refused, match="You already have 2 runs waiting or training"):
        runner.submit(a3, "ann-3", limit=True, visitor="ann")
    assert runner.get(a3.key) is None or not runner.get(a3.key).live
    runner.submit(b1, "bob-1", limit=True, visitor="bob")  # others are not held back
    assert runner.submit(b1, "ann-3", limit=True, visitor="ann").watched_by("ann-3")  # watching a live run is free
    assert runner.submit(a3, "cli", visitor="ann").live  # the command line has no such limit


def test_a_visitor_holding_two_workers_gives_one_back_when_a_first_run_waits(queue):
    queue.add_worker()  # two workers
    runner = queue.runner()
    a1, a2, b1 = (queue.hold(TINY.with_(seed=s)) for s in (40, 41, 42))
    one = runner.submit(a1, "ann-1", visitor="ann")
    two = runner.submit(a2, "ann-2", visitor="ann")  # nobody else waits: ann may use both workers
    until(lambda: running(one) and running(two))
    newcomer = runner.submit(b1, "bob-1", visitor="bob")
    until(lambda: running(newcomer))
    assert running(one) and two.snapshot().status is JobStatus.QUEUED and two.live  # back in line, not lost
    for config in (a1, a2, b1):
        queue.release(config)
    until(lambda: two.snapshot().finished)
    assert two.snapshot().done and one.snapshot().done and newcomer.snapshot().done


def test_a_run_nobody_watches_any_more_leaves_the_queue(queue):
    runner = queue.runner()
    busy = runner.submit(queue.hold(TINY.with_(seed=50)), "ann-tab", visitor="ann")
    until(lambda: running(busy))
    shared = runner.submit(queue.hold(QUICK.with_(seed=51)), "bob-tab", visitor="bob")
    runner.submit(shared.config, "cy-tab", visitor="cy")
    (background,) = runner.prefetch([queue.hold(QUICK.with_(seed=52))])
    assert runner.drop_sessions(["ann-tab", "bob-tab"]) == 1  # ann's tab closed; cy still watches the shared run
    until(lambda: busy.snapshot().status is JobStatus.CANCELLED)
    assert shared.live and background.live
    assert runner.drop_sessions(["cy-tab"]) == 1
    until(lambda: shared.snapshot().status is JobStatus.CANCELLED)
    assert background.live and shared.key not in [j.key for j in runner.queued()]  # the background run goes on
    assert entries(queue) == []


def test_a_page_run_past_its_allowance_is_stopped_with_a_sentence(queue, monkeypatch):
    monkeypatch.setenv("FMNIST_OVERRUN", "0")  # any training time is past the allowance: no clock to race
    runner = queue.runner()
    page = runner.submit(QUICK.with_(seed=60), "ann", limit=True, visitor="ann")
    until(lambda: page.snapshot().finished)
    snap = page.snapshot()
    assert snap.status is JobStatus.FAILED and "trained much longer than its estimate" in snap.error
    assert entries(queue) == []
    cli = runner.submit(QUICK.with_(seed=61), "command line")  # no ceiling on the command line
    until(lambda: cli.snapshot().finished)
    assert cli.snapshot().done
