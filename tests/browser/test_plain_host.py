"""A plain host: what Streamlit Community Cloud and a bare VM do, with no ``make``.

From a fresh ``git clone`` of this repository (its last commit) into a temporary folder: a fresh virtual
environment (its own site-packages, no ``--system-site-packages``), ``pip install -r requirements.txt``, then
``streamlit run streamlit_app.py`` with ``FMNIST_WORKERS=1`` (the 1 GB host's setting). Every page answers in English
and in Korean (the clone has no compiled ``.mo`` files: the app compiles the ``.po`` in memory), and a tiny run
trains on the data of Debian's ``dataset-fashion-mnist`` (``packages.txt``).

The wheels come from PyPI once and are kept in a wheelhouse (``~/.cache/fmnist-lab/wheelhouse/<hash of
requirements.txt>``, or ``$FMNIST_WHEELHOUSE``); later runs install from it with ``--no-index``, so the test
still installs every requirement into an empty environment and fails when requirements.txt misses one, without
downloading a gigabyte each time. On this 2-core machine the whole test took 10.5 min the first time (8.5 of them
the download and install, the machine loaded) and 3.3 min with the wheelhouse in place.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from fmnist_core.data.sources import DEBIAN_DIR, IDX_FILES
from tests.browser.helpers import browser_page, free_port

pytestmark = [pytest.mark.plain_host, pytest.mark.real_data, pytest.mark.browser]
ROOT = Path(__file__).resolve().parents[2]
PAGES = ["", "data", "concepts", "compare", "epochs", "units", "layers", "normalisation", "dropout",
         "early_stopping", "mistakes", "classify"]
HANGUL = re.compile("[\uac00-\ud7a3]")
SETUP_SECONDS = 40 * 60


def run(*command: str | Path, cwd: Path | None = None) -> None:
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=SETUP_SECONDS)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"


def wheelhouse(pip: Path, requirements: Path) -> Path:
    """A folder holding a wheel of every requirement (downloaded once per version of requirements.txt)."""
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    base = Path(os.environ.get("FMNIST_WHEELHOUSE", Path.home() / ".cache" / "fmnist-lab" / "wheelhouse"))
    house = base / digest
    if not (house / "complete").exists():
        run(pip, "download", "-q", "-r", requirements, "-d", house)
        (house / "complete").touch()
    return house


def plain_environment(venv: Path, cache: Path) -> dict[str, str]:
    """This machine's environment without our settings or virtual environment, as a plain host has it."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FMNIST_", "VIRTUAL_ENV", "PYTHON")) and k != "TF_CPP_MIN_LOG_LEVEL"}
    return env | {"PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", "FMNIST_CACHE_DIR": str(cache),
                  "FMNIST_WORKERS": "1", "FMNIST_PREFETCH": "0"}


def h1(page) -> str:
    page.wait_for_function("() => (document.querySelector('h1')?.innerText || '').trim().length > 0")
    return page.locator("h1").first.inner_text().strip()


def test_a_fresh_clone_runs_with_requirements_txt_and_a_plain_streamlit_run(tmp_path):
    if not all((DEBIAN_DIR / name).exists() for name in IDX_FILES.values()):
        pytest.skip("dataset-fashion-mnist (packages.txt) is not installed")
    python = shutil.which("python3")
    if python is None or subprocess.run([python, "-c", "import venv, ensurepip"]).returncode != 0:
        pytest.skip("python3 with venv (Debian: python3-venv) is needed")
    clone, venv = tmp_path / "app", tmp_path / "venv"
    run("git", "clone", "--quiet", ROOT, clone)
    assert not list(clone.glob("fmnist_core/locale/*/LC_MESSAGES/*.mo"))  # as a host gets it: no make locales
    run(python, "-m", "venv", venv)
    pip = venv / "bin" / "pip"
    run(pip, "install", "-q", "--no-index", "--find-links", wheelhouse(pip, clone / "requirements.txt"),
        "-r", clone / "requirements.txt")

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "streamlit.log"
    with open(log, "w") as out:
        server = subprocess.Popen([venv / "bin" / "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
                                   "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                                  cwd=clone, env=plain_environment(venv, tmp_path / "cache"), stdout=out,
                                  stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                assert urllib.request.urlopen(f"{url}/_stcore/health", timeout=5).read() == b"ok"
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        with browser_page(height=1600) as page:
            for path in PAGES:
                page.goto(f"{url}/{path}?lang=en")
                english = h1(page)
                assert not HANGUL.search(english)
                page.wait_for_function("document.documentElement.lang === 'en'")
                page.goto(f"{url}/{path}?lang=ko")
                page.wait_for_function("document.documentElement.lang === 'ko'")
                page.wait_for_function("t => (document.querySelector('h1')?.innerText || '').trim() !== t", arg=english)
                assert HANGUL.search(h1(page)), f"/{path} is not in Korean"
                assert page.locator('[data-testid="stException"]').count() == 0, path
            page.goto(f"{url}/?epochs=1&units=8&lang=en")
            page.get_by_role("button", name="Train", exact=True).click()
            page.get_by_text("Trained just now").first.wait_for()
            page.get_by_text("Test accuracy", exact=True).first.wait_for()
            assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        server.terminate()
        server.wait(30)
    assert "Traceback" not in log.read_text(), log.read_text()
