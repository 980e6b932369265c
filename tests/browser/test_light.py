"""Real browser: the web process stays light. After a walk of every page, a trained run, the Common mistakes
page and a model download, the Streamlit server has never loaded TensorFlow; its worker processes have."""

from pathlib import Path

import pytest

from tests.browser.helpers import browser_page, running_server, settled

pytestmark = pytest.mark.browser
PAGES = {"data": "The data", "concepts": "Inside the network", "compare": "Compare runs", "epochs": "Experiment",
         "units": "Experiment", "layers": "Experiment", "normalisation": "Experiment", "dropout": "Experiment",
         "early_stopping": "Experiment", "classify": "Classify your own garment"}


def tensorflow_loaded(pid: int) -> bool:
    """True when the process has TensorFlow's shared library mapped."""
    return "libtensorflow" in Path(f"/proc/{pid}/maps").read_text()


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def test_the_server_never_loads_tensorflow(synthetic_dir, tmp_path):
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache"), "FMNIST_WORKERS": "1"}
    with running_server(env) as (url, server), browser_page(height=2600) as page:
        page.goto(f"{url}/?epochs=2&units=16")
        settled(page)  # connected and its first script run over: a click now is not lost (seen under load)
        page.get_by_role("button", name="Train").click()
        page.get_by_text("shown images are classified correctly").first.wait_for(timeout=180_000)  # twice
        no_exception(page)
        with page.expect_download(timeout=120_000) as download:
            page.get_by_role("button", name="Trained model (.keras)").click()
        assert Path(download.value.path()).read_bytes()[:2] == b"PK"  # a .keras file is a zip archive
        for path, heading in PAGES.items():
            page.goto(f"{url}/{path}")
            page.get_by_role("heading", name=heading).first.wait_for(timeout=120_000)
            no_exception(page)
        page.goto(f"{url}/mistakes")
        page.get_by_text("Keras refused to train it").first.wait_for(timeout=180_000)
        page.get_by_text("Test accuracy after 3 epochs").first.wait_for(timeout=180_000)
        no_exception(page)
        workers = children(server.pid)
        assert workers and all(tensorflow_loaded(pid) for pid in workers)  # the check sees TensorFlow where it is
        assert not tensorflow_loaded(server.pid)
