"""A phone (390x844, touch): every page without sideways scrolling, a tiny run trained, a stroke drawn by touch."""

from __future__ import annotations

import pytest

from tests.browser.helpers import ARTIFACTS, browser_page, running_app, settled

pytestmark = pytest.mark.browser
PAGES = ["", "data", "concepts", "compare", "epochs", "units", "layers", "normalisation", "dropout",
         "early_stopping", "mistakes", "classify"]


def touch_stroke(page, points: list[tuple[float, float]]) -> None:
    """A finger drawing through ``points`` (page coordinates), as real touch events."""
    cdp = page.context.new_cdp_session(page)
    x, y = points[0]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        for step in range(1, 9):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [
                {"x": x0 + (x1 - x0) * step / 8, "y": y0 + (y1 - y0) * step / 8}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_every_page_fits_a_phone_and_touch_works(synthetic_dir, synthetic_data, tmp_path):
    from fmnist_core.config import RunConfig
    from fmnist_core.runs.cache import RunCache

    for units in (16, 32):
        RunCache(tmp_path / "cache").get_or_train(RunConfig(epochs=2, hidden_units=units), synthetic_data)
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as url, browser_page(phone=True) as page:
        wide = {}
        for path in PAGES:
            page.goto(f"{url}/{path}?epochs=2&units=16")
            page.locator("h1").first.wait_for(timeout=120_000)
            settled(page)
            width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if width[0] > width[1] + 1:
                wide[path or "train"] = width
        assert not wide, f"pages that scroll sideways (content width, screen width): {wide}"

        page.goto(f"{url}/?epochs=1&units=8")
        page.get_by_text("has not been trained yet").wait_for()
        settled(page)  # a tap before the page is connected and drawn is lost (a CI run waited for nothing)
        page.get_by_role("button", name="Train", exact=True).tap()
        page.get_by_text("Trained just now").first.wait_for(timeout=120_000)

        page.goto(f"{url}/classify")
        draw = page.get_by_role("tabpanel", name="Draw")
        draw.get_by_text("The canvas is empty").wait_for(timeout=120_000)
        canvas = page.locator("canvas").first
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        x, y = box["x"], box["y"]
        touch_stroke(page, [(x + 60, y + 60), (x + 220, y + 60), (x + 220, y + 120), (x + 60, y + 120)])
        draw.get_by_text("The network says:").wait_for(timeout=120_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "phone-classify.png"), full_page=True)
