"""Real browser: the queue counts a browser (its page loads and tabs), not a page session (issue 28)."""

import pytest

from fmnist_core.config import RunConfig
from tests.browser.helpers import WAIT_MS, browser_page, running_app, settled

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
        settled(first_tab)
        first_tab.get_by_role("button", name="Train", exact=True).click()
        first_tab.get_by_role("button", name="Stop training").wait_for()  # the run is live
        second_tab.goto(f"{url}/?epochs=1&units=8&seed=2")
        settled(second_tab)
        second_tab.get_by_role("button", name="Train", exact=True).click()
        second_tab.get_by_text(CAP).wait_for()
        other_browser = browser.new_page(viewport={"width": 1400, "height": 1000})  # another learner's browser
        other_browser.set_default_timeout(WAIT_MS)
        other_browser.goto(f"{url}/?epochs=1&units=8&seed=3")
        settled(other_browser)
        other_browser.get_by_role("button", name="Train", exact=True).click()
        other_browser.get_by_role("button", name="Stop training").wait_for()  # queued behind the held run
        assert other_browser.get_by_text(CAP).count() == 0
        (holds / held.key).unlink()
        other_browser.get_by_text("Trained just now").wait_for()
        first_tab.get_by_text("Trained just now").wait_for()
        for page in (first_tab, second_tab, other_browser):
            settled(page)
            assert page.locator('[data-testid="stException"]').count() == 0


def test_a_run_whose_tab_closed_leaves_the_queue_once_streamlit_drops_the_session(synthetic_dir, tmp_path):
    holds = tmp_path / "holds"
    holds.mkdir()
    for seed in (1, 2, 3):
        (holds / RunConfig(epochs=1, hidden_units=8, seed=seed).key).touch()  # nothing finishes by itself
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache"),
           "FMNIST_HOLD_DIR": str(holds), "FMNIST_PREFETCH": "0", "FMNIST_WORKERS": "1",
           "STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": "2"}
    with running_app(env) as url, browser_page() as page:
        browser = page.context.browser
        learners = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(3)]
        tabs = []
        for seed, learner in enumerate(learners, start=1):
            learner.set_default_timeout(WAIT_MS)
            tab = learner.new_page()
            tab.goto(f"{url}/?epochs=1&units=8&seed={seed}")
            settled(tab)  # connected and its first script run over: a click now is not lost (seen under load)
            tab.get_by_role("button", name="Train", exact=True).click()
            tab.get_by_role("button", name="Stop training").wait_for()
            tabs.append(tab)
        tabs[2].get_by_text("waiting: 2 runs are ahead of yours").wait_for()  # the held run and the second one
        learners[1].close()  # the second learner closes their tab without pressing Stop
        tabs[2].get_by_text("waiting: 1 run is ahead of yours").wait_for()  # the second run left the queue
        assert tabs[0].get_by_role("button", name="Stop training").count() == 1  # the first still trains
        assert all(tab.locator('[data-testid="stException"]').count() == 0 for tab in (tabs[0], tabs[2]))
