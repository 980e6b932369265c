"""The RQ transport against a Redis that fails or lies: killed mid-run, run without workers, written to by someone
else. Real ``redis-server`` processes and real workers (``python -m fmnist_core worker``); every wait is on a
state, with a deadline."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from fmnist_core.queue import NO_WORKER, JobStatus, QueueUnreachable
from fmnist_core.queue.rq import QUEUES, REDIS_LOST, UNREADABLE
from tests.core.queue.test_contract import QUICK, ROOT, Queue, running
from tests.support import TINY, finish, open_app, until

pytestmark = pytest.mark.redis


class Plant:
    """A pickle that creates ``path`` when it is unpickled (what a stranger with access to Redis could plant)."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


class Outage(Queue):
    """The RQ transport, with Redis that can be killed and started again on the same port, and workers started
    only when asked (each worker's log in a file)."""

    def __init__(self, folder: Path, data_dir: Path, monkeypatch, workers: int) -> None:
        self.logs: list[Path] = []
        self.monkeypatch = monkeypatch
        self._ready = False
        super().__init__("rq", folder, data_dir, monkeypatch)
        self._ready = True
        for _ in range(workers):
            self.add_worker()

    def add_worker(self) -> None:
        if not self._ready:  # Queue starts one worker: here each test says how many
            return
        log = self.folder / f"worker-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.workers.append(subprocess.Popen([sys.executable, "-m", "fmnist_core", "worker", "--url", self.url],
                                                 cwd=ROOT, env=self.env, start_new_session=True,
                                                 stdout=out, stderr=subprocess.STDOUT))

    def kill_redis_and_start_it_again(self, when=lambda: True) -> None:
        """SIGKILL redis-server, then, once ``when()`` holds, start a new, empty one on the same port."""
        port = self.url.rsplit(":", 1)[1].split("/")[0]
        self.redis.send_signal(signal.SIGKILL)
        self.redis.wait(30)
        until(when, 120)
        self.redis = subprocess.Popen([self.redis.args[0], "--port", port, "--save", "", "--appendonly", "no"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def train_on_the_page(self, query: dict[str, str]) -> AppTest:
        """The Train page of an app server on this queue and its cache, Train pressed for ``query``'s run."""
        self.monkeypatch.setenv("FMNIST_QUEUE_URL", self.url)
        self.monkeypatch.setenv("FMNIST_CACHE_DIR", str(self.cache_root))
        at = open_app(query)
        at.form_submit_button[0].click()
        at.run()
        assert not at.exception
        return at

    def log_text(self) -> str:
        return "\n".join(log.read_text(errors="replace") for log in self.logs)


@pytest.fixture
def outage(tmp_path, synthetic_dir, monkeypatch):
    """``outage(workers=N)``: an ``Outage`` for the test (its Redis and workers stopped after it)."""
    made: list[Outage] = []

    def make(workers: int) -> Outage:
        made.append(Outage(tmp_path, synthetic_dir, monkeypatch, workers))
        return made[-1]

    yield make
    for q in made:
        q.close()


def registered(runner) -> int:
    """Workers registered in Redis, as the app counts them (-1 while Redis does not answer)."""
    from rq import Worker

    try:
        return len(Worker.all(connection=runner.redis))
    except Exception:  # noqa: BLE001 - Redis not answering yet
        return -1


def status(job) -> JobStatus | None:
    try:
        return job.snapshot().status
    except QueueUnreachable:
        return None


@pytest.mark.parametrize("down", ["moment", "until the worker noticed"])
def test_workers_outlive_redis_killed_mid_run_and_the_killed_runs_watchers_are_told(outage, down):
    q = outage(workers=2)  # one will be busy, one idle
    runner = q.runner()
    until(lambda: registered(runner) == 2, 120)
    job = runner.submit(q.hold(TINY), "ann")
    until(lambda: running(job), 120)

    if down == "moment":  # back at once: the worker finds a new, empty Redis
        q.kill_redis_and_start_it_again()
    else:  # back only once the busy worker has seen that Redis does not answer (or has quit over it)
        q.kill_redis_and_start_it_again(when=lambda: "Redis does not answer" in q.log_text()
                                        or any(worker.poll() is not None for worker in q.workers))

    until(lambda: registered(runner) == 2, 120)  # both came back and registered again
    until(lambda: status(job) is JobStatus.FAILED, 120)
    assert job.snapshot().error == REDIS_LOST
    again = runner.get(job.key)  # what a watcher's page asks for after the outage
    assert again is not None and again.snapshot().error == REDIS_LOST
    assert all(worker.poll() is None for worker in q.workers)
    assert "unhandled exception" not in q.log_text()

    retry = runner.submit(QUICK, "bob")  # the queue goes on
    until(lambda: retry.snapshot().finished, 300)
    assert retry.snapshot().done
    replay = runner.submit(q.hold(TINY), "ann")  # the lost run, asked for again: a new run, nothing lost of it
    assert replay.snapshot().status in (JobStatus.QUEUED, JobStatus.RUNNING) and replay.snapshot().error is None


def test_pages_and_the_command_line_say_when_no_worker_is_running(outage):
    q = outage(workers=0)
    runner = q.runner()
    job = runner.submit(QUICK.with_(seed=7), "ann")
    assert runner.position(job).workers == 0

    at = q.train_on_the_page({"epochs": "2", "units": "8", "seed": "11"})
    assert [p.proto.text for p in at.get("progress")] == [NO_WORKER]

    cli = subprocess.Popen([sys.executable, "-m", "fmnist_core", "train", "--epochs", "2", "--hidden-units", "8",
                            "--seed", "12"], cwd=ROOT, env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"},
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(cli.stderr), daemon=True)
    reader.start()
    try:
        until(lambda: NO_WORKER in "".join(lines) or cli.poll() is not None, 120)
        assert NO_WORKER in "".join(lines)
        q.add_worker()  # the run starts when a worker does
        assert cli.wait(600) == 0
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait(30)
    reader.join(30)
    assert "test accuracy" in "".join(lines)
    finish(at)
    assert not at.exception and not at.get("progress")


def test_a_pickle_planted_in_redis_is_refused_and_never_run(outage, tmp_path):
    from redis import Redis
    from rq import Queue as RQQueue
    from rq.job import Job

    q = outage(workers=1)
    runner = q.runner()
    busy = runner.submit(q.hold(TINY), "ann")
    until(lambda: running(busy), 120)
    at = q.train_on_the_page({"epochs": "2", "units": "8"})  # QUICK, queued behind the busy run
    waiting = runner.get(QUICK.key)
    assert waiting is not None and waiting.snapshot().status is JobStatus.QUEUED

    in_meta, in_data = tmp_path / "ran-from-meta", tmp_path / "ran-from-data"
    stranger = Redis.from_url(q.url)
    stranger.hset(f"rq:job:{QUICK.key}", "meta", pickle.dumps(Plant(in_meta)))
    # and whole jobs straight into the first queue, for the worker: one in RQ's default (pickle) serializer, one
    # in JSON naming a function that is not this app's
    planted = RQQueue(QUEUES[0], connection=stranger).enqueue("builtins.print", Plant(in_data))
    in_json = tmp_path / "ran-from-json"
    named = RQQueue(QUEUES[0], connection=stranger, serializer="json").enqueue("builtins.open", str(in_json), "w")

    at.run()  # the page refreshes, as the progress fragment does
    assert not at.exception and not in_meta.exists()
    assert runner.get(QUICK.key) is None and [j.key for j in runner.queued()] == []
    snap = waiting.snapshot()
    assert (snap.status, snap.error) == (JobStatus.FAILED, UNREADABLE) and not in_meta.exists()

    at.form_submit_button[0].click()  # Train again: the refused entry is replaced by a run of this app's own
    at.run()
    assert not at.exception
    assert runner.get(QUICK.key).snapshot().status is JobStatus.QUEUED

    q.release(TINY)  # the worker takes the planted job, refuses it, and goes on with the runs behind it
    until(lambda: all(Job.fetch(j.id, connection=stranger, serializer="json").get_status() == "failed"
                      for j in (planted, named)), 120)
    finish(at)
    assert not at.exception and any(s.value.startswith("Trained just now") for s in at.success)
    assert not in_data.exists() and not in_meta.exists() and not in_json.exists()
    assert q.workers[0].poll() is None
    log = q.log_text()
    assert f"refused job {planted.id}" in log and f"refused job {named.id}" in log and "Traceback" not in log


def test_a_worker_stops_soon_after_sigterm(outage):
    """SIGTERM stops an idle worker within seconds, every time (RQ's own command thread waits up to 60 s at a time,
    and 2 of 5 stops took 60 s with it)."""
    q = outage(workers=0)
    runner = q.runner()
    for _ in range(6):  # the slow stop came about every other time: six make it near certain to show
        q.add_worker()
        until(lambda: "cleaning registries" in q.logs[-1].read_text(), 120)  # in its loop, its signals set
        assert registered(runner) == 1
        worker = q.workers.pop()
        worker.send_signal(signal.SIGTERM)
        until(lambda: worker.poll() is not None, 10)  # noqa: B023 - waited on before the next loop
        assert worker.returncode == 0 and registered(runner) == 0
