"""Worker processes of the local queue: none outlives the server, however the server ends."""

from __future__ import annotations

import signal

import psutil
import pytest

from tests.browser.helpers import browser_page, running_server
from tests.support import until

pytestmark = pytest.mark.browser  # a real server, started after a real visit


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["ctrl-c", "sigterm", "crash"])
def test_no_worker_outlives_the_server(synthetic_dir, tmp_path, how):
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache"), "FMNIST_WORKERS": "2",
           "FMNIST_WORKER_THREADS": "1"}  # two worker processes
    with running_server(env) as (url, server):
        with browser_page() as page:  # the workers start after the first visitor's first page
            page.goto(url)
            page.get_by_role("button", name="Train").wait_for(timeout=120_000)
        proc = psutil.Process(server.pid)
        until(lambda: len(proc.children()) == 2, 120)
        workers = proc.children()
        server.send_signal(how)
        server.wait(60)
        _gone, alive = psutil.wait_procs(workers, timeout=60)
        assert not alive, f"workers still running after the server ended: {alive}"
