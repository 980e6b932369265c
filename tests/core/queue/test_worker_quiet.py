"""A quiet terminal: workers' standard error without TensorFlow's start-up lines, with a real error kept."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fmnist_core.config import RunConfig
from fmnist_core.queue import JobStatus
from fmnist_core.queue.quiet import hidden
from fmnist_core.runs.cache import RunCache
from tests.support import redis_server

ROOT = Path(__file__).resolve().parents[3]
NOISE = re.compile(r"onednn|cuinit|cuda", re.IGNORECASE)


def noisy(text: str) -> list[str]:
    return [line for line in text.splitlines() if NOISE.search(line)]


def test_only_tensorflows_log_lines_below_the_level_are_hidden():
    start = b"I0000 00:00:1796394475.432175    6945 port.cc:153] oneDNN custom operations are on.\n"
    cuinit = b"E0000 00:00:1796394479.350234    6945 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR (303)\n"
    fatal = b"F0000 00:00:1796394479.350234    6945 thing.cc:1] Check failed: x\n"
    assert hidden(start, 3) and hidden(cuinit, 3) and not hidden(fatal, 3)
    assert not hidden(cuinit, 2) and hidden(start, 1) and not hidden(start, 0)
    assert not hidden(b"Traceback (most recent call last):\n", 3)
    assert not hidden(b"fmnist_core.data.sources.DataError: FMNIST_DATA_DIR=/x is not a folder\n", 3)


def test_a_local_workers_error_reaches_the_terminal_without_tensorflows_start_up_lines(tmp_path, capfd, monkeypatch):
    from fmnist_core.queue.local import WorkerPool

    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)  # as a teacher's shell has it
    monkeypatch.setenv("FMNIST_DATA_DIR", str(tmp_path / "no-such-folder"))  # the run fails in the worker
    pool = WorkerPool(workers=1)
    err = ""
    try:
        job = pool.submit(RunCache(tmp_path / "cache"), RunConfig(epochs=1, hidden_units=8), "s")
        assert job.wait(300)  # the worker warmed up (imported TensorFlow) before it took the run
        assert job.snapshot().status is JobStatus.FAILED
        deadline = time.monotonic() + 60
        while "is not a folder" not in err:  # the worker's log line, passed on by the server's reader thread
            assert time.monotonic() < deadline, f"the worker's error never reached the terminal: {err!r}"
            err += capfd.readouterr().err
            time.sleep(0.05)
    finally:
        pool.close()
    err += capfd.readouterr().err
    assert "a run failed" in err
    assert not noisy(err), err


@pytest.mark.redis
def test_an_rq_workers_error_reaches_the_terminal_without_tensorflows_start_up_lines(tmp_path):
    from rq import Queue

    from fmnist_core.queue.rq import SERIALIZER

    with redis_server() as (url, connection):
        first = Queue("fmnist-first", connection=connection, serializer=SERIALIZER)  # as the app writes jobs
        first.enqueue("fmnist_core.queue.rq.call_job", "warm_up", ())  # imports TensorFlow in a work horse
        # then one that fails: there is no such run to write a .keras file of
        first.enqueue("fmnist_core.queue.rq.call_job", "keras_file", (str(tmp_path / "cache"), "0" * 16))
        env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
        worker = subprocess.run([sys.executable, "-m", "fmnist_core", "worker", "--url", url, "--burst"], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=300)
    assert "That run is no longer in the cache" in worker.stderr, worker.stderr
    assert not noisy(worker.stderr), worker.stderr
