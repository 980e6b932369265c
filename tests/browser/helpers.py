"""Helpers for real-browser tests: start the app with `streamlit run` on a free port, open headless Chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WAIT_MS = 120_000  # how long a state may take to come before a wait fails (Playwright's own 30 s is too short
# on a loaded machine: a CI run once saw the confusion chart drawn after more than 30 s)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(env_extra: dict[str, str]) -> Iterator[str]:
    """Run `streamlit run streamlit_app.py` until the block ends; yields its base URL."""
    with running_server(env_extra) as (url, _proc):
        yield url


@contextlib.contextmanager
def running_server(env_extra: dict[str, str], own_session: bool = False) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run `streamlit run streamlit_app.py` until the block ends; yields its base URL and its process.
    ``own_session``: in a session of its own, so that Linux's autogroup scheduling shares the CPU between it (with
    its workers) and the browsers as between separate machines' programs, not with this process (benchmarks)."""
    port = free_port()
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"} | env_extra
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / f"streamlit-{port}.log", "w") as log:  # closed once the server has stopped
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=own_session,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError(f"streamlit did not start; see {log.name}") from None
                    time.sleep(0.3)
            yield url, proc
        except BaseException:  # a failed test: where the server's threads were, for the log's reader
            dump_stacks(proc, Path(log.name))
            raise
        finally:
            proc.terminate()
            proc.wait(10)


def dump_stacks(proc: subprocess.Popen, log: Path) -> None:
    """Have a running server print every thread's stack into its log (``streamlit_app.stacks_on_sigusr1``)."""
    if proc.poll() is not None:
        return
    size = log.stat().st_size
    proc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "most recent call first" not in log.read_text(errors="replace")[size:]:
        time.sleep(0.1)


def settled(page, timeout: int = WAIT_MS) -> None:
    """Wait until the script run is over and every chart and image on the page has been drawn."""
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(timeout=timeout)
    page.wait_for_function(
        "() => [...document.images].every(i => i.complete)"
        " && [...document.querySelectorAll('.js-plotly-plot')].every(p => p.querySelector('.main-svg'))",
        timeout=timeout)


@contextlib.contextmanager
def browser_page(width: int = 1400, height: int = 1000, phone: bool = False, locale: str = "en-GB"):
    """A Playwright page in Debian's headless Chromium (skips the test when Chromium is missing); ``phone``
    emulates a 390x844 touch screen (device scale 3, mobile); ``locale`` is the browser's language."""
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            if phone:
                context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3,
                                              is_mobile=True, has_touch=True, locale=locale)
                page = context.new_page()
            else:
                page = browser.new_page(viewport={"width": width, "height": height}, locale=locale)
            page.set_default_timeout(WAIT_MS)
            try:
                yield page
            except Exception:  # what the page showed when the test failed, for the CI log's reader
                keep_failure(page)
                raise
        finally:
            browser.close()


def keep_failure(page) -> None:
    """Save a failed test's page (full screenshot and text) in test-artifacts/failed-<test>.*."""
    name = os.environ.get("PYTEST_CURRENT_TEST", "unknown").split(" ")[0]
    stem = ARTIFACTS / ("failed-" + "".join(c if c.isalnum() else "_" for c in name)[-120:])
    with contextlib.suppress(Exception):  # a page that is gone cannot be kept; the failure itself still shows
        ARTIFACTS.mkdir(exist_ok=True)
        stem.with_suffix(".txt").write_text(page.inner_text("body"))
        page.screenshot(path=str(stem.with_suffix(".png")), full_page=True)


def sent_reruns(page) -> list:
    """Every script rerun the page asks the server for (Streamlit's BackMsg.rerun_script), as they are sent."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    reruns = []

    def on_frame(payload) -> None:
        if isinstance(payload, bytes):
            message = BackMsg.FromString(payload)
            if message.WhichOneof("type") == "rerun_script":
                reruns.append(message.rerun_script)

    page.on("websocket", lambda ws: ws.on("framesent", on_frame))
    return reruns
