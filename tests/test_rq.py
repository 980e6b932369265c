"""Workers on other machines through a real Redis and RQ: two workers, two Streamlit-free clients."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fmnist_core.config import RunConfig
from fmnist_core.runs.cache import RunCache
from fmnist_core.runs.jobs import JobStatus
from fmnist_core.runs.rq_jobs import RQRunner

from .browser import free_port

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[1]
LONG = RunConfig(epochs=60, hidden_units=64, batch_size=1)  # some seconds on the tiny data
QUICK = RunConfig(epochs=2, hidden_units=8)


@pytest.fixture
def redis_url():
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (make test installs it)")
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no", "--daemonize", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    from redis import Redis

    deadline = time.monotonic() + 20
    while True:
        try:
            Redis.from_url(url).ping()
            break
        except Exception:  # noqa: BLE001 - not up yet
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def setup(redis_url, synthetic_dir, tmp_path):
    """Two workers and two clients sharing one run cache folder."""
    cache = tmp_path / "shared-cache"
    env = os.environ | {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(cache),
                        "TF_CPP_MIN_LOG_LEVEL": "3"}
    workers = [subprocess.Popen([sys.executable, "-m", "fmnist_core", "worker", "--url", redis_url], cwd=ROOT,
                                env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(2)]
    clients = [RQRunner(redis_url, RunCache(cache)) for _ in range(2)]
    yield clients, workers, cache, env
    for worker in workers:
        kill(worker)


def kill(worker: subprocess.Popen) -> None:
    """SIGKILL a worker and the work horse it forked (RQ puts the horse in a session of its own)."""
    horses = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == worker.pid]
    for pid in [*horses, worker.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    worker.wait(10)


def _parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def until(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_two_configs_train_at_the_same_time_and_one_config_trains_once(setup):
    (a, b), _, cache, _ = setup
    first, second = a.submit(LONG, "ann"), b.submit(LONG.with_(seed=1), "bob")
    until(lambda: first.snapshot().status is JobStatus.RUNNING and second.snapshot().status is JobStatus.RUNNING)
    shared_a, shared_b = a.submit(QUICK, "ann"), b.submit(QUICK, "cy")
    assert shared_a.key == shared_b.key and shared_a.snapshot().watchers == 2
    assert a.position(shared_a).ahead >= 2  # the two running runs are ahead of it
    for job in (first, second, shared_a):
        until(lambda job=job: job.snapshot().finished, 300)
        assert job.snapshot().done
    assert shared_b.snapshot().result.trained_at == shared_a.snapshot().result.trained_at
    assert sorted(p.name for p in (cache / "runs").iterdir() if not p.name.startswith(".")) == sorted(
        {LONG.key, LONG.with_(seed=1).key, QUICK.key})


def test_stop_leaves_and_the_last_stop_cancels(setup):
    (a, b), _, cache, _ = setup
    job = a.submit(LONG, "ann")
    b.submit(LONG, "bob")
    until(lambda: job.snapshot().epoch >= 2)
    assert a.leave(job, "ann") == 1
    time.sleep(1)
    assert job.snapshot().status is JobStatus.RUNNING
    assert b.leave(b.get(LONG.key), "bob") == 0
    until(lambda: job.snapshot().status is JobStatus.CANCELLED, 30)
    assert not (cache / "runs" / LONG.key).exists()
    queued = a.submit(LONG.with_(seed=5), "ann")  # withdrawn while queued (both workers may be free: be quick)
    a.leave(queued, "ann")
    until(lambda: queued.snapshot().status is JobStatus.CANCELLED, 30)


def test_a_worker_killed_mid_run_is_reported_and_leaves_no_entry(setup):
    (a, _), workers, cache, env = setup
    job = a.submit(LONG, "ann")
    until(lambda: job.snapshot().epoch >= 2)
    for worker in workers:
        kill(worker)
    until(lambda: job.snapshot().status is JobStatus.FAILED, 60)
    assert "stopped unexpectedly" in job.snapshot().error
    assert not (cache / "runs" / LONG.key).exists()
    workers.append(subprocess.Popen([sys.executable, "-m", "fmnist_core", "worker", "--url", a.url], cwd=ROOT,
                                    env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL))
    retry = a.submit(QUICK.with_(seed=9), "ann")  # the queue works again with a new worker
    until(lambda: retry.snapshot().finished, 300)
    assert retry.snapshot().done


def test_the_train_page_trains_through_rq(setup, redis_url, monkeypatch):
    from .support import open_app, texts

    _, _, cache, env = setup
    for name in ("FMNIST_DATA_DIR", "FMNIST_CACHE_DIR"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.setenv("FMNIST_QUEUE_URL", redis_url)
    at = open_app({"epochs": "2", "units": "8", "seed": "11"})
    at.form_submit_button[0].click()
    at.run(timeout=300)
    assert not at.exception and any(t.startswith("Trained just now") for t in texts(at.success))
    assert (cache / "runs" / RunConfig(epochs=2, hidden_units=8, seed=11).key).is_dir()
