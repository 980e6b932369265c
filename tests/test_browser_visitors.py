"""Real browser: the queue counts a browser (its page loads and tabs), not a page session (issue 28)."""

import pytest

from fmnist_core.config import RunConfig

from .browser import WAIT_MS, browser_page, running_app, settled

pytestmark = pytest.mark.browser

CAP = "You already have 1 run waiting or training"


def test_one_browser_gets_its_share_of_runs_however_many_tabs_it_opens(synthetic_dir, tmp_path):
    holds = tmp_path / "holds"
    holds.mkdir()
    held = RunConfig(epochs=1, hidden_units=8, seed=1)
    (holds / held.key).touch()  # the first tab's run waits, as running, until the test lets it go
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache"),
           "FMNIST_HOLD_DIR": str(holds), "FMNIST_MAX_RUNS_PER_VISITOR": "1", "FMNIST_PREFETCH": "0",
           "FMNIST_WORKERS": "1"}
    with running_app(env) as url, browser_page() as page:
        browser = page.context.browser
        learner = browser.new_context(viewport={"width": 1400, "height": 1000})  # one browser: its cookies
        learner.set_default_timeout(WAIT_MS)
        first_tab, second_tab = learner.new_page(), learner.new_page()
        first_tab.goto(f"{url}/?epochs=1&units=8&seed=1")
        first_tab.get_by_role("button", name="Train", exact=True).click()
        first_tab.get_by_role("button", name="Stop training").wait_for()  # the run is live
        second_tab.goto(f"{url}/?epochs=1&units=8&seed=2")
        second_tab.get_by_role("button", name="Train", exact=True).click()
        second_tab.get_by_text(CAP).wait_for()
        other_browser = browser.new_page(viewport={"width": 1400, "height": 1000})  # another learner's browser
        other_browser.set_default_timeout(WAIT_MS)
        other_browser.goto(f"{url}/?epochs=1&units=8&seed=3")
        other_browser.get_by_role("button", name="Train", exact=True).click()
        other_browser.get_by_role("button", name="Stop training").wait_for()  # queued behind the held run
        assert other_browser.get_by_text(CAP).count() == 0
        (holds / held.key).unlink()
        other_browser.get_by_text("Trained just now").wait_for()
        first_tab.get_by_text("Trained just now").wait_for()
        for page in (first_tab, second_tab, other_browser):
            settled(page)
            assert page.locator('[data-testid="stException"]').count() == 0
