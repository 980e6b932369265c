"""Workers that stay small: uint8 data, a finished run's Keras state let go, a worker replaced after a number of
runs or above a memory budget (local pool and ``python -m fmnist_core worker``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from fmnist_core.queue import JobStatus
from fmnist_core.runs.cache import RunCache
from tests.support import TINY, redis_server, until

ROOT = Path(__file__).resolve().parents[3]


def weights(result) -> list[np.ndarray]:
    return [array for layer in result.load_network().layers for array in layer]


def test_training_reads_uint8_images_and_gives_the_float32_paths_numbers(synthetic_data, monkeypatch):
    from fmnist_core.net.fast_fit import FastFitter
    from fmnist_core.net.model import KERAS_LOCK, seeded_model
    from fmnist_core.runs.training import train

    seen = []
    fit = FastFitter.fit
    monkeypatch.setattr(FastFitter, "fit", lambda self, images, *a, **k: seen.append(images.dtype) or
                        fit(self, images, *a, **k))
    config = TINY.with_(epochs=2, dropout=0.2)
    run = train(config, synthetic_data)
    assert seen == [np.uint8]  # 47 MB for the real training set, not 188 MB of float32

    def fitted(images: np.ndarray) -> list[np.ndarray]:
        with KERAS_LOCK:
            fitter = FastFitter(seeded_model(config), normalize=config.normalize)
        fitter.fit(images, synthetic_data.y_train, epochs=2, batch_size=config.batch_size,
                   validation_split=config.validation_split, seed=config.seed, callbacks=[])
        return [np.array(w) for w in fitter.model.get_weights()]

    as_float = fitted(synthetic_data.x_train.astype(np.float32))  # the pixels as float32, scaled in the step too
    as_uint8 = fitted(synthetic_data.x_train)
    assert all(np.array_equal(a, b) for a, b in zip(as_float, as_uint8, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(as_uint8, fitted(synthetic_data.x_train), strict=True))
    assert run.history["loss"]


@pytest.mark.parametrize("kept", [True, False], ids=["its-fitter-kept", "built-anew"])
def test_a_run_after_its_keras_state_was_released_gives_the_same_numbers(synthetic_data, tmp_path, kept):
    from fmnist_core.net import fitters
    from fmnist_core.queue.limits import release_memory

    config = TINY.with_(epochs=2, dropout=0.2)
    first = RunCache(tmp_path / "a").get_or_train(config, synthetic_data)
    assert release_memory()
    if not kept:
        fitters.forget()
    assert fitters.holds(config) is kept
    again = RunCache(tmp_path / "b").get_or_train(config, synthetic_data)
    assert first.history == again.history
    assert all(np.array_equal(a, b) for a, b in zip(weights(first), weights(again), strict=True))


@pytest.mark.parametrize("limit", [{"FMNIST_WORKER_MAX_RUNS": "2", "FMNIST_WORKER_MAX_MB": "0"},
                                   {"FMNIST_WORKER_MAX_RUNS": "0", "FMNIST_WORKER_MAX_MB": "1"}],
                         ids=["runs", "memory"])
def test_a_local_worker_is_replaced_after_its_runs_or_above_its_budget(tmp_path, synthetic_dir, synthetic_data,
                                                                        monkeypatch, limit):
    from fmnist_core.queue.local import LocalRunner, WorkerPool

    monkeypatch.setenv("FMNIST_DATA_DIR", str(synthetic_dir))
    for name, value in limit.items():
        monkeypatch.setenv(name, value)
    pool = WorkerPool(workers=1)
    try:
        runner = LocalRunner(RunCache(tmp_path / "cache"), pool=pool)
        pool.start()
        until(lambda: len(pool.pids()) == 1)
        (first_pid,) = pool.pids()
        runs_each = 2 if "2" in limit.values() else 1
        jobs = []
        for seed in range(runs_each):
            jobs.append(runner.submit(TINY.with_(epochs=1, seed=seed), "ann"))
            until(lambda: jobs[-1].finished)
        until(lambda: pool.pids() and pool.pids() != [first_pid])  # a new worker in its place
        until(lambda: not psutil.pid_exists(first_pid), 60)  # and the old one ended
        after = runner.submit(TINY.with_(epochs=2, dropout=0.2), "ann")  # the new worker trains, same numbers
        until(lambda: after.finished)
        assert all(j.snapshot().status is JobStatus.DONE for j in [*jobs, after])
        alone = RunCache(tmp_path / "alone").get_or_train(TINY.with_(epochs=2, dropout=0.2), synthetic_data)
        assert after.snapshot().result.history == alone.history
        assert len(pool.pids()) == 1
    finally:
        pool.close()


def test_a_worker_due_for_replacement_takes_no_new_run_and_is_replaced_once_its_runs_end(tmp_path, synthetic_dir,
                                                                                            monkeypatch):
    from fmnist_core.queue.local import LocalRunner, WorkerPool

    holds = tmp_path / "holds"
    holds.mkdir()
    for name, value in {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_HOLD_DIR": str(holds),
                        "FMNIST_WORKER_MAX_RUNS": "1", "FMNIST_WORKER_MAX_MB": "0"}.items():
        monkeypatch.setenv(name, value)
    pool = WorkerPool(workers=2, threads=2)  # two runs at once in one process: replaced after two runs
    try:
        runner = LocalRunner(RunCache(tmp_path / "cache"), pool=pool)
        first, second, third = (TINY.with_(epochs=1, seed=s) for s in (1, 2, 3))
        for config in (first, second, third):
            (holds / config.key).touch()
        jobs = [runner.submit(c, f"learner-{i}") for i, c in enumerate((first, second))]
        until(lambda: all(j.snapshot().status is JobStatus.RUNNING for j in jobs))
        (pid,) = pool.pids()
        (holds / first.key).unlink()
        until(lambda: jobs[0].finished)
        assert pool.free() == 1  # one run so far: its slot is offered again
        jobs.append(runner.submit(third, "learner-2"))
        until(lambda: jobs[2].snapshot().status is JobStatus.RUNNING)
        (holds / third.key).unlink()
        until(lambda: jobs[2].finished)
        assert pool.free() == 0  # two runs: due, its free slot is not offered while the other run trains
        later = runner.submit(TINY.with_(epochs=1, seed=4), "learner-3")
        assert later.snapshot().status is JobStatus.QUEUED
        released = time.monotonic()
        (holds / second.key).unlink()
        until(lambda: later.finished)
        assert [j.snapshot().status for j in (*jobs, later)] == [JobStatus.DONE] * 4
        assert later.started > released  # it waited for the worker's runs to end, then ran in its successor
        until(lambda: not psutil.pid_exists(pid), 60)
        assert len(pool.pids()) == 1 and pool.pids() != [pid]
    finally:
        pool.close()


def test_a_process_training_runs_at_once_has_the_limits_of_that_many_workers(monkeypatch):
    from fmnist_core.queue.limits import retire_reason

    monkeypatch.setenv("FMNIST_WORKER_MAX_RUNS", "20")
    monkeypatch.setenv("FMNIST_WORKER_MAX_MB", "600")
    assert retire_reason(19, 100) is None and "20 runs" in retire_reason(20, 100)
    assert retire_reason(39, 100, slots=2) is None and "40 runs" in retire_reason(40, 100, slots=2)
    assert "800 MB" in retire_reason(0, 800, slots=2)  # nothing else training: its own memory is all its own
    assert retire_reason(0, 800, slots=2, training=1) is None  # 300 MB more while another run trains in it
    assert "1000 MB" in retire_reason(0, 1000, slots=2, training=1)
    monkeypatch.setenv("FMNIST_WORKER_MAX_RUNS", "0")
    monkeypatch.setenv("FMNIST_WORKER_MAX_MB", "0")
    assert retire_reason(10**6, 10**6, slots=4, training=3) is None  # no limits


def test_a_worker_process_trains_runs_in_threads_and_lets_keras_go_after_the_last(monkeypatch):
    """``local_worker.Serving``, in this process: two runs train at once, each in a thread; Keras's state is
    released when the last one ends, not while the other still trains (``clear_session`` resets every thread's)."""
    import socket
    import threading
    from multiprocessing.connection import Connection
    from types import SimpleNamespace

    from fmnist_core.queue import local_worker, wire

    gates = {1: threading.Event(), 2: threading.Event()}
    training, released = [], []

    def train_run(config, cache_root, report, should_stop, data_dir, hold_dir, allowance):
        training.append(config.seed)
        gates[config.seed].wait(60)
        return SimpleNamespace(saved=True, run=None, from_cache=False), 100

    monkeypatch.setattr(local_worker, "train_run", train_run)
    monkeypatch.setattr(local_worker, "release_memory", lambda keras=True: released.append((serving.training, keras)))
    ours, theirs = socket.socketpair()
    serving, server = local_worker.Serving(theirs.detach()), Connection(ours.detach())
    try:
        serving.warm.set()
        for ident in (1, 2):
            serving.take(ident, wire.Train(config=TINY.with_(seed=ident).to_dict(), cache_root="", data_dir="",
                                           hold_dir=""))
        until(lambda: sorted(training) == [1, 2])  # both at once
        gates[2].set()
        assert server.poll(60) and server.recv() == (2, wire.Done(unsaved=None, from_cache=False, train_images=100))
        assert released == [(1, False)]  # the heap given back; Keras's state kept: run 1 still trains
        gates[1].set()
        assert server.poll(60) and server.recv()[0] == 1
        assert released == [(1, False), (0, True)]
    finally:
        for gate in gates.values():
            gate.set()
        server.close()
        serving.conn.close()


@pytest.mark.parametrize("keep", [0, 1], ids=["to-none", "to-one"])
def test_an_unused_pool_stops_its_workers_and_starts_them_again_when_asked(tmp_path, synthetic_dir, monkeypatch,
                                                                           keep):
    from fmnist_core.queue.local import LocalRunner, WorkerPool

    monkeypatch.setenv("FMNIST_DATA_DIR", str(synthetic_dir))
    monkeypatch.setenv("FMNIST_IDLE_SECONDS", "1")
    monkeypatch.setenv("FMNIST_IDLE_WORKERS", str(keep))
    pool = WorkerPool(workers=2, threads=1)  # two processes
    try:
        runner = LocalRunner(RunCache(tmp_path / "cache"), pool=pool)
        first = runner.submit(TINY.with_(epochs=1), "ann")
        started = pool.pids()
        assert len(started) == 2
        until(lambda: first.finished)
        until(lambda: len(pool.pids()) == keep)  # a second unused: the class left, the memory is given back
        stopped = set(started) - set(pool.pids())
        until(lambda: not any(psutil.pid_exists(pid) for pid in stopped), 60)
        again = runner.submit(TINY.with_(epochs=1, seed=1), "ann")  # a learner trains: the pool grows back
        assert len(pool.pids()) == 2 and set(pool.pids()).isdisjoint(stopped)
        until(lambda: again.finished)
        assert [j.snapshot().status for j in (first, again)] == [JobStatus.DONE, JobStatus.DONE]
    finally:
        pool.close()


def test_a_pool_in_use_keeps_its_workers(tmp_path, synthetic_dir, monkeypatch):
    from fmnist_core.queue.local import LocalRunner, WorkerPool

    monkeypatch.setenv("FMNIST_DATA_DIR", str(synthetic_dir))
    monkeypatch.setenv("FMNIST_IDLE_SECONDS", "1")
    monkeypatch.setenv("FMNIST_HOLD_DIR", str(tmp_path / "hold"))  # the run waits here until the file appears
    pool = WorkerPool(workers=1)
    try:
        runner = LocalRunner(RunCache(tmp_path / "cache"), pool=pool)
        held = tmp_path / "hold" / TINY.with_(epochs=1).key
        held.parent.mkdir()
        held.touch()
        job = runner.submit(TINY.with_(epochs=1), "ann")
        (pid,) = pool.pids()
        until(lambda: job.status is JobStatus.RUNNING)
        assert pool.stop_idle_workers(now=time.monotonic() + 3600) == 0  # an hour on, still training: kept
        assert pool.pids() == [pid]
        held.unlink()
        until(lambda: job.finished)
        until(lambda: pool.pids() == [])  # its end was the last use; a second later the worker is stopped
        assert job.snapshot().status is JobStatus.DONE
    finally:
        pool.close()


@pytest.mark.parametrize("step", [10, 0])
def test_a_local_worker_trains_at_a_lower_cpu_priority_than_the_server(tmp_path, synthetic_dir, monkeypatch, step):
    from fmnist_core.queue.local import LocalRunner, WorkerPool

    ours = os.getpriority(os.PRIO_PROCESS, 0)
    if step and ours >= 19:
        pytest.skip("the tests already run at the lowest CPU priority")
    monkeypatch.setenv("FMNIST_DATA_DIR", str(synthetic_dir))
    monkeypatch.setenv("FMNIST_WORKER_NICE", str(step))
    monkeypatch.setenv("FMNIST_WORKER_MAX_RUNS", "0")  # the worker that trained is the one looked at
    monkeypatch.setenv("FMNIST_WORKER_MAX_MB", "0")
    pool = WorkerPool(workers=1)
    try:
        job = LocalRunner(RunCache(tmp_path / "cache"), pool=pool).submit(TINY.with_(epochs=1), "ann")
        assert job.wait(300)  # the worker has started, set its priority and trained
        (pid,) = pool.pids()
        threads = [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
        assert len(threads) > 1  # TensorFlow's, numpy's and the worker's own
        assert {os.getpriority(os.PRIO_PROCESS, tid) for tid in threads} == {min(19, ours + step)}
        assert job.snapshot().status is JobStatus.DONE
    finally:
        pool.close()


BEFORE_AND_AFTER = """
import os, threading
from fmnist_core.queue.limits import lower_priority
started, end, ids = threading.Event(), threading.Event(), []
def wait():
    ids.append(threading.get_native_id())
    started.set()
    end.wait()
threading.Thread(target=wait).start()
started.wait()
nice = lower_priority()
print(nice, os.getpriority(os.PRIO_PROCESS, ids[0]))
end.set()
"""


def test_lower_priority_follows_the_setting_in_every_thread():
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    for step in ("3", "0"):
        out = subprocess.run([sys.executable, "-c", BEFORE_AND_AFTER], cwd=ROOT, capture_output=True, text=True,
                             env=os.environ | {"FMNIST_WORKER_NICE": step}, check=True)
        assert out.stdout.split() == [str(min(19, ours + int(step)))] * 2  # the thread started before too


@pytest.mark.redis
@pytest.mark.parametrize("limit", [{"FMNIST_WORKER_MAX_RUNS": "1"},
                                   {"FMNIST_WORKER_MAX_RUNS": "0", "FMNIST_WORKER_MAX_MB": "1"}],
                         ids=["runs", "memory"])
def test_an_rq_worker_stops_after_its_runs_or_above_its_budget(tmp_path, limit):
    from rq import Queue

    from fmnist_core.queue.rq import SERIALIZER

    with redis_server() as (url, connection):
        queue = Queue("fmnist-first", connection=connection, serializer=SERIALIZER)  # as the app writes jobs
        for _ in range(2):  # quick jobs (no such run to write a .keras file of)
            queue.enqueue("fmnist_core.queue.rq.call_job", "keras_file", (str(tmp_path / "cache"), "0" * 16))
        worker = subprocess.Popen([sys.executable, "-m", "fmnist_core", "worker", "--url", url], cwd=ROOT,
                                  env=os.environ | limit, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert worker.wait(120) == 0  # no --burst: it stopped because of its limit
        finally:
            if worker.poll() is None:
                worker.kill()
        assert queue.count == 1  # one job done, the next one left for the worker started in its place
