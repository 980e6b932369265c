"""Benchmark (not a test): a class of learners in real browsers against one server, on the real data.

    .venv/bin/python tests/bench_classroom_browser.py [--learners 20] [--linger 130]

Starts one fresh `streamlit run` (empty run cache, no prefetch) and one headless Chromium with one browser
context per learner, all driven at once (Playwright's async API, one task per learner), in the manner of
Streamlit's own `e2e_playwright/load_testing`. Each learner opens the Train page with its own small run in the
link (2 epochs, 16/32/64 units, its own seed), presses Train, waits for the result, moves the prediction grid's
Images slider once, then opens the Data page from the sidebar menu (same session). A thread samples the
Streamlit process (not its children) every 0.5 s: RSS and CPU times, plus the total RSS of its worker processes.
After the browser is closed it keeps sampling for --linger seconds (Streamlit keeps a disconnected session for
server.disconnectedSessionTTL = 120 s). Prints: learners finished / with an exception on the page, p50/p95 of
the first load, click to result, slider rerun and page change; the server's CPU seconds in all and per learner;
its peak RSS, RSS at the close and --linger s after it; the workers' peak RSS. The browsers share this machine's
cores with the server, so the latencies are pessimistic; CPU seconds are the server's own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402

RESULT = "shown images are classified correctly"
EXCEPTION = '[data-testid="stException"]'
MIB = 2**20


@dataclass
class Learner:
    index: int
    times: dict[str, float] = field(default_factory=dict)  # step -> seconds
    exceptions: list[str] = field(default_factory=list)  # st.exception texts seen on the page
    error: str = ""  # a step that did not finish (Playwright's error)


@dataclass
class Sample:
    at: float
    rss: int
    cpu: float
    workers_rss: int


class Sampler(threading.Thread):
    """Samples the server process (RSS, CPU seconds) and its workers' total RSS every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.proc, self.interval = psutil.Process(pid), interval
        self.samples: list[Sample] = []
        self.stopped = threading.Event()

    def sample(self) -> Sample:
        times, workers = self.proc.cpu_times(), 0
        for child in self.proc.children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                workers += child.memory_info().rss
        sample = Sample(time.monotonic(), self.proc.memory_info().rss, times.user + times.system, workers)
        self.samples.append(sample)
        return sample

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.sample()


def percentiles(values: list[float]) -> str:
    if not values:
        return "no values"
    ordered = sorted(values)

    def at(q: float) -> float:
        rank = (len(ordered) - 1) * q
        low = int(rank)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (rank - low) * (ordered[high] - ordered[low])

    return f"p50 {at(0.5):6.2f} s, p95 {at(0.95):6.2f} s (n={len(values)}, max {ordered[-1]:.2f} s)"


async def check(page: Page, learner: Learner) -> None:
    for text in await page.locator(EXCEPTION).all_inner_texts():
        if text not in learner.exceptions:
            learner.exceptions.append(text)


async def learn(browser: Browser, url: str, learner: Learner) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    page = await context.new_page()
    page.set_default_navigation_timeout(300_000)  # twenty tabs loading Streamlit's frontend at once on two cores
    step = "first load"
    await asyncio.sleep(learner.index * 0.5)  # a class arrives within ten seconds, not in the same millisecond
    try:
        start = time.perf_counter()
        await page.goto(f"{url}/?epochs=2&units={(16, 32, 64)[learner.index % 3]}&seed={learner.index}",
                        wait_until="commit")
        await page.get_by_role("button", name="Train").wait_for(timeout=300_000)
        learner.times[step] = time.perf_counter() - start
        await check(page, learner)

        step, start = "result", time.perf_counter()
        await page.get_by_role("button", name="Train").click()
        caption = page.get_by_text(RESULT)
        await caption.wait_for(timeout=1_200_000)
        learner.times[step] = time.perf_counter() - start
        await check(page, learner)

        step, before = "rerun", await caption.inner_text()
        start = time.perf_counter()
        slider = page.get_by_role("slider", name="Images")
        await slider.focus()
        await page.keyboard.press("ArrowRight")
        await page.wait_for_function(
            "([t, r]) => [...document.querySelectorAll('p')].some(p => p.innerText.includes(r) && p.innerText !== t)",
            arg=[before, RESULT], timeout=300_000)
        learner.times[step] = time.perf_counter() - start
        await check(page, learner)

        step, start = "page change", time.perf_counter()
        await page.locator('[data-testid="stSidebarNav"] a[href$="/data"]').click()
        await page.get_by_role("heading", name="The data: Fashion-MNIST").wait_for(timeout=300_000)
        learner.times[step] = time.perf_counter() - start
        await check(page, learner)
    except PlaywrightError as exc:
        learner.error = f"{step}: {str(exc).splitlines()[0][:200]}"
        await check(page, learner)
    finally:
        await context.close()


