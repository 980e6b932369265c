"""The queue's rules on their own (tiers, costs, waits, give-way), and the pages over the queue."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest

from fmnist_core.config import RunConfig
from fmnist_core.queue import JobSnapshot, JobStatus, Refused, Tier
from fmnist_core.queue.rules import CostModel, check_cost, tier, wait_seconds
from fmnist_core.runs.cache import RunCache
from tests.support import TINY, finish, open_app, texts, until


def test_tiers_put_a_sessions_later_runs_after_first_runs_and_background_last():
    assert tier(0) is Tier.FIRST and tier(1) is Tier.MORE and tier(5) is Tier.MORE
    assert tier(0, background=True) is Tier.BACKGROUND and Tier.FIRST < Tier.MORE < Tier.BACKGROUND


def test_the_wait_is_what_is_left_of_running_runs_plus_the_runs_ahead_shared_by_the_workers():
    costs = CostModel()
    a, b = RunConfig(epochs=2), RunConfig(epochs=3, hidden_units=64)
    assert wait_seconds(costs, [], [a, b], workers=1) == pytest.approx(costs.estimate(a) + costs.estimate(b))
    half = wait_seconds(costs, [(a, 0.5)], [b], workers=2)
    assert half == pytest.approx((costs.estimate(a) / 2 + costs.estimate(b)) / 2)


def test_a_huge_run_is_refused_with_the_command_line_to_use_instead():
    huge = RunConfig(epochs=100, hidden_units=4096, extra_layers=5, batch_size=1)
    with pytest.raises(Refused, match="command line: python -m fmnist_core train --epochs 100 --hidden-units 4096"):
        check_cost(huge, CostModel(), 60)
    check_cost(huge, CostModel(), 60, cached=lambda config: config == huge)  # a stored run is never refused
    assert CostModel().estimate(huge) > 86400 and CostModel().estimate(RunConfig()) < 30


def test_estimates_follow_the_size_of_the_data_and_learn_from_finished_runs():
    costs = CostModel()
    before = costs.estimate(RunConfig())
    costs.observe(RunConfig(), train_seconds=4 * before, epochs=10)
    assert costs.estimate(RunConfig()) > 1.3 * before
    costs.observe(RunConfig(), train_seconds=1.0, epochs=1, train_images=600)
    assert costs.train_images == 600  # a hundredth of the images: a hundredth of the work, whatever was learnt
    assert costs.estimate(RunConfig()) - costs.overhead < (before - costs.overhead) / 10


@pytest.mark.parametrize("epoch,fraction,expected", [(0, 0.0, 0.0), (1, 0.5, 0.5 / 3), (3, 1.0, 1.0)])
def test_overall_fraction(epoch, fraction, expected):
    snap = JobSnapshot(TINY.key, TINY, JobStatus.RUNNING, epoch, fraction, {}, {}, None, None)
    assert snap.overall_fraction == pytest.approx(expected)


@pytest.fixture
def held_pool(tmp_path, synthetic_dir, monkeypatch):
    """``open(workers)`` starts a local pool on the synthetic data whose workers hold a run while
    ``holds / run.key`` exists; yields ``(holds, open)`` and closes the pools after the test."""
    from fmnist_core.queue.local import WorkerPool

    holds = tmp_path / "holds"
    holds.mkdir()
    monkeypatch.setenv("FMNIST_DATA_DIR", str(synthetic_dir))
    monkeypatch.setenv("FMNIST_HOLD_DIR", str(holds))
    pools = []

    def open_pool(workers: int, threads: int | None = None) -> WorkerPool:
        pools.append(WorkerPool(workers=workers, threads=threads))
        return pools[-1]

    yield holds, open_pool
    for pool in pools:
        pool.close()


def test_a_background_run_gives_way_to_a_learner_and_goes_back_in_line(tmp_path, held_pool, caplog):
    from fmnist_core.queue.local import LocalRunner

    caplog.set_level(logging.INFO, logger="fmnist_core.queue")

    holds, open_pool = held_pool
    runner = LocalRunner(RunCache(tmp_path / "cache"), pool=open_pool(1))
    slow = TINY.with_(epochs=4)
    (holds / slow.key).touch()
    (background,) = runner.prefetch([slow])
    until(lambda: background.snapshot().status is JobStatus.RUNNING)
    learner = runner.submit(TINY.with_(epochs=1), "ann")
    until(lambda: learner.snapshot().finished)
    assert learner.snapshot().done and not background.finished
    assert [j.key for j in runner.queued()] in ([slow.key], [])  # back in line (or already started again)
    (holds / slow.key).unlink()
    until(lambda: background.snapshot().finished)
    assert background.snapshot().done
    # the queue's own record of the learner's run (the classroom benchmark reads it), none of the background run
    timings = [re.fullmatch(r"queue timing: (\w+) waited ([\d.]+) s, result ([\d.]+) s after submit", r.getMessage())
               for r in caplog.records if r.getMessage().startswith("queue timing")]
    assert [m[1] for m in timings] == [learner.key]
    assert 0 <= float(timings[0][2]) <= float(timings[0][3])


@pytest.mark.parametrize("threads", [2, 1], ids=["two-threads-of-one-process", "two-processes"])
def test_two_workers_train_at_once_and_each_run_stays_reproducible(tmp_path, held_pool, synthetic_data, threads):
    from fmnist_core.queue.local import LocalRunner

    holds, open_pool = held_pool
    pool = open_pool(2, threads)
    runner = LocalRunner(RunCache(tmp_path / "both"), pool=pool)
    configs = [TINY.with_(epochs=5, batch_size=8, dropout=0.2, seed=s) for s in (1, 2)]
    for config in configs:
        (holds / config.key).touch()
    jobs = [runner.submit(c, f"learner-{i}") for i, c in enumerate(configs)]
    until(lambda: all(j.snapshot().status is JobStatus.RUNNING for j in jobs))  # both at once
    assert len(pool.pids()) == 2 // threads  # TensorFlow held once when they share a process
    for config in configs:
        (holds / config.key).unlink()
    until(lambda: all(j.finished for j in jobs))
    assert all(j.snapshot().done for j in jobs)
    for config, job in zip(configs, jobs, strict=True):  # the numbers each run has alone, bit for bit
        alone = RunCache(tmp_path / "alone").get_or_train(config, synthetic_data)
        assert alone.history == job.snapshot().result.history
        ours = [array for layer in job.snapshot().result.load_network().layers for array in layer]
        assert all(np.array_equal(a, b) for a, b in zip(
            [array for layer in alone.load_network().layers for array in layer], ours, strict=True))


def test_a_worker_process_that_dies_fails_every_run_it_trained_and_is_replaced(tmp_path, held_pool):
    import os
    import signal

    from fmnist_core.queue.local import LocalRunner

    holds, open_pool = held_pool
    pool = open_pool(2, 2)
    runner = LocalRunner(RunCache(tmp_path / "cache"), pool=pool)
    configs = [TINY.with_(epochs=1, seed=s) for s in (1, 2)]
    for config in configs:
        (holds / config.key).touch()
    jobs = [runner.submit(c, f"learner-{i}") for i, c in enumerate(configs)]
    until(lambda: all(j.snapshot().status is JobStatus.RUNNING for j in jobs))
    (pid,) = pool.pids()
    os.kill(pid, signal.SIGKILL)
    until(lambda: all(j.finished for j in jobs))
    assert all(j.snapshot().status is JobStatus.FAILED and "stopped unexpectedly" in j.snapshot().error for j in jobs)
    retry = runner.submit(TINY.with_(epochs=1, seed=3), "learner-0")  # a new process in its place trains it
    until(lambda: retry.finished)
    assert retry.snapshot().done and len(pool.pids()) == 1 and pool.pids() != [pid]


def test_a_worker_that_could_not_be_replaced_starts_again_at_the_next_use(tmp_path, held_pool, monkeypatch):
    import os
    import signal

    from fmnist_core.queue import local_pool
    from fmnist_core.queue.local import LocalRunner

    _holds, open_pool = held_pool
    pool = open_pool(1)
    runner = LocalRunner(RunCache(tmp_path / "cache"), pool=pool)
    pool.start()
    until(lambda: len(pool.pids()) == 1)
    (pid,) = pool.pids()
    start_process, failed = local_pool.WorkerProcess, []

    def out_of_processes_once(*args):
        if not failed:
            failed.append(args)
            raise OSError("Resource temporarily unavailable")
        return start_process(*args)

    monkeypatch.setattr(local_pool, "WorkerProcess", out_of_processes_once)
    os.kill(pid, signal.SIGKILL)
    until(lambda: failed and pool.pids() == [])  # lost, and no replacement could start then
    job = runner.submit(TINY.with_(epochs=1), "ann")  # the next use tries again (before: queued for ever)
    until(lambda: job.finished, 120)
    assert job.snapshot().done and len(pool.pids()) == 1


def test_a_link_to_a_huge_run_is_refused_on_the_page(synthetic_env):
    at = open_app({"epochs": "100", "units": "4096", "extra": "5", "batch": "1"})
    assert not at.exception
    at.form_submit_button[0].click()
    finish(at)
    assert any("allowed for runs started from a page or a link" in t and "command line" in t for t in texts(at.error))
    assert not any("epoch" in t for t in texts(at.success))


def test_experiment_pages_are_ready_before_anyone_asks(synthetic_env, monkeypatch):
    from fmnist_core.lessons.experiments import EXPERIMENTS
    from pages.ui.runner import get_runner

    monkeypatch.setenv("FMNIST_PREFETCH", "1")
    open_app()
    jobs = [get_runner().get(c.key) for e in EXPERIMENTS.values() for c in e.configs()]
    assert all(job is not None and job.background for job in jobs)
    assert all(job.wait(600) and job.snapshot().done for job in jobs)
    at = open_app()
    at.switch_page("pages/layers.py").run()
    assert not at.exception and not any("not trained yet" in t for t in texts(at.info))
    assert [m.value for m in at.markdown if m.value.startswith("- Best test accuracy")]


def test_a_queue_that_does_not_answer_is_one_sentence_and_not_asked_on_every_run(synthetic_env, monkeypatch,
                                                                                  caplog):
    """With Redis down the page says so in one sentence, and the background prefetch is not tried again (with a
    logged error) on every page run: it waits a minute."""
    import logging

    from tests.browser.helpers import free_port

    port = free_port()  # nothing listens there
    monkeypatch.setenv("FMNIST_QUEUE_URL", f"redis://127.0.0.1:{port}/0")
    monkeypatch.setenv("FMNIST_PREFETCH", "1")
    with caplog.at_level(logging.WARNING, logger="pages.ui.runner"):
        at = open_app()
        at.run()
        at.run()
    assert any(f"Redis at 127.0.0.1:{port} does not answer" in e.value for e in at.error)
    assert not at.exception
    assert sum("could not queue the experiment pages' runs" in r.getMessage() for r in caplog.records) == 1


def test_one_kind_of_run_cannot_pull_every_estimate_nor_bend_the_ceiling():
    costs = CostModel()
    big = RunConfig(epochs=100, hidden_units=1024)  # about 270 s of real training here: refused
    with pytest.raises(Refused):
        check_cost(big, costs, 180)
    tiny = RunConfig(epochs=100, hidden_units=1, batch_size=1)
    for seed in range(12):  # twelve tiny runs that trained at 0.29x their estimate
        costs.observe(tiny.with_(seed=seed), train_seconds=0.29 * (costs.estimate(tiny) - costs.overhead), epochs=100)
    with pytest.raises(Refused):
        check_cost(big, costs, 180)  # other kinds keep their estimate
    assert costs.estimate(big) == pytest.approx(CostModel().estimate(big))
    assert costs.estimate(tiny) - costs.overhead >= (CostModel().estimate(tiny) - costs.overhead) / 2  # bounded
    for _ in range(50):
        costs.observe(big, train_seconds=1000 * costs.estimate(big), epochs=100)
    assert costs.estimate(big) <= 2 * CostModel().estimate(big)


def test_a_browser_is_one_visitor_whatever_its_cookie_mask():
    from fmnist_core.queue.visitors import visitor_id

    token = bytes(range(16))

    def cookie(mask: bytes, value: bytes = token) -> str:
        return f"2|{mask.hex()}|{bytes(b ^ mask[i % 4] for i, b in enumerate(value)).hex()}|1796390000"

    one, two = cookie(b"\x01\x02\x03\x04"), cookie(b"\xaa\xbb\xcc\xdd")
    assert one != two and visitor_id(one, "10.0.0.5", "s1") == visitor_id(two, "10.0.0.6", "s2")
    assert visitor_id(cookie(b"\x01\x02\x03\x04", bytes(16)), None, "s1") != visitor_id(one, None, "s1")
    assert visitor_id(None, "10.0.0.5", "s1") == visitor_id("not a cookie", "10.0.0.5", "s2") != visitor_id(
        None, "10.0.0.6", "s1")  # no cookie (or a broken one): the address
    assert visitor_id(None, None, "s1") != visitor_id(None, None, "s2")
    assert visitor_id("2|zz|zz|1", None, "s1") == visitor_id(None, None, "s1")
    assert token.hex() not in visitor_id(one, None, "s1")  # only a hash is kept


def test_a_session_is_gone_once_it_stayed_away_for_the_grace():
    from fmnist_core.queue.visitors import Departures

    now = [0.0]
    departures = Departures(grace=120, clock=lambda: now[0])
    departures.seen("tab-1")
    departures.seen("tab-2")
    connected = {"tab-1", "tab-2"}
    assert departures.gone(connected.__contains__) == []
    connected.discard("tab-1")
    assert departures.gone(connected.__contains__) == []  # just disconnected: it may come back
    now[0] = 60.0
    connected.add("tab-1")
    assert departures.gone(connected.__contains__) == []  # it came back: the clock starts again
    connected.clear()
    now[0] = 100.0
    assert departures.gone(connected.__contains__) == []
    now[0] = 220.0
    assert sorted(departures.gone(connected.__contains__)) == ["tab-1", "tab-2"]
    assert departures.gone(connected.__contains__) == []  # told once


def test_a_finished_rq_run_teaches_the_cost_model_even_before_its_end_time_is_read(tmp_path):
    """A job's status can be read as finished before its end time is (None): that first sight still teaches, once
    (before, None matched "never seen" and the run taught nothing: a CI run of the contract suite under load)."""
    from fmnist_core.queue.rq_runner import RQRunner

    runner = RQRunner("redis://127.0.0.1:1/0", RunCache(tmp_path))  # no connection is made here
    assert runner.first_sight("k", None)
    assert not runner.first_sight("k", None)
    assert runner.first_sight("k", "2026-12-04 10:00")  # a later run of the same key teaches again
