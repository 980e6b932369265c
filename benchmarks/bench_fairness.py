"""Benchmark (not a test): one unkind visitor against a newcomer, on the embedded queue (two workers).

    .venv/bin/python benchmarks/bench_fairness.py

"eve" opens eight page loads (eight sessions, one browser) and presses Train in each on a run of about ten
seconds; then "ann", a newcomer, asks for a one-epoch run. Prints how many of eve's runs were accepted, how long
ann waited from Train to her run starting and to her result, and whether eve held both workers while ann
waited. Then the cost model: the estimate of 100 epochs x 1024 units before and after twelve tiny runs that
trained at 0.29x their estimate (the ceiling is 180 s). Uses the real data set when installed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fmnist_core.config import RunConfig  # noqa: E402
from fmnist_core.queue import JobStatus, Refused  # noqa: E402
from fmnist_core.queue.local import LocalRunner, WorkerPool  # noqa: E402
from fmnist_core.queue.rules import CostModel, check_cost  # noqa: E402
from fmnist_core.runs.cache import RunCache  # noqa: E402


def main() -> None:
    pool = WorkerPool(workers=2)
    pool.start()
    with tempfile.TemporaryDirectory() as folder:
        runner = LocalRunner(RunCache(folder), pool=pool)
        runner.mistake("correct")  # both workers warm (TensorFlow imported, data loaded)
        accepted, refused = [], 0
        for load in range(8):
            try:
                accepted.append(runner.submit(RunConfig(epochs=25, hidden_units=64, seed=load), f"eve-load-{load}",
                                              limit=True, visitor="eve"))
            except Refused:
                refused += 1
        while sum(j.snapshot().status is JobStatus.RUNNING for j in accepted) < min(2, len(accepted)):
            time.sleep(0.05)
        asked = time.monotonic()
        ann = runner.submit(RunConfig(epochs=1, hidden_units=16, seed=99), "ann-load-1", limit=True, visitor="ann")
        started = eve_both = None
        while not ann.finished:
            status = ann.snapshot().status
            if started is None and status is JobStatus.RUNNING:
                started = time.monotonic() - asked
            eve_running = sum(j.snapshot().status is JobStatus.RUNNING for j in accepted)
            eve_both = (eve_both or False) or (status is JobStatus.QUEUED and eve_running == 2 and
                                               time.monotonic() - asked > 5)
            time.sleep(0.05)
        done = time.monotonic() - asked
        for job in accepted:
            runner.leave(job, "x")
        print(f"eve's eight Train clicks: {len(accepted)} accepted, {refused} refused (at most "
              f"FMNIST_MAX_RUNS_PER_VISITOR live runs)")
        print(f"ann (newcomer, 1 epoch): Train to start {started:.1f} s, to result {done:.1f} s; "
              f"eve still held both workers 5 s after ann asked: {bool(eve_both)}")
    pool.close()
    costs, big = CostModel(), RunConfig(epochs=100, hidden_units=1024)
    before = costs.estimate(big)
    tiny = RunConfig(epochs=100, hidden_units=1, batch_size=1)
    for seed in range(12):
        costs.observe(tiny.with_(seed=seed), 0.29 * (costs.estimate(tiny) - costs.overhead), 100)
    try:
        check_cost(big, costs, 180)
        verdict = "accepted"
    except Refused:
        verdict = "refused"
    print(f"100 epochs x 1024 units: estimated {before:.0f} s, {costs.estimate(big):.0f} s after twelve tiny runs "
          f"at 0.29x ({verdict} under the 180 s ceiling); the tiny kind's own estimate moved "
          f"{costs.estimate(tiny) / CostModel().estimate(tiny):.2f}x (bounded at 0.5x)")


if __name__ == "__main__":
    main()
