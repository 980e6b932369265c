"""Real browser: a teacher starts a class, three learners (each in a browser context of their own) join it from
the link and train, and the board (open in the teacher's tab) shows their runs without a reload; axe-core on the
class's pages, and a learner joining from a phone by keyboard."""

import re

import pytest

from fmnist_core.classroom import SQLiteClassStore
from fmnist_core.config import RunConfig
from tests.browser.helpers import ARTIFACTS, WAIT_MS, browser_page, keep_failure, running_app, settled

pytestmark = pytest.mark.browser


LEARNERS = (("<b>Lea</b> 🎈", "&epochs=2&units=16"), ("Ben", "&epochs=2&units=8"), ("Mina 🌷", "&epochs=2&units=32"))


def test_three_learners_join_and_train_and_the_board_shows_their_runs(synthetic_dir, tmp_path):
    from playwright.sync_api import expect

    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as url, browser_page(height=2000) as teacher:
        teacher.goto(f"{url}/class")
        teacher.get_by_role("button", name="Start a class").wait_for()
        settled(teacher)  # the first script run is over: a click now is not lost in a rerun
        teacher.get_by_role("button", name="Start a class").click()
        teacher.get_by_text("has started").wait_for()
        codes = teacher.locator("[data-testid='stCode']")
        codes.nth(1).wait_for()  # the code blocks' own script arrives after the sentence
        learners, board = (re.search(r"http\S+", c.inner_text())[0] for c in codes.all())
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?class=[A-Z2-9]{6}", learners), learners
        assert teacher.locator("[data-testid='stImage'] img").count() == 2  # the QR codes
        teacher.goto(board)  # opened once: the board is never reloaded below
        teacher.get_by_text("No runs yet").wait_for()

        def metric(label: str):
            return (teacher.locator("[data-testid='stMetric']").filter(has=teacher.get_by_text(label, exact=True))
                    .locator("[data-testid='stMetricValue']"))

        pages = []
        for nickname, params in LEARNERS:  # each in its own browser context: no shared cookies
            learner = teacher.context.browser.new_context().new_page()
            learner.set_default_timeout(WAIT_MS)
            pages.append(learner)
            try:
                learner.goto(learners + params)
                learner.get_by_label("Your nickname").fill(nickname)
                learner.get_by_role("button", name="Join", exact=True).click()
                learner.get_by_text("has not been trained yet").wait_for()
                settled(learner)
            except Exception:
                keep_failure(learner)
                raise
        expect(metric("Learners joined")).to_have_text("3", timeout=WAIT_MS)  # the fragment's own refresh
        for learner in pages:  # all three press Train before any run is waited for: the runs overlap
            learner.get_by_role("button", name="Train", exact=True).click()
        for learner in pages:
            try:
                learner.get_by_text("Trained just now").wait_for()
                learner.get_by_text(re.compile(r"Your runs in [A-Z2-9]{6}: 1")).first.wait_for()
                assert learner.get_by_text(board.split("key=")[1]).count() == 0  # the teacher key is not there
            except Exception:
                keep_failure(learner)
                raise

        # the board's own fragment refreshes (no reload): the runs, the nicknames as typed, the chart
        expect(metric("Runs")).to_have_text("3", timeout=WAIT_MS)
        teacher.get_by_text("Best test accuracy so far").wait_for()
        for nickname, _params in LEARNERS:
            teacher.get_by_text(nickname).first.wait_for()
        # the chart is drawn by the browser after the fragment's text arrives, and redrawn at every refresh
        teacher.locator(".js-plotly-plot .main-svg").first.wait_for()
        teacher.locator("[data-testid='stDataFrame']").wait_for()
        settled(teacher)
        assert teacher.locator('[data-testid="stException"]').count() == 0
        for learner in pages:
            assert learner.locator('[data-testid="stException"]').count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        teacher.screenshot(path=str(ARTIFACTS / "class-board.png"), full_page=True)


def test_the_class_pages_pass_axe_and_a_learner_joins_from_a_phone_by_keyboard(synthetic_dir, tmp_path):
    from tests.browser.test_accessibility import AXE, axe_violations, outside_allow_list
    from tests.render_sentences import fake_run

    if not AXE.exists():
        pytest.skip("axe-core is not installed (make test installs it with npm)")
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    report = {}
    with running_app(env) as url, browser_page(height=1600) as teacher:
        teacher.goto(f"{url}/class")
        teacher.get_by_role("button", name="Start a class").wait_for()
        settled(teacher)  # the first script run is over: a click now is not lost in a rerun
        teacher.get_by_role("button", name="Start a class").click()
        codes = teacher.locator("[data-testid='stCode']")
        codes.nth(1).wait_for()
        learners, board = (re.search(r"http\S+", c.inner_text())[0] for c in codes.all())
        settled(teacher)
        report["class"] = outside_allow_list(axe_violations(teacher), teacher)
        phone = teacher.context.browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3,
                                                    is_mobile=True, has_touch=True).new_page()
        phone.set_default_timeout(WAIT_MS)
        try:
            phone.goto(learners)
            field = phone.get_by_label("Your nickname")
            field.wait_for()
            settled(phone)
            report["join (phone)"] = outside_allow_list(axe_violations(phone), phone)
            field.focus()
            phone.keyboard.type("Mina 🌷")
            phone.keyboard.press("Enter")  # a form's text field submits it
            phone.get_by_text(re.compile(r"You are Mina 🌷 in class [A-Z2-9]{6}")).wait_for()
        except Exception:
            keep_failure(phone)
            raise
        teacher.goto(board)
        teacher.get_by_text("No runs yet").wait_for()
        settled(teacher)
        report["board"] = outside_allow_list(axe_violations(teacher), teacher)
        code = re.search(r"class=(\w+)", learners)[1]  # a record, as a Train page makes it: the chart and the table
        store = SQLiteClassStore(tmp_path / "cache" / "classes.sqlite3")
        store.record(code, "Mina 🌷", fake_run(RunConfig(hidden_units=32)))
        teacher.get_by_text("Best test accuracy so far").wait_for()  # the board's fragment refreshed itself
        teacher.locator("[data-testid='stDataFrame']").wait_for()
        settled(teacher)
        report["board with a run"] = outside_allow_list(axe_violations(teacher), teacher)
    assert {page: problems for page, problems in report.items() if problems} == {}
