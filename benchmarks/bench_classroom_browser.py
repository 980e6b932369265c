"""Benchmark (not a test): a class of learners in real browsers against one server, on the real data.

    .venv/bin/python benchmarks/bench_classroom_browser.py [--learners 20] [--linger 130] [--no-prefetch] [--no-class]
        [--equal-priority] [--screenshot board.png]

Starts one fresh `streamlit run` (empty run cache; default settings, so the experiment pages' background runs are on
unless --no-prefetch) and two headless Chromiums, the learners' one on only the CPU the app leaves (every thread
SCHED_IDLE) and the teacher's one for the board at a high priority (nice -10), standing in for the learners' own
devices and the projector's computer (--equal-priority: both as the server). One page opens first (the app starts
its workers) and the bench waits for them to warm up. Unless --no-class, a teacher page then starts a class and
opens its board (kept open, never reloaded, as on a projector), and each learner joins the class from the learners'
link with a nickname (L00, L01, ...) before training. Then one browser context per learner, all driven at once
(Playwright's async API, one task per learner, in the manner of Streamlit's own `e2e_playwright/load_testing`). Each
learner opens the Train page with its own small run in the link (2 epochs, 16/32/64 units, its own seed), presses
Train, waits for the result, moves the prediction grid's Images slider once, then opens the Data page from the
sidebar menu (same session). A thread samples every 0.5 s the Streamlit (web) process and its worker processes: RSS
and CPU seconds. After the browser is closed it keeps sampling for --linger seconds (past Streamlit's
server.disconnectedSessionTTL of 120 s and the app's FMNIST_IDLE_SECONDS of 120 s). Prints: learners finished / with
an exception on the page; p50/p95 of the first load, click to result, slider rerun and page change as the browsers
saw them, and of submit-to-start and submit-to-result as the queue recorded them (no browser in the way); CPU
seconds per learner of the web process and of the workers; the RSS of the web process, the workers and the whole app
at start, after the first visitor, at the class's peak, at the close and --linger s after it; with a class, the
board's delay: for each learner, from the moment the learner saw their result to the moment the board's chart (its
own 3 s refresh, no reload) first showed that learner's run, p50 and max (both moments taken in the pages themselves
every 0.1 s); --screenshot saves the board once every run is on it. The browsers share this machine's cores with the
app, so their latencies are pessimistic. """

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
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

from fmnist_core.classroom import SQLiteClassStore  # noqa: E402
from fmnist_core.classroom.store import FILE_NAME  # noqa: E402
from tests.browser.helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402

RESULT = "shown images are classified correctly"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# the learners' names on the board's chart: one Plotly trace per learner with a run (gd.data of the graph's div)
# Both moments are taken in the page itself (Date.now() every 0.1 s), not when Playwright's driver, busy with
# twenty pages, gets to report them: when the board's chart first shows each learner's trace, and when a learner's
# page first shows the result's sentence.
BOARD_CLOCK = """() => { window.fmnistSeen = {}; setInterval(() => {
  for (const p of document.querySelectorAll('.js-plotly-plot'))
    for (const t of (p.data || [])) if (!(t.name in window.fmnistSeen)) window.fmnistSeen[t.name] = Date.now();
}, 100); }"""
RESULT_CLOCK = """(text) => { window.fmnistResult = null; const id = setInterval(() => {
  if (document.body.textContent.includes(text)) { window.fmnistResult = Date.now(); clearInterval(id); }
}, 100); }"""
EXCEPTION = '[data-testid="stException"]'
LEARNERS, TEACHER = "--fmnist-bench-learners", "--fmnist-bench-teacher"  # switches Chromium ignores: which browser
MIB = 2**20


