"""The classroom queue: fair order, positions and estimates, the cost ceiling, Stop with several watchers,
background runs that give way."""

from __future__ import annotations

import pytest

from fmnist_core.config import RunConfig
from fmnist_core.runs.cache import RunCache
from fmnist_core.runs.jobs import CostModel, JobRunner, JobStatus, Refused

from .support import TINY, open_app, texts


def idle_runner(tmp_path, **options) -> JobRunner:
    """A runner without workers: jobs stay queued, so the queue itself can be inspected."""
    return JobRunner(RunCache(tmp_path), workers=0, **options)


def test_a_sessions_later_runs_wait_behind_other_sessions_first_runs(tmp_path):
    runner = idle_runner(tmp_path)
    a1, a2, b1, c1, a3 = (TINY.with_(seed=s) for s in range(5))
    jobs = {name: runner.submit(config, session) for name, config, session in
            [("a1", a1, "ann"), ("a2", a2, "ann"), ("b1", b1, "bob"), ("c1", c1, "cy"), ("a3", a3, "ann")]}
    order = [next(n for n, j in jobs.items() if j is job) for job in runner.queued()]
    assert order == ["a1", "b1", "c1", "a2", "a3"]


def test_position_counts_runs_ahead_and_adds_their_estimates(tmp_path):
    runner = idle_runner(tmp_path)
    first, second = RunConfig(epochs=2), RunConfig(epochs=3, hidden_units=64)
    runner.submit(first, "ann")
    runner.submit(second, "bob")
    last = runner.submit(RunConfig(epochs=1), "cy")
    position = runner.position(last)
    assert position.ahead == 2
    assert position.seconds == pytest.approx(runner.costs.estimate(first) + runner.costs.estimate(second))
    assert runner.position(runner.get(first.key)).ahead == 0


def test_the_same_config_is_one_job_and_stop_only_leaves_it(tmp_path):
    runner = idle_runner(tmp_path)
    job = runner.submit(TINY, "ann")
    assert runner.submit(TINY, "bob") is job and job.snapshot().watchers == 2
    assert runner.leave(job, "ann") == 1 and job.live
    assert runner.leave(job, "bob") == 0
    assert not job.live and job.snapshot().status is JobStatus.CANCELLED
    assert runner.queued() == []


def test_runs_above_the_ceiling_are_refused_with_a_reason(tmp_path, real_size_data):
    runner = idle_runner(tmp_path, max_seconds=60, data_loader=lambda: real_size_data)
    huge = RunConfig(epochs=100, hidden_units=4096, extra_layers=5, batch_size=1)
    with pytest.raises(Refused, match="command line: python -m fmnist_core train --epochs 100 --hidden-units 4096"):
        runner.submit(huge, "ann", limit=True)
    assert runner.queued() == []
    assert runner.submit(huge, "cli").live  # without the limit (the command line) it is accepted
    assert runner.costs.estimate(huge) > 86400 and runner.costs.estimate(RunConfig()) < 30


@pytest.fixture
def real_size_data():
    """A data set with Fashion-MNIST's 60,000 training images (all zeros: only its size matters here)."""
    import numpy as np

    from fmnist_core.data.sources import Dataset

    zeros = np.zeros((60_000, 28, 28), np.uint8)
    return Dataset(zeros, np.zeros(60_000, np.uint8), zeros[:10], np.zeros(10, np.uint8), "sizes only")


def test_estimates_follow_the_data_in_use(tmp_path, synthetic_data):
    runner = idle_runner(tmp_path, max_seconds=120, data_loader=lambda: synthetic_data)
    long_on_tiny_data = RunConfig(epochs=100, hidden_units=2048, batch_size=1)
    runner.check(long_on_tiny_data)  # 320 training images: about a minute, allowed
    assert runner.costs.train_images == len(synthetic_data.x_train)


def test_cost_model_learns_from_finished_runs():
    costs = CostModel()
    before = costs.estimate(RunConfig())
    costs.observe(RunConfig(), seconds=4 * before, epochs=10)
    assert costs.estimate(RunConfig()) > 1.3 * before


def test_background_runs_come_last_and_give_way(tmp_path, synthetic_data):
    runner = JobRunner(RunCache(tmp_path), data_loader=lambda: synthetic_data, workers=1)
    slow = TINY.with_(epochs=60, batch_size=1)  # a few seconds on the tiny data
    (background,) = runner.prefetch([slow])
    while background.snapshot().epoch < 2:
        background.wait(0.05)
    learner = runner.submit(TINY.with_(epochs=1), "ann")
    assert learner.wait(120) and learner.snapshot().done
    assert not background.finished  # it gave way and waits for its turn again
    assert background.wait(300) and background.snapshot().done


def test_a_link_to_a_huge_run_is_refused_on_the_page(synthetic_env):
    at = open_app({"epochs": "100", "units": "4096", "extra": "5", "batch": "1"})
    assert not at.exception
    at.form_submit_button[0].click()
    at.run()
    assert any("allowed for runs started from a page or a link" in t and "command line" in t for t in texts(at.error))
    assert not any("epoch" in t for t in texts(at.success))


def test_experiment_pages_are_ready_before_anyone_asks(synthetic_env, monkeypatch):
    from fmnist_core.runs.experiments import EXPERIMENTS
    from pages.ui.runs import get_runner

    monkeypatch.setenv("FMNIST_PREFETCH", "1")
    open_app()
    jobs = [get_runner().get(c.key) for e in EXPERIMENTS.values() for c in e.configs()]
    assert all(job is not None and job.background for job in jobs)
    assert all(job.wait(600) and job.snapshot().done for job in jobs)
    at = open_app()
    at.switch_page("pages/layers.py").run()
    assert not at.exception and not any("not trained yet" in t for t in texts(at.info))
    assert [m.value for m in at.markdown if m.value.startswith("- Best test accuracy")]


def test_two_workers_train_at_once_and_each_run_stays_reproducible(tmp_path, synthetic_data):
    runner = JobRunner(RunCache(tmp_path / "both"), data_loader=lambda: synthetic_data, workers=2)
    configs = [TINY.with_(epochs=30, batch_size=4, dropout=0.2, seed=s) for s in (1, 2)]
    jobs = [runner.submit(c, f"learner-{i}") for i, c in enumerate(configs)]
    overlap = False
    while not all(j.finished for j in jobs):
        overlap |= all(j.snapshot().status is JobStatus.RUNNING and j.snapshot().epoch >= 1 for j in jobs)
        jobs[0].wait(0.02)
    assert overlap and all(j.snapshot().done for j in jobs)
    alone = RunCache(tmp_path / "alone").get_or_train(configs[0], synthetic_data)
    assert alone.history == jobs[0].snapshot().result.history