async def classroom(url: str, learners: list[Learner]) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(learn(browser, url, learner) for learner in learners))
        finally:
            await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=20, help="browser contexts, one per learner (20)")
    parser.add_argument("--linger", type=float, default=130, help="seconds to sample after the close (130)")
    args = parser.parse_args()
    learners = [Learner(i) for i in range(args.learners)]
    with tempfile.TemporaryDirectory() as tmp:
        env = {"FMNIST_CACHE_DIR": str(Path(tmp) / "cache"), "FMNIST_PREFETCH": "0"}
        with running_server(env) as (url, server):
            sampler = Sampler(server.pid)
            begin = sampler.sample()
            sampler.start()
            started = time.monotonic()
            asyncio.run(classroom(url, learners))
            closed = sampler.sample()
            wall = closed.at - started
            time.sleep(max(0.0, closed.at + args.linger - time.monotonic()))
            sampler.stopped.set()
            sampler.join()
            after = sampler.sample()
            log = ARTIFACTS / f"streamlit-{url.rsplit(':', 1)[1]}.log"

    samples = sampler.samples
    finished = [learner for learner in learners if not learner.error]
    failed = [learner for learner in learners if learner.exceptions]
    cpu = closed.cpu - begin.cpu
    print(f"learners: {len(learners)}; finished every step: {len(finished)}; with an exception on the page: "
          f"{len(failed)}; wall time until all done: {wall:.1f} s")
    for learner in learners:
        if learner.error:
            print(f"  learner {learner.index} stopped at {learner.error}")
        for text in learner.exceptions:
            print(f"  learner {learner.index} exception: {' | '.join(text.splitlines()[:4])[:300]}")
    for step in ("first load", "result", "rerun", "page change"):
        label = {"result": "click Train to result", "rerun": "rerun (Images slider)"}.get(step, step)
        print(f"{label + ':':24} {percentiles([one.times[step] for one in learners if step in one.times])}")
    print(f"server CPU (Streamlit process only): {cpu:.1f} s in all, {cpu / len(learners):.2f} s per learner, "
          f"{cpu / wall:.2f} cores on average; during the {args.linger:.0f} s after the close: "
          f"{after.cpu - closed.cpu:.1f} s")
    print(f"server RSS: start {begin.rss / MIB:.0f} MiB, peak {max(s.rss for s in samples) / MIB:.0f} MiB, "
          f"at the close {closed.rss / MIB:.0f} MiB, {after.at - closed.at:.0f} s after the close "
          f"{after.rss / MIB:.0f} MiB")
    print(f"workers' RSS (all children together): peak {max(s.workers_rss for s in samples) / MIB:.0f} MiB, "
          f"{after.at - closed.at:.0f} s after the close {after.workers_rss / MIB:.0f} MiB")
    print(f"the {len(learners)} browser contexts share this machine's {psutil.cpu_count()} cores with the server, "
          "so the latencies are pessimistic; CPU seconds are the server's own")
    print(f"(server log: {log})")


if __name__ == "__main__":
    main()
