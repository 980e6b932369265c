"""Real browser: a URL, a www. name or an e-mail address in a link's value is echoed in the app's own warning as
text, not as a live link (Streamlit's Markdown autolinks them even when escaped; tests/app/test_links.py covers
every place that echoes a value)."""

import pytest

from tests.browser.helpers import browser_page, running_app, settled

pytestmark = pytest.mark.browser


def test_a_link_value_is_no_live_link_in_the_browser(synthetic_dir, tmp_path):
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache"),
           "FMNIST_WARM_UP": "0", "FMNIST_PREFETCH": "0"}
    with running_app(env) as url, browser_page() as page:
        page.goto(f"{url}/?epochs=https://evil.example/login&hide=www.evil.example&lock=a@evil.example")
        page.get_by_text("is not usable").first.wait_for()
        settled(page)
        warnings = page.locator('[data-testid="stAlert"]')
        assert "evil.example/login" in " ".join(warnings.all_inner_texts())  # the value is shown
        assert page.locator('a[href*="evil"]').count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