@dataclass
class Learner:
    index: int
    times: dict[str, float] = field(default_factory=dict)  # step -> seconds
    exceptions: list[str] = field(default_factory=list)  # st.exception texts seen on the page
    error: str = ""  # a step that did not finish (Playwright's error)
    seen: float | None = None  # time.time() when the learner saw their result
    on_board: float | None = None  # time.time() when the board first showed the learner's run
    recorded: float | None = None  # time.time() when the server recorded the run in the class (the class records)

    @property
    def nickname(self) -> str:
        return f"L{self.index:02d}"


@dataclass
class Sample:
    at: float
    rss: int  # the Streamlit (web) process
    cpu: float
    workers_rss: int  # its worker processes together
    workers_cpu: float  # CPU seconds of every worker process seen so far, those already ended included
    app_pss: int  # the web process and its workers, each shared page counted once (proportional set size)

    @property
    def app_rss(self) -> int:
        return self.rss + self.workers_rss


class Sampler(threading.Thread):
    """Samples the server process (RSS, CPU seconds) and its workers' total RSS every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.proc, self.interval = psutil.Process(pid), interval
        self.samples: list[Sample] = []
        self.stopped = threading.Event()
        self.worker_cpu: dict[int, float] = {}  # pid -> its last CPU seconds (a stopped worker keeps its last)
        self.lock = threading.Lock()
        self.first_visitor: Sample | None = None  # once the first page's workers have warmed up

    def sample(self) -> Sample:
        with self.lock:
            times, workers, pss = self.proc.cpu_times(), 0, self.proc.memory_full_info().pss
            for child in self.proc.children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    workers += child.memory_info().rss
                    pss += child.memory_full_info().pss
                    child_times = child.cpu_times()
                    self.worker_cpu[child.pid] = child_times.user + child_times.system
            sample = Sample(time.monotonic(), self.proc.memory_info().rss, times.user + times.system, workers,
                            sum(self.worker_cpu.values()), pss)
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


async def learn(browser: Browser, url: str, learner: Learner, link: str | None = None) -> None:
    """One learner: the Train page (``link``: the class's learners' link, joined with a nickname first)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    page = await context.new_page()
    page.set_default_navigation_timeout(300_000)  # twenty tabs loading Streamlit's frontend at once on two cores
    page.set_default_timeout(300_000)  # a click too: this browser gets only the CPU the app leaves
    step = "first load"
    await asyncio.sleep(learner.index * 0.5)  # a class arrives within ten seconds, not in the same millisecond
    try:
        start = time.perf_counter()
        params = f"epochs=2&units={(16, 32, 64)[learner.index % 3]}&seed={learner.index}"
        await page.goto(f"{link}&{params}" if link else f"{url}/?{params}", wait_until="commit")
        if link:
            field = page.get_by_label("Your nickname")
            await field.wait_for(timeout=300_000)
            learner.times[step] = time.perf_counter() - start
            step, start = "join", time.perf_counter()
            await field.fill(learner.nickname)
            await page.get_by_role("button", name="Join", exact=True).click()
            await page.get_by_text(f"You are {learner.nickname} in class").first.wait_for(timeout=300_000)
        await page.get_by_role("button", name="Train").wait_for(timeout=300_000)
        await page.locator(IDLE).wait_for(timeout=300_000)  # a click during a script run may be lost in its rerun
        learner.times[step] = time.perf_counter() - start
        await check(page, learner)

        step, start = "result", time.perf_counter()
        await page.evaluate(RESULT_CLOCK, RESULT)
        await page.get_by_role("button", name="Train").click()
        caption = page.get_by_text(RESULT).first  # Watch it learn repeats the sentence under its own grid
        await caption.wait_for(timeout=1_200_000)
        learner.seen = (await page.evaluate("() => window.fmnistResult") or time.time() * 1000) / 1000
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


