"""Benchmark (not a test): what a learner's clicks cost the web server, measured on the server's own process.

    .venv/bin/python benchmarks/bench_server.py

Starts `streamlit run` (warm-up on, as `make run`), trains the default run on the real data (when installed)
through the app's own worker processes, then drives headless Chromium. Prints, for the Streamlit process alone
(its worker processes are not counted): CPU seconds per move of the Train page's Images slider (a fragment),
per full rerun of the Train page showing the cached run (a page reload), the first Train click on a fresh
server to the first progress text, and the RSS after a walk of every page. The browser shares this machine's
cores with the server, so wall times are pessimistic; CPU seconds are the server's own.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.helpers import browser_page, running_server  # noqa: E402

PAGES = ("data", "concepts", "compare", "epochs", "units", "layers", "normalisation", "dropout", "early_stopping",
         "mistakes", "classify")


def cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def settle(proc: psutil.Process, quiet: float = 0.02, span: float = 1.0) -> None:
    """Wait until the server has been (nearly) idle for ``span`` seconds."""
    while True:
        before = cpu(proc)
        time.sleep(span)
        if cpu(proc) - before < quiet:
            return


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"FMNIST_CACHE_DIR": str(Path(tmp) / "cache"), "FMNIST_PREFETCH": "0"}
        with running_server(env) as (url, server), browser_page(height=2600) as page:
            proc = psutil.Process(server.pid)
            page.goto(url)
            page.get_by_role("button", name="Train").wait_for(timeout=120_000)
            while not (workers := proc.children()) or not all(
                    "libtensorflow" in Path(f"/proc/{w.pid}/maps").read_text() for w in workers):
                time.sleep(0.2)  # the workers have started and warmed up
            settle(proc)
            start = time.perf_counter()
            page.get_by_role("button", name="Train").click()
            page.get_by_text("Stop training").first.wait_for(timeout=60_000)
            first_progress = time.perf_counter() - start
            page.get_by_text("shown images are classified correctly").wait_for(timeout=600_000)
            settle(proc)

            before, idle_start = cpu(proc), time.perf_counter()
            time.sleep(5)
            idle = (cpu(proc) - before) / (time.perf_counter() - idle_start)  # what the server costs doing nothing
            slider = page.get_by_role("slider", name="Images")
            clicks = []
            caption = page.get_by_text("shown images are classified correctly")
            for i in range(10):
                before_text, before, start = caption.inner_text(), cpu(proc), time.perf_counter()
                slider.focus()
                page.keyboard.press("ArrowLeft" if i % 2 else "ArrowRight")
                page.wait_for_function("t => ![...document.querySelectorAll('p')].some(p => p.innerText === t)",
                                       arg=before_text, timeout=60_000)
                settle(proc)
                clicks.append(cpu(proc) - before - idle * (time.perf_counter() - start))
            reruns = []
            for _ in range(5):
                before, start = cpu(proc), time.perf_counter()
                page.reload()
                page.get_by_text("shown images are classified correctly").wait_for(timeout=120_000)
                settle(proc)
                reruns.append(cpu(proc) - before - idle * (time.perf_counter() - start))
            for path in PAGES:
                page.goto(f"{url}/{path}")
                page.locator('[data-testid="stMain"]').wait_for(timeout=120_000)
                settle(proc, span=2.0)
            rss = proc.memory_info().rss / 2**20
            tf = "libtensorflow" in Path(f"/proc/{server.pid}/maps").read_text()
    print(f"the server idle: {idle:.4f} CPU-s per second (subtracted below)")
    print(f"first Train click on a fresh server to the first progress text: {first_progress:.2f} s")
    print(f"server CPU per move of the Images slider: median {statistics.median(clicks):.3f} s, "
          f"worst {max(clicks):.3f} s (goal <= 0.10)")
    print(f"server CPU per full rerun of the Train page (reload, cached run): median {statistics.median(reruns):.3f} "
          f"s, worst {max(reruns):.3f} s (goal <= 0.25)")
    print(f"web process RSS after a walk of every page with one trained run: {rss:.0f} MiB (goal <= 350); "
          f"TensorFlow loaded in it: {tf}; worker processes: {len(workers)}")
    print(f"(data: {os.environ.get('FMNIST_DATA_DIR') or 'the first source fmnist_core finds'})")


if __name__ == "__main__":
    main()
