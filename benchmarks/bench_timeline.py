"""Benchmark (not a test): what the epoch timeline costs the web server, and what a run's epochs weigh on disk.

    .venv/bin/python benchmarks/bench_timeline.py

Trains the default run (10 epochs) on the real data into a fresh cache with the command line, starts
`streamlit run` on it, and drives headless Chromium: moves the Train page's Epoch slider one step at a time
(first visit of each epoch: its forward pass over the test set; then again: reused) and plays the timeline.
Prints the Streamlit process's own CPU seconds per move and per played frame (psutil, idle cost subtracted),
the bytes a default run keeps per epoch, and the largest entries 100-epoch runs make.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_server import cpu, settle  # noqa: E402
from fmnist_core.config import RunConfig  # noqa: E402
from fmnist_core.runs.lineage import keeps_snapshot  # noqa: E402
from tests.browser.helpers import browser_page, running_server  # noqa: E402

HEADING = ("() => [...document.querySelectorAll('strong')].map(s => s.innerText)"
           ".find(t => /^(before training|epoch \\d+)\\.$/.test(t))")
UNITS = (8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)


def entry_bytes(config: RunConfig, per_epoch: int) -> int:
    """What an entry of ``config`` holds: kept epochs, final weights, two Adam moments, test probabilities."""
    kept = sum(keeps_snapshot(config, e) for e in range(config.epochs + 1))
    return per_epoch * (kept + 3) + 10_000 * 10 * 4


def moves(page, proc, idle: float, keys: list[str]) -> list[float]:
    """Server CPU of each key press on the focused Epoch slider, until the new frame is drawn and all is quiet."""
    costs = []
    for key in keys:
        before_heading, before, start = page.evaluate(HEADING), cpu(proc), time.perf_counter()
        page.locator('input[aria-label="Epoch"]').focus()
        page.keyboard.press(key)
        page.wait_for_function(f"h => ({HEADING})() !== h", arg=before_heading, timeout=120_000)
        settle(proc)
        costs.append(cpu(proc) - before - idle * (time.perf_counter() - start))
    return costs


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        env = {"FMNIST_CACHE_DIR": str(cache), "FMNIST_PREFETCH": "0", "FMNIST_WARM_UP": "0"}
        subprocess.run([sys.executable, "-m", "fmnist_core", "train", "--json"], env=os.environ | env, check=True,
                       capture_output=True)
        entry = next((cache / "runs").iterdir())
        meta = json.loads((entry / "run.json").read_text())
        per_epoch = meta["files"]["snapshots.npz"]["bytes"] // len(meta["kept_epochs"])
        with running_server(env) as (url, server), browser_page(height=3200) as page:
            proc = psutil.Process(server.pid)
            page.goto(url)
            page.get_by_text("Watch it learn", exact=True).wait_for(timeout=120_000)
            settle(proc)
            before, start = cpu(proc), time.perf_counter()
            time.sleep(5)
            idle = (cpu(proc) - before) / (time.perf_counter() - start)
            first = moves(page, proc, idle, ["ArrowLeft"] * 10)  # epochs 9 ... 0, each computed now
            again = moves(page, proc, idle, ["ArrowRight"] * 10)  # 1 ... 10, each reused
            before, start = cpu(proc), time.perf_counter()
            page.get_by_role("button", name="Play").click()  # from the end: starts again at "before training"
            page.get_by_role("button", name="Pause").wait_for(timeout=60_000)
            page.get_by_role("button", name="Play").wait_for(timeout=600_000)
            settle(proc)
            played = (cpu(proc) - before - idle * (time.perf_counter() - start)) / 11
            rss = proc.memory_info().rss / 2**20
    default = RunConfig()
    print(f"server CPU per move of the timeline (default run, 10 epochs, 10,000 test images): first visit of an epoch "
          f"median {statistics.median(first):.3f} s, worst {max(first):.3f} s; again median "
          f"{statistics.median(again):.3f} s, worst {max(again):.3f} s (goal <= 0.15)")
    print(f"server CPU per played frame (Play over 11 frames, two full reruns included): {played:.3f} s")
    print(f"web process RSS after the timeline: {rss:.0f} MiB")
    hundred = entry_bytes(default.with_(epochs=100), per_epoch) / 2**20
    print(f"a default run keeps {per_epoch / 1000:.0f} kB per epoch ({len(meta['kept_epochs'])} epochs kept, 0 = "
          f"before training); a 100-epoch default run's entry: {hundred:.1f} MiB")
    biggest = max((RunConfig(epochs=100, hidden_units=u, extra_layers=x) for u in UNITS for x in range(6)),
                  key=lambda c: entry_bytes(c, 4 * c.parameters))
    print(f"the largest entry a 100-epoch run makes: {entry_bytes(biggest, 4 * biggest.parameters) / 2**20:.0f} MiB "
          f"({biggest.describe()}: {biggest.parameters:,} parameters, last epoch kept only)")


if __name__ == "__main__":
    main()
