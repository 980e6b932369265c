"""Real browser: a server whose Redis queue does not answer says so in one sentence, on load and on Train."""

import pytest

from tests.browser.helpers import browser_page, free_port, running_app, settled

pytestmark = pytest.mark.browser


def test_an_unreachable_queue_is_one_sentence_not_a_traceback(synthetic_dir, tmp_path):
    nobody = free_port()  # a port nothing listens on
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache"),
           "FMNIST_QUEUE_URL": f"redis://127.0.0.1:{nobody}/0"}
    sentence = f"The run queue cannot be reached (Redis at 127.0.0.1:{nobody} does not answer)"
    with running_app(env) as url, browser_page() as page:
        page.goto(f"{url}/?epochs=1&units=8")
        page.get_by_text(sentence).wait_for(timeout=120_000)
        settled(page)  # connected and its first script run over: a click now is not lost (seen under load)
        page.get_by_role("button", name="Train", exact=True).click()
        settled(page)
        assert page.get_by_text(sentence).count() == 1
        assert page.locator('[data-testid="stException"]').count() == 0
        page.goto(f"{url}/?epochs=1&units=8&lang=de")  # in the reader's language
        page.get_by_text(f"Redis unter 127.0.0.1:{nobody} antwortet nicht").wait_for(timeout=120_000)
        page.goto(f"{url}/mistakes")
        settled(page)
        assert page.get_by_text(sentence).count() >= 1
        assert page.locator('[data-testid="stException"]').count() == 0
