"""A class arriving together: every library and module of ours the pages use is imported by one gate that every
script a session runs passes first (``pages/ui/preload.py``), before any session draws a page. A page that
imported one on first use left it half imported while other sessions' threads ran, and Plotly took a
half-imported pandas from ``sys.modules`` (a traceback in most tabs of a class opening a fresh server;
``tests/browser/test_arrival.py`` shows it in a browser)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fmnist_core.config import RunConfig
from fmnist_core.data.sources import load_idx_folder
from fmnist_core.runs.cache import RunCache

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = [ROOT / "streamlit_app.py", *sorted(p for p in (ROOT / "pages").glob("*.py") if p.name != "__init__.py")]
BEFORE_THE_GATE = {"__future__", "faulthandler", "gc", "signal", "threading", "time", "streamlit"}  # imported before
# any session runs (the standard library ones: built in, or imported by Python or Streamlit at start)
PAGES = ["pages/data.py", "pages/concepts.py", "pages/compare.py", "pages/epochs.py", "pages/units.py",
         "pages/layers.py", "pages/normalisation.py", "pages/dropout.py", "pages/early_stopping.py",
         "pages/mistakes.py", "pages/classify.py", "pages/class.py", "pages/board.py", "pages/train.py"]
# What the app script's imports leave for later: Streamlit's own modules, and the drawing canvas (a Streamlit
# component, which can only be registered inside a running app; reached through ``import`` only).
LATER = ("streamlit.", "streamlit_drawable_canvas", "pages.ui.canvas")
SCRIPT = """
import json, sys
import streamlit.web.bootstrap  # what `streamlit run` has imported before the first session
from streamlit.testing.v1 import AppTest
app = {app!r}
import pages.ui.preload  # the gate every script a session runs passes first (the next test)
light = "tensorflow" not in sys.modules and "keras" not in sys.modules
before = set(sys.modules)
at = AppTest.from_file(app, default_timeout=300)
at.query_params["epochs"] = "2"
at.query_params["units"] = "16"
at.run()
errors = [e.message for e in at.exception]
for page in {pages!r}:
    at.switch_page(page)
    at.run()
    errors += [e.message for e in at.exception]
print(json.dumps({{"light": light, "errors": errors, "later": sorted(set(sys.modules) - before),
                  "tensorflow": "tensorflow" in sys.modules}}))
"""


def test_the_pages_import_nothing_the_preload_did_not_import_first(synthetic_dir, tmp_path):
    data = load_idx_folder(synthetic_dir)
    cache = RunCache(tmp_path / "cache")
    for config in (RunConfig(epochs=2, hidden_units=16), RunConfig(epochs=3, hidden_units=16)):
        cache.get_or_train(config, data)  # charts, tables and images on every page
    env = os.environ | {"PYTHONPATH": str(ROOT), "FMNIST_DATA_DIR": str(synthetic_dir),
                        "FMNIST_CACHE_DIR": str(tmp_path / "cache"), "FMNIST_WARM_UP": "0", "FMNIST_PREFETCH": "0",
                        "FMNIST_WORKERS": "1"}
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(app=str(ROOT / "streamlit_app.py"), pages=PAGES)],
                         env=env, capture_output=True, text=True, timeout=500, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["errors"] == []
    assert seen["light"] and not seen["tensorflow"]  # the web process never imports TensorFlow
    assert [name for name in seen["later"] if not name.startswith(LATER)] == []


@pytest.mark.parametrize("path", ENTRIES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_script_a_session_runs_imports_the_preload_first(path):
    """A session's first script run is streamlit_app.py or, on a fresh server, a linked page's file alone: each
    passes the one gate before any other module of ours or of a library, so one thread imports them all."""
    names = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module)
    gate = names.index("pages.ui.preload")
    assert set(names[:gate]) <= BEFORE_THE_GATE
