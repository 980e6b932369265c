import time

import pytest

from fmnist_core.data.sources import DataError
from fmnist_core.runs.cache import RunCache
from fmnist_core.runs.jobs import JobRunner, JobStatus

from .support import TINY


def test_job_trains_in_background_and_reports_progress(tmp_path, synthetic_data):
    runner = JobRunner(RunCache(tmp_path), data_loader=lambda: synthetic_data)
    job = runner.submit(TINY)
    assert runner.submit(TINY) is job  # the same config while it runs: the same job
    assert job.wait(120)
    snap = job.snapshot()
    assert snap.status == JobStatus.DONE and snap.finished and snap.overall_fraction == 1.0
    assert len(snap.history["val_loss"]) == TINY.epochs and snap.result.history["loss"] == snap.history["loss"]
    again = runner.submit(TINY)
    assert again is not job and again.wait(30) and again.snapshot().result.from_cache


def test_cancel_ends_cancelled_and_stores_nothing(tmp_path, synthetic_data):
    cache = RunCache(tmp_path)
    runner = JobRunner(cache, data_loader=lambda: synthetic_data)
    config = TINY.with_(epochs=100)
    job = runner.submit(config)
    deadline = time.monotonic() + 60
    while job.snapshot().epoch < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    job.cancel()
    assert job.wait(60)
    snap = job.snapshot()
    assert snap.status == JobStatus.CANCELLED and snap.result is None and 1 <= len(snap.history["loss"]) < 100
    assert cache.get(config) is None


def test_failure_is_reported_not_raised(tmp_path):
    def no_data():
        raise DataError("no data here")

    job = JobRunner(RunCache(tmp_path), data_loader=no_data).submit(TINY)
    assert job.wait(10)
    snap = job.snapshot()
    assert snap.status == JobStatus.FAILED and "no data here" in snap.error


@pytest.mark.parametrize("epoch,fraction,expected", [(0, 0.0, 0.0), (1, 0.5, 0.5 / 3), (3, 1.0, 1.0)])
def test_overall_fraction(tmp_path, epoch, fraction, expected):
    from fmnist_core.runs.jobs import TrainingJob

    job = TrainingJob(TINY)
    if epoch:
        job.on_run_start(TINY, 10)
        job.on_progress(epoch, fraction, {"loss": 1.0})
    assert job.snapshot().overall_fraction == pytest.approx(expected)


def test_old_finished_jobs_are_forgotten(tmp_path, synthetic_data):
    runner = JobRunner(RunCache(tmp_path), data_loader=lambda: synthetic_data, keep_finished=1)
    a, b, c = (TINY.with_(epochs=n) for n in (1, 2, 3))
    assert runner.submit(a).wait(60)
    job_b = runner.submit(b)
    assert job_b.wait(60)
    runner.submit(c)  # two finished jobs, one may stay: the older goes
    assert runner.get(a.key) is None and runner.get(b.key) is job_b
    assert runner.get(c.key).wait(60)
