"""Benchmark (not a test): what a learner waits for on a freshly started server, in headless Chromium.

    .venv/bin/python benchmarks/bench_wait.py

1. First Train click: a fresh server, the Train page opened, a few seconds of reading (TensorFlow warms up in
   the background meanwhile), then Train on a configuration that is not cached: time to the first progress.
2. First Classify answer: a fresh server with a stored run, the Classify page opened: time from opening the
   page to the network's answer (the Examples tab asks it at once).
Goals (issue 15): under 1 s and under 1.5 s. Uses the real data set when installed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.helpers import browser_page, running_app  # noqa: E402

READING_SECONDS = 5


def first_train_click(cache: str) -> float:
    with running_app({"FMNIST_CACHE_DIR": cache}) as url, browser_page() as page:
        page.goto(f"{url}/?epochs=2&seed=7")
        page.get_by_text("has not been trained yet").wait_for(timeout=60_000)
        time.sleep(READING_SECONDS)
        start = time.perf_counter()
        page.get_by_role("button", name="Train").click()
        page.get_by_text("epoch 1/2").first.wait_for(timeout=60_000)
        return time.perf_counter() - start


def first_classify_answer(cache: str) -> float:
    with running_app({"FMNIST_CACHE_DIR": cache}) as url, browser_page() as page:
        start = time.perf_counter()
        page.goto(f"{url}/classify")
        page.get_by_text("The network says").first.wait_for(state="attached", timeout=60_000)  # in its tab
        return time.perf_counter() - start


def main() -> None:
    from fmnist_core.config import RunConfig
    from fmnist_core.runs.cache import RunCache

    with tempfile.TemporaryDirectory() as tmp:
        clicks = [first_train_click(str(Path(tmp) / f"empty-{i}")) for i in range(3)]
        RunCache(Path(tmp) / "stored").get_or_train(RunConfig(epochs=2))
        answers = [first_classify_answer(str(Path(tmp) / "stored")) for _ in range(3)]
    print(f"fresh server, first Train click to first progress: {', '.join(f'{s:.2f}' for s in clicks)} s "
          f"(goal < 1 s; after {READING_SECONDS} s on the page)")
    print(f"fresh server, opening Classify to the first answer: {', '.join(f'{s:.2f}' for s in answers)} s "
          "(goal < 1.5 s)")


if __name__ == "__main__":
    main()
