"""Real browser: draw a garment on the canvas with the mouse and see the network's answer."""

import time

import pytest

from fmnist_core.config import RunConfig
from fmnist_core.runs.cache import RunCache
from tests.browser.helpers import ARTIFACTS, browser_page, running_app

pytestmark = pytest.mark.browser


def test_draw_on_canvas_gives_a_prediction(synthetic_dir, synthetic_data, tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    RunCache(tmp_path / "cache").get_or_train(RunConfig(epochs=2, hidden_units=16), synthetic_data)
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as url, browser_page(height=1600) as page:
        page.goto(f"{url}/classify")
        page.get_by_role("tabpanel", name="Draw").get_by_text("The canvas is empty").wait_for(timeout=120_000)
        canvas = page.locator("canvas").first
        box = canvas.bounding_box()
        assert box and box["width"] >= 200
        x, y = box["x"], box["y"]
        draw_tab = page.get_by_role("tabpanel", name="Draw")
        deadline = time.monotonic() + 240
        while True:  # a stroke drawn before the canvas component listens is lost (seen on a loaded machine): draw
            page.mouse.move(x + 60, y + 60)  # again until the page answers, whatever the machine's speed
            page.mouse.down()
            for dx, dy in [(220, 60), (220, 120), (60, 120), (60, 60)]:
                page.mouse.move(x + dx, y + dy, steps=12)
            page.mouse.up()
            try:
                draw_tab.get_by_text("The network says:").wait_for(timeout=30_000)
                break
            except PlaywrightTimeout:
                assert time.monotonic() < deadline, "no prediction however often the garment was drawn"
        draw_tab.get_by_text("the 28x28 image the network sees").wait_for(timeout=120_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "classify-drawing.png"))
