"""Real browser: train a tiny run on the Train page through headless Chromium."""

import os
import signal

import pytest

from tests.browser.helpers import ARTIFACTS, browser_page, running_app, running_server, settled
from tests.support import children

pytestmark = pytest.mark.browser


def test_train_tiny_run_in_browser(synthetic_dir, tmp_path):
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as url, browser_page(height=2600) as page:
        page.goto(f"{url}/?epochs=3&units=16")
        page.get_by_text("has not been trained yet").wait_for(timeout=120_000)
        settled(page)  # connected and its first script run over: a click now is not lost (seen under load)
        page.get_by_role("button", name="Train").click()
        # the prediction grid's caption; Watch it learn repeats the sentence under its own grid: any one will do
        page.get_by_text("shown images are classified correctly").first.wait_for(timeout=120_000)
        page.get_by_text("Test accuracy", exact=True).first.wait_for(timeout=120_000)
        page.locator(".js-plotly-plot").nth(2).wait_for(timeout=120_000)  # curves, grid, confusion matrix drawn
        settled(page)  # the charts are drawn before the screenshot
        assert page.get_by_text("Trained just now").count() == 1
        assert page.locator(".js-plotly-plot").count() >= 3
        assert page.locator('[data-testid="stException"]').count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "train-page.png"))
        # the configuration is in the URL: reopening the link shows the cached run
        page.goto(page.url)
        page.get_by_text("From the cache: trained").wait_for(timeout=120_000)


def test_deep_link_first_after_start_gets_the_app_menu(synthetic_dir, tmp_path):
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as url, browser_page() as page:
        page.goto(f"{url}/normalisation")
        page.get_by_text("Does dividing the pixels by 255 matter?").wait_for(timeout=120_000)
        nav = page.locator('[data-testid="stSidebarNav"]')
        nav.get_by_text("Normalise or not?").wait_for(timeout=120_000)
        assert nav.get_by_text("ui").count() == 0  # helper modules are not pages
        assert page.get_by_text("Page not found").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.parametrize("path", ["train", "units"])
def test_copied_link_with_values_opens_its_page_without_a_pop_up(synthetic_dir, tmp_path, path):
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as url, browser_page() as page:
        page.goto(f"{url}/{path}?units=256&epochs=3")
        expected = "256 units x 1 layer, 3 epochs" if path == "train" else "Do more hidden units make a better"
        page.get_by_text(expected).first.wait_for(timeout=120_000)
        settled(page)  # the script run is over: a pop-up would be there
        assert page.get_by_text("Page not found").count() == 0 and page.get_by_role("dialog").count() == 0
        assert "units=256" in page.url and "epochs=3" in page.url  # the Train page is home: its URL is /?…
        assert path == "train" or f"/{path}?" in page.url
        assert page.locator('[data-testid="stException"]').count() == 0


def test_stop_button_cancels_and_says_so(synthetic_dir, tmp_path):
    from fmnist_core.config import RunConfig
    from fmnist_core.runs.cache import RunCache

    held = RunConfig(epochs=100, batch_size=1, hidden_units=2048)
    holds = tmp_path / "holds"
    holds.mkdir()
    (holds / held.key).touch()  # the worker holds this run (as running) until it is stopped: no race with its speed
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache"),
           "FMNIST_HOLD_DIR": str(holds), "FMNIST_PREFETCH": "0"}  # no background runs ahead of it
    with running_app(env) as url, browser_page() as page:
        page.goto(f"{url}/?epochs=100&batch=1&units=2048")
        settled(page)  # a click before the page is connected and its first run over was lost on a loaded CI run
        page.get_by_role("button", name="Train").click()
        page.get_by_text("preparing the data").first.wait_for(timeout=120_000)  # the progress text is there
        page.get_by_role("button", name="Stop training").click()
        page.get_by_text("Training stopped after").wait_for(timeout=120_000)
        assert page.get_by_text("Test accuracy", exact=True).count() == 0  # nothing half-trained shown as finished
        assert page.locator('[data-testid="stException"]').count() == 0
    assert RunCache(tmp_path / "cache").get(RunConfig(epochs=100, batch_size=1, hidden_units=2048)) is None


def test_stop_says_it_is_stopping_until_the_worker_has_stopped(synthetic_dir, tmp_path):
    """A worker that takes its time to stop (a busy machine: once more than 30 s) leaves the page saying so,
    then what became of the run: before, the page waited 30 s and then showed nothing under the settings."""
    from fmnist_core.config import RunConfig

    held = RunConfig(epochs=100, batch_size=1, hidden_units=2048)
    holds = tmp_path / "holds"
    holds.mkdir()
    (holds / held.key).touch()
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache"),
           "FMNIST_HOLD_DIR": str(holds), "FMNIST_PREFETCH": "0"}
    with running_server(env) as (url, server), browser_page() as page:
        page.goto(f"{url}/?epochs=100&batch=1&units=2048")
        settled(page)
        page.get_by_role("button", name="Train").click()
        page.get_by_text("preparing the data").first.wait_for()
        workers = children(server.pid)
        assert workers
        for pid in workers:  # frozen: none can hear the stop until they are let go
            os.kill(pid, signal.SIGSTOP)
        try:
            page.get_by_role("button", name="Stop training").click()
            page.get_by_text("Stopping this run").wait_for()
        finally:
            for pid in workers:
                os.kill(pid, signal.SIGCONT)
        page.get_by_text("Training stopped after 0 of 100 epochs").wait_for()
        assert page.get_by_text("Stopping this run").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0


def test_clicking_a_confusion_cell_shows_its_images(synthetic_dir, tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from fmnist_core.config import RunConfig
    from fmnist_core.data.sources import load_idx_folder
    from fmnist_core.runs.cache import RunCache

    RunCache(tmp_path / "cache").get_or_train(RunConfig(epochs=2, hidden_units=16), load_idx_folder(synthetic_dir))
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as url, browser_page(height=3000) as page:
        page.goto(f"{url}/?epochs=2&units=16")
        page.get_by_text("Look at the images of one cell").wait_for(timeout=120_000)
        plot = page.locator(".st-key-confusion .js-plotly-plot").first
        plot.scroll_into_view_if_needed()
        # the drill-down's own sentence: "Pullover taken for Sneaker" alone is also in the most-confused pairs
        # and in Watch it learn's "... fell from 12 to 8"
        chosen = page.get_by_text("test images: Pullover taken for Sneaker")
        for _attempt in range(10):  # until the chart has its click handlers (a busy machine draws it later)
            area = plot.locator(".nsewdrag").first.bounding_box()
            # true class 2 (Pullover, third row), predicted class 7 (Sneaker, eighth column)
            page.mouse.click(area["x"] + area["width"] * 7.5 / 10, area["y"] + area["height"] * 2.5 / 10)
            try:
                chosen.wait_for(timeout=15_000)
                break
            except PlaywrightTimeout:
                continue
        chosen.wait_for(timeout=120_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(ARTIFACTS / "confusion-drill-down.png"), full_page=True)
