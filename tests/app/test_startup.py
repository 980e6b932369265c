"""The app paints its first page without TensorFlow, then starts its worker processes, which load it: the web
process itself never does (a fresh process each time)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys, time
from pathlib import Path
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=60).run()
assert not at.exception, at.exception
print(at.title[0].value)
print("tensorflow" in sys.modules, "keras" in sys.modules)
from pages.ui.runner import get_runner
pids = get_runner().pool.pids()
print(len(pids))
deadline = time.monotonic() + 300
while pids and not all("libtensorflow" in Path(f"/proc/{{p}}/maps").read_text() for p in pids):
    assert time.monotonic() < deadline
    time.sleep(0.1)
print("tensorflow" in sys.modules, "keras" in sys.modules)
"""


def run_app(synthetic_dir, tmp_path, warm_up: str) -> list[str]:
    env = os.environ | {"PYTHONPATH": str(ROOT), "FMNIST_DATA_DIR": str(synthetic_dir),
                        "FMNIST_CACHE_DIR": str(tmp_path), "FMNIST_WARM_UP": warm_up, "FMNIST_WORKERS": "2",
                        "FMNIST_WORKER_THREADS": "1"}  # two worker processes
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(app=str(ROOT / "streamlit_app.py"))], env=env,
                         capture_output=True, text=True, timeout=400, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()


def test_first_page_paints_without_tensorflow_and_starts_no_worker_when_told_not_to(synthetic_dir, tmp_path):
    title, imported, workers, later = run_app(synthetic_dir, tmp_path, warm_up="0")[-4:]
    assert title == "Train the network"
    assert imported == later == "False False" and workers == "0"


def test_workers_warm_up_after_the_first_paint_and_the_web_process_stays_light(synthetic_dir, tmp_path):
    title, imported, workers, later = run_app(synthetic_dir, tmp_path, warm_up="1")[-4:]
    assert title == "Train the network" and workers == "2"
    assert imported == later == "False False"  # the workers have TensorFlow mapped; this process does not
