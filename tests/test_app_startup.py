"""The app paints its first page without importing TensorFlow (that costs seconds), in a fresh process."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=60).run()
assert not at.exception, at.exception
print(at.title[0].value)
print("tensorflow" in sys.modules, "keras" in sys.modules)
from fmnist_core.net.warmup import warm_up_in_background
thread = warm_up_in_background()
if thread is not None:
    thread.join(120)
    print("tensorflow" in sys.modules, "keras" in sys.modules)
"""


def run_app(synthetic_dir, tmp_path, warm_up: str) -> list[str]:
    env = os.environ | {"PYTHONPATH": str(ROOT), "FMNIST_DATA_DIR": str(synthetic_dir),
                        "FMNIST_CACHE_DIR": str(tmp_path), "FMNIST_WARM_UP": warm_up}
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(app=str(ROOT / "streamlit_app.py"))], env=env,
                         capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()


def test_first_page_paints_without_tensorflow(synthetic_dir, tmp_path):
    title, imported = run_app(synthetic_dir, tmp_path, warm_up="0")[-2:]
    assert title == "Train the network"
    assert imported == "False False"


def test_tensorflow_is_warmed_up_after_the_first_paint(synthetic_dir, tmp_path):
    title, before, after = run_app(synthetic_dir, tmp_path, warm_up="1")[-3:]
    assert title == "Train the network" and after == "True True"