async def first_visitor(browser: Browser, url: str, sampler: Sampler) -> None:
    """One page opened before the class comes (the app starts its workers then); a sample once they are warm."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(url, wait_until="commit")
    await page.get_by_role("button", name="Train").wait_for(timeout=300_000)
    await context.close()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the workers import TensorFlow and load the data: wait for them to settle
        before = sampler.sample().workers_rss
        await asyncio.sleep(2)
        if before and abs(sampler.sample().workers_rss - before) < 5 * MIB:
            break
    sampler.first_visitor = sampler.sample()


async def start_class(browser: Browser, url: str) -> tuple[Page, str]:
    """A teacher starts a class and opens its board (left open); the board page and the learners' link."""
    page = await (await browser.new_context(viewport={"width": 1400, "height": 1600}, locale="en-GB")).new_page()
    page.set_default_timeout(300_000)
    await page.goto(f"{url}/class")
    await page.get_by_role("button", name="Start a class").wait_for()
    await page.locator(IDLE).wait_for()
    await page.get_by_role("button", name="Start a class").click()
    codes = page.locator("[data-testid='stCode']")
    await codes.nth(1).wait_for()
    link, board = (re.search(r"http\S+", text)[0] for text in await codes.all_inner_texts())
    await page.goto(board)
    await page.get_by_text("No runs yet").wait_for()
    await page.evaluate(BOARD_CLOCK)
    return page, link


async def watch_board(board: Page, learners: list[Learner], done: asyncio.Event) -> None:
    """Poll the board's chart until every learner who saw a result has their run on it (up to 60 s after the
    last learner is done): when each learner's run first shows there."""
    by_name = {learner.nickname: learner for learner in learners}
    deadline = None
    while True:
        with contextlib.suppress(PlaywrightError):
            for name, at in (await board.evaluate("() => window.fmnistSeen || {}")).items():
                if name in by_name and by_name[name].on_board is None:
                    by_name[name].on_board = at / 1000
        if done.is_set():
            deadline = deadline or time.monotonic() + 60
            if all(one.on_board is not None or one.seen is None for one in learners) or time.monotonic() > deadline:
                return
        await asyncio.sleep(0.2)


async def classroom(url: str, learners: list[Learner], sampler: Sampler, with_class: bool = True,
                    screenshot: Path | None = None, equal: bool = False) -> str | None:
    """The class in the browsers; the class's code (None without a class)."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, LEARNERS])
        teacher = await p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, TEACHER])
        keeper = Priorities({} if equal else {LEARNERS: IDLE_ONLY, TEACHER: -10})
        keeper.start()
        try:
            await first_visitor(browser, url, sampler)
            if not with_class:
                await asyncio.gather(*(learn(browser, url, learner) for learner in learners))
                return None
            board, link = await start_class(teacher, url)
            done = asyncio.Event()
            watcher = asyncio.create_task(watch_board(board, learners, done))
            await asyncio.gather(*(learn(browser, url, learner, link) for learner in learners))
            done.set()
            await watcher
            if screenshot:  # the board as the projector shows it once the class is done
                await board.screenshot(path=str(screenshot), full_page=True)
            return re.search(r"class=(\w+)", link)[1]
        finally:
            keeper.stopped.set()
            await browser.close()
            await teacher.close()


IDLE_ONLY = 20  # as a nice value: Linux's SCHED_IDLE policy, below nice 19 (the CPU only when nothing else wants it)


def priority(mark: str, nice: int) -> None:
    """Every thread of the browser whose command line has ``mark``, and of every process it started, at CPU
    priority ``nice`` (``IDLE_ONLY``: SCHED_IDLE). In a real class each learner's browser runs on the learner's own
    device and the board on the projector's computer, not on the server's cores: the learners' browser takes only
    the CPU the app leaves (SCHED_IDLE), the board's goes first (-10). Linux keeps a priority per thread, and
    twenty renderers at nice 19 still outweigh two workers at nice 10, hence every thread and SCHED_IDLE. With
    Linux's autogroups (``/proc/sys/kernel/sched_autogroup_enabled``) the CPU is first shared between sessions:
    Playwright starts each browser in a session of its own, so that session's nice is set too, and the server
    runs in its own (``running_server(own_session=True)``), apart from this bench and Playwright's driver."""
    for proc in psutil.process_iter(["cmdline"]):
        if mark in (proc.info["cmdline"] or []):
            with contextlib.suppress(OSError):  # Playwright starts a browser in a session (an autogroup) of its own
                Path(f"/proc/{proc.pid}/autogroup").write_text(str(min(19, nice)))
            for one in (proc, *proc.children(recursive=True)):
                with contextlib.suppress(psutil.Error, OSError):
                    for thread in one.threads():
                        if nice == IDLE_ONLY:
                            if os.sched_getscheduler(thread.id) != os.SCHED_IDLE:
                                os.sched_setscheduler(thread.id, os.SCHED_IDLE, os.sched_param(0))
                        elif os.getpriority(os.PRIO_PROCESS, thread.id) != nice:
                            os.setpriority(os.PRIO_PROCESS, thread.id, nice)


