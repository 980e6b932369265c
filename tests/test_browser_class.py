"""Real browser: a teacher starts a class, a learner joins it from the link and trains, and the board (open in
the teacher's tab) shows the learner's run without a reload."""

import re

import pytest

from .browser import ARTIFACTS, WAIT_MS, browser_page, keep_failure, running_app, settled

pytestmark = pytest.mark.browser


def test_a_learner_joins_trains_and_the_board_shows_the_run(synthetic_dir, tmp_path):
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as url, browser_page(height=2000) as teacher:
        teacher.goto(f"{url}/class")
        teacher.get_by_role("button", name="Start a class").click()
        teacher.get_by_text("has started").wait_for()
        codes = teacher.locator("[data-testid='stCode']")
        codes.nth(1).wait_for()  # the code blocks' own script arrives after the sentence
        learners, board = (re.search(r"http\S+", c.inner_text())[0] for c in codes.all())
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?class=[A-Z2-9]{6}", learners), learners
        assert teacher.locator("[data-testid='stImage'] img").count() == 2  # the QR codes
        teacher.goto(board)
        teacher.get_by_text("No runs yet").wait_for()

        learner = teacher.context.browser.new_context().new_page()  # another browser: no shared cookies
        learner.set_default_timeout(WAIT_MS)
        try:
            learner.goto(learners + "&epochs=2&units=16")
            learner.get_by_label("Your nickname").fill("<b>Lea</b> 🎈")
            learner.get_by_role("button", name="Join", exact=True).click()
            learner.get_by_text("has not been trained yet").wait_for()
            settled(learner)
            learner.get_by_role("button", name="Train", exact=True).click()
            learner.get_by_text("Trained just now").wait_for()
            learner.get_by_text(re.compile(r"Your runs in [A-Z2-9]{6}: 1")).first.wait_for()
            assert learner.get_by_text(board.split("key=")[1]).count() == 0  # the teacher key is not on their page
        except Exception:
            keep_failure(learner)
            raise

        # the board's own fragment refreshes (no reload): the run, the nickname as typed, the chart
        teacher.get_by_text("Best test accuracy so far").wait_for()
        assert teacher.get_by_text("<b>Lea</b> 🎈").count() >= 1
        settled(teacher)
        assert teacher.locator(".js-plotly-plot").count() >= 1
        assert teacher.locator('[data-testid="stException"]').count() == 0
        assert learner.locator('[data-testid="stException"]').count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        teacher.screenshot(path=str(ARTIFACTS / "class-board.png"), full_page=True)
