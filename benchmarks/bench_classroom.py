"""Benchmark (not a test): a class of 20 learners on one server, the embedded queue (no Redis).

    .venv/bin/python benchmarks/bench_classroom.py

Twenty simulated learners each submit two or three different small configurations through the same
runner the app uses (its local worker processes), a few seconds apart, and watch their runs as
the page does (polling the position every 0.2 s). One of them pastes a link to a huge run. Meanwhile a 21st
learner opens the Data page of a real Streamlit server on the same machine. Prints: every run finished or was
refused (with the reason), wait times p50/p95 (submitted to started), whether each learner's reported
position only went down, peak memory of the queue's process, and the 21st learner's page load times.
Uses the real data set when installed.
"""

from __future__ import annotations

import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fmnist_core.config import RunConfig  # noqa: E402
from fmnist_core.queue import JobStatus, Refused, Runner  # noqa: E402
from fmnist_core.queue.local import LocalRunner  # noqa: E402
from fmnist_core.runs.cache import RunCache  # noqa: E402
from tests.browser.helpers import browser_page, running_app  # noqa: E402

LEARNERS = 20


def learner(runner: Runner, name: str, rng: random.Random, out: dict) -> None:
    configs = [RunConfig(epochs=rng.choice([1, 2, 3]), hidden_units=rng.choice([16, 32, 64, 128]),
                         seed=rng.randrange(1000)) for _ in range(rng.choice([2, 3]))]
    if name == "learner-7":
        configs.append(RunConfig(epochs=100, hidden_units=4096, extra_layers=5, batch_size=1))
    for config in configs:
        time.sleep(rng.uniform(0, 3))
        submitted = time.monotonic()
        try:
            job = runner.submit(config, name, limit=True)
        except Refused as exc:
            out["refused"].append(f"{name}: {str(exc)[:110]}...")
            continue
        positions, started = [], None
        while not job.finished:
            position = runner.position(job)
            if position is not None:
                positions.append(position.ahead)
            elif started is None and job.status is JobStatus.RUNNING:
                started = time.monotonic()
            time.sleep(0.2)
        snap = job.snapshot()
        out["waits"].append((started or time.monotonic()) - submitted)
        out["outcomes"].append(snap.status.value)
        out["monotone"].append(all(b <= a for a, b in zip(positions, positions[1:], strict=False)))


def page_loads(url: str, stop: threading.Event, out: list[float]) -> None:
    with browser_page() as page:
        while not stop.is_set():
            start = time.perf_counter()
            page.goto(f"{url}/data")
            page.get_by_text("How many of each?").wait_for(timeout=120_000)
            out.append(time.perf_counter() - start)
            time.sleep(2)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        runner = LocalRunner(RunCache(Path(tmp) / "cache"))
        out = {"refused": [], "waits": [], "outcomes": [], "monotone": []}
        loads: list[float] = []
        stop = threading.Event()
        with running_app({"FMNIST_CACHE_DIR": str(Path(tmp) / "page-cache"), "FMNIST_PREFETCH": "0"}) as url:
            viewer = threading.Thread(target=page_loads, args=(url, stop, loads))
            viewer.start()
            start = time.monotonic()
            threads = [threading.Thread(target=learner, args=(runner, f"learner-{i}", random.Random(i), out))
                       for i in range(LEARNERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            total = time.monotonic() - start
            stop.set()
            viewer.join()
    waits = sorted(out["waits"])
    print(f"{LEARNERS} learners, {len(out['outcomes']) + len(out['refused'])} runs asked for, all served in "
          f"{total:.0f} s")
    counts = ", ".join(f"{out['outcomes'].count(s)} {s}" for s in sorted(set(out["outcomes"])))
    print(f"outcomes: {counts}; refused: {len(out['refused'])}")
    for line in out["refused"]:
        print(f"  refused {line}")
    print(f"wait from submit to start: p50 {statistics.median(waits):.1f} s, "
          f"p95 {waits[int(0.95 * (len(waits) - 1))]:.1f} s, max {waits[-1]:.1f} s")
    print(f"each learner's reported position only went down: {all(out['monotone'])} "
          f"({sum(out['monotone'])} of {len(out['monotone'])} runs)")
    print(f"peak memory of the queue's process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"a 21st learner opening the Data page meanwhile: {len(loads)} loads, median "
          f"{statistics.median(loads):.2f} s, worst {max(loads):.2f} s")


if __name__ == "__main__":
    main()