class Priorities(threading.Thread):
    """Keeps the browsers at their priorities (``priority``) every 0.5 s while the class runs. Chromium sets each
    renderer's priority itself as it starts it and as its page comes to the front (nice 0 or 5; as root it may
    lower a niceness), so setting it once at launch left most learners' renderers at the server's priority (until
    2026-12-05)."""

    def __init__(self, marks: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.marks, self.stopped = marks, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            for mark, nice in self.marks.items():
                priority(mark, nice)


TIMING = re.compile(r"queue timing: \S+ waited ([\d.]+) s, result ([\d.]+) s after submit")
# The server's own record of each run (the queue logs it at INFO); this bench turns that logger on in the server
# with a sitecustomize module of its own, so the app needs no setting for it.
SITECUSTOMIZE = """import logging, sys
handler = logging.StreamHandler(sys.stderr)
handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
logging.getLogger("fmnist_core.queue").addHandler(handler)
logging.getLogger("fmnist_core.queue").setLevel(logging.INFO)
"""


def queue_timings(log: Path) -> list[tuple[float, float]]:
    """(submit to start, submit to result) of every learner's run, from the server's log."""
    found = (TIMING.search(line) for line in log.read_text(errors="replace").splitlines())
    return [(float(m[1]), float(m[2])) for m in found if m]


def mib(value: int) -> str:
    return f"{value / MIB:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=20, help="browser contexts, one per learner (20)")
    parser.add_argument("--linger", type=float, default=130, help="seconds to sample after the close (130)")
    parser.add_argument("--no-prefetch", action="store_true", help="no background runs of the experiment pages")
    parser.add_argument("--no-class", action="store_true", help="learners do not join a class (no board open)")
    parser.add_argument("--equal-priority", action="store_true",
                        help="both browsers at the server's priority (default: learners' SCHED_IDLE, the board's -10)")
    parser.add_argument("--screenshot", type=Path, help="save the board, once every run is on it, to this PNG file")
    args = parser.parse_args()
    learners = [Learner(i) for i in range(args.learners)]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "sitecustomize.py").write_text(SITECUSTOMIZE)
        env = {"FMNIST_CACHE_DIR": str(Path(tmp) / "cache"), "PYTHONPATH": tmp,
               "FMNIST_PREFETCH": "0" if args.no_prefetch else "1"}
        with running_server(env, own_session=True) as (url, server):
            sampler = Sampler(server.pid)
            begin = sampler.sample()
            sampler.start()
            code = asyncio.run(classroom(url, learners, sampler, with_class=not args.no_class,
                                         screenshot=args.screenshot, equal=args.equal_priority))
            if code:  # when the server recorded each run: the class records, read as the board reads them
                by_name = {one.nickname: one for one in learners}
                for record in SQLiteClassStore(Path(tmp) / "cache" / FILE_NAME).runs(code):
                    if record.nickname in by_name and by_name[record.nickname].recorded is None:
                        by_name[record.nickname].recorded = record.at
            closed = sampler.sample()
            first = sampler.first_visitor
            assert first is not None
            wall = closed.at - first.at
            time.sleep(max(0.0, closed.at + args.linger - time.monotonic()))
            sampler.stopped.set()
            sampler.join()
            after = sampler.sample()
            log = ARTIFACTS / f"streamlit-{url.rsplit(':', 1)[1]}.log"

    class_samples = [s for s in sampler.samples if first.at <= s.at <= closed.at]
    finished = [learner for learner in learners if not learner.error]
    failed = [learner for learner in learners if learner.exceptions]
    web_cpu, workers_cpu = closed.cpu - first.cpu, closed.workers_cpu - first.workers_cpu
    print(f"learners: {len(learners)}; finished every step: {len(finished)}; with an exception on the page: "
          f"{len(failed)}; wall time from the first learner to the last done: {wall:.1f} s")
    for learner in learners:
        if learner.error:
            print(f"  learner {learner.index} stopped at {learner.error}")
        for text in learner.exceptions:
            print(f"  learner {learner.index} exception: {' | '.join(text.splitlines()[:4])[:300]}")
    for step in ("first load", "join", "result", "rerun", "page change"):
        label = {"result": "click Train to result", "rerun": "rerun (Images slider)"}.get(step, step)
        print(f"{label + ':':24} {percentiles([one.times[step] for one in learners if step in one.times])}")
    if not args.no_class:
        delays = [one.on_board - one.seen for one in learners if one.seen is not None and one.on_board is not None]
        missing = [one.nickname for one in learners if one.seen is not None and one.on_board is None]
        print(f"{'result seen to on board:':24} {percentiles(delays)}; never on the board: "
              f"{', '.join(missing) or 'none'} (negative: the board showed the run before the learner's page did)")
        known = [one for one in learners if None not in (one.recorded, one.seen, one.on_board)]
        print(f"{'recorded to on board:':24} {percentiles([one.on_board - one.recorded for one in known])}  "
              "(the server's record time to the board's chart)")
        print(f"{'recorded to seen:':24} {percentiles([one.seen - one.recorded for one in known])}  "
              "(the server's record time to the learner's page)")
        for one in known:
            if one.on_board - one.seen > 5:
                print(f"  {one.nickname}: recorded, then seen after {one.seen - one.recorded:.1f} s, on the board "
                      f"after {one.on_board - one.recorded:.1f} s")
    timings = queue_timings(log)
    print(f"{'submit to result (queue):':24} {percentiles([t for _, t in timings])}  (the web process's own record, "
          "no browser in the way)")
    print(f"{'submit to start (queue):':24} {percentiles([w for w, _ in timings])}")
    print(f"CPU during the class: web process {web_cpu:.1f} s ({web_cpu / len(learners):.2f} s per learner), "
          f"workers {workers_cpu:.1f} s ({workers_cpu / len(learners):.2f} s per learner); "
          f"during the {args.linger:.0f} s after the close: web {after.cpu - closed.cpu:.1f} s, "
          f"workers {after.workers_cpu - closed.workers_cpu:.1f} s")
    print(f"{'RSS':24} {'web':>9} {'workers':>9} {'whole app':>10} {'(PSS)':>10}")
    for label, sample in (("at start", begin), ("after the first visitor", first),
                          ("peak of the class", max(class_samples, key=lambda s: s.app_rss)),
                          ("at the close", closed), (f"{after.at - closed.at:.0f} s after the close", after)):
        print(f"{label:24} {mib(sample.rss):>9} {mib(sample.workers_rss):>9} {mib(sample.app_rss):>10} "
              f"{mib(sample.app_pss):>10}")
    print(f"peak of the web process alone during the class: {mib(max(s.rss for s in class_samples))}; PSS counts "
          "each page the processes share (TensorFlow's libraries in every worker) once, RSS once per process")
    print(f"the {len(learners)} browser contexts share this machine's {psutil.cpu_count()} cores with the server, "
          "so the browser-measured latencies are pessimistic; CPU seconds are the app's own")
    print(f"(server log: {log})")


if __name__ == "__main__":
    main()
