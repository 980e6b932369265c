"""Languages in a real browser: the browser's language by default, the sidebar picker, the language in the link."""

from __future__ import annotations

import time

import pytest

from tests.browser.helpers import ARTIFACTS, WAIT_MS, browser_page, running_app, sent_reruns, settled

pytestmark = pytest.mark.browser


def lang_is(page, code: str) -> bool:
    """Wait until the page's <html lang> is ``code`` (the app's script sets it once the sidebar has drawn)."""
    page.wait_for_function(f"document.documentElement.lang === '{code}'", timeout=120_000)
    return True


def heading_is(page, text: str) -> bool:
    """Wait until the page's first heading reads ``text`` (a page in another language is still drawing)."""
    page.wait_for_function("t => document.querySelector('h1')?.innerText.trim() === t", arg=text, timeout=120_000)
    return True


def test_a_korean_browser_opens_the_app_in_korean(synthetic_dir, tmp_path):
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as url, browser_page(locale="ko-KR") as page:
        page.goto(url)
        assert heading_is(page, "신경망 훈련하기")
        assert lang_is(page, "ko")  # screen readers pronounce it as Korean
        page.screenshot(path=str(ARTIFACTS / "train-ko.png"), full_page=True)


def test_the_picker_and_the_link_choose_the_language(synthetic_dir, tmp_path):
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as url, browser_page(locale="en-US") as page:
        page.goto(url)
        assert heading_is(page, "Train the network") and lang_is(page, "en")
        page.goto(f"{url}/data?lang=de")
        assert heading_is(page, "Die Daten: Fashion-MNIST")
        assert lang_is(page, "de")
        page.get_by_label("Language · 언어 · Sprache").click()  # the sidebar picker, named in all three
        page.get_by_role("option", name="한국어").click()
        page.wait_for_function("document.querySelector('h1')?.innerText.trim() === '데이터: Fashion-MNIST'",
                               timeout=120_000)
        page.wait_for_function("location.search.includes('lang=ko')", timeout=120_000)
        page.get_by_role("link", name="신경망 들여다보기").click()  # another page, by the Korean menu
        page.wait_for_function("document.querySelector('h1')?.innerText.trim() === '신경망 들여다보기'",
                               timeout=120_000)
        page.goto(f"{url}/compare?lang=ko")  # a copied link opens in its language in a new session
        assert heading_is(page, "실행 비교")


def test_training_speaks_german_from_the_progress_bar_to_the_result(synthetic_dir, tmp_path):
    """The live progress (written while the run trains) and everything after it, in German."""
    from fmnist_core.config import RunConfig

    holds = tmp_path / "holds"
    holds.mkdir()
    after_first_epoch = holds / f"{RunConfig(epochs=30, hidden_units=16).key}@1"
    after_first_epoch.touch()  # the worker waits after epoch 1 (its progress sent) until the file goes: a fast
    # machine once trained all 30 epochs between two refreshes of the progress bar, which never showed an epoch
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache"),
           "FMNIST_HOLD_DIR": str(holds)}
    with running_app(env) as url, browser_page(height=2600, locale="de-DE") as page:
        page.goto(f"{url}/?epochs=30&units=16")
        page.get_by_text("wurde noch nicht trainiert").wait_for(timeout=120_000)
        settled(page)  # connected and its first script run over: a click now is not lost (seen under load)
        page.get_by_role("button", name="Trainieren").click()
        progress = page.locator('[data-testid="stProgress"]').first
        progress.get_by_text("Epoche").wait_for(timeout=120_000)  # 'Epoche 3/30 · Verlust 1,234 · …'
        assert "Epoche" in progress.inner_text() and "epoch" not in progress.inner_text()
        after_first_epoch.unlink()
        page.get_by_text("gezeigten Bildern werden richtig erkannt").first.wait_for(timeout=180_000)  # twice
        page.get_by_text("Soeben in").first.wait_for(timeout=120_000)  # 'Soeben in 4,2 s trainiert.'
        page.get_by_text("Testgenauigkeit", exact=True).first.wait_for(timeout=120_000)
        assert page.locator('[data-testid="stException"]').count() == 0


def test_two_visitors_at_once_each_keep_their_language(synthetic_dir, tmp_path):
    """A Korean and a German browser on one server, their pages running at the same time."""
    from playwright.sync_api import sync_playwright

    from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS

    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            korean, german = (browser.new_context(locale=tag).new_page() for tag in ("ko-KR", "de-DE"))
            for page in (korean, german):
                page.goto(f"{url}/data", wait_until="commit")  # both scripts start before either is done
            assert heading_is(korean, "데이터: Fashion-MNIST") and heading_is(german, "Die Daten: Fashion-MNIST")
            # each in the app's menu, in its language (a page run alone would have neither)
            assert korean.get_by_role("link", name="실행 비교").count() == 1
            assert german.get_by_role("link", name="Läufe vergleichen").count() == 1
            for page in (korean, german):
                page.goto(f"{url}/compare", wait_until="commit")
            assert heading_is(korean, "실행 비교") and heading_is(german, "Läufe vergleichen")
        finally:
            browser.close()


def test_a_tab_of_inside_the_network_reruns_alone_and_keeps_its_language(synthetic_dir, tmp_path):
    """Moving the ReLU tab's slider reruns only that tab (a fragment), and the tab still speaks German."""
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as url, browser_page(height=2000, locale="de-DE") as page:
        reruns = sent_reruns(page)
        page.goto(f"{url}/?epochs=1&units=8")
        page.get_by_text("wurde noch nicht trainiert").wait_for()
        settled(page)
        page.get_by_role("button", name="Trainieren").click()
        page.get_by_text("Testgenauigkeit", exact=True).first.wait_for()
        page.get_by_role("link", name="Ein Blick ins Netz").click()
        assert heading_is(page, "Ein Blick ins Netz")
        settled(page)
        page.get_by_role("tab", name="ReLU").click()
        slider = page.get_by_role("slider", name="x")
        slider.wait_for()
        before = len(reruns)
        slider.focus()
        page.keyboard.press("ArrowRight")  # -1.5 -> -1.4
        page.wait_for_function("s => Number(s.getAttribute('aria-valuenow')) > -1.5", arg=slider.element_handle())
        deadline = time.monotonic() + WAIT_MS / 1000
        while len(reruns) == before:  # the slider sends its value a moment after it moved
            assert time.monotonic() < deadline, "the slider's change never reached the server"
            page.wait_for_timeout(50)  # lets Playwright deliver the websocket events
        settled(page)
        assert len(reruns) > before and all(r.fragment_id for r in reruns[before:])  # the tab, not the page
        page.get_by_text("negative Summe, und ReLU setzt sie auf 0").wait_for()
        assert page.locator('[data-testid="stException"]').count() == 0


def test_deep_links_open_in_the_menu_in_their_language(synthetic_dir, tmp_path):
    """A fresh server's very first visitor follows a link to a sub-page (Streamlit's folder mode runs that file
    alone): the page opens in the app's menu, in the link's language; a copied /train?… link opens the home page
    with its settings."""
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as url, browser_page(locale="en-US") as page:
        page.goto(f"{url}/data?lang=ko")
        assert heading_is(page, "데이터: Fashion-MNIST") and lang_is(page, "ko")
        assert page.get_by_role("link", name="실행 비교").count() == 1  # the menu: a page run alone has none
        page.goto(f"{url}/train?epochs=3&units=16&lang=de")
        assert heading_is(page, "Netz trainieren")
        settled(page)
        page.get_by_text("Konfiguration: 16 Einheiten x 1 Schicht, 3 Epochen").wait_for()  # the link's settings
        page.wait_for_function("location.search.includes('epochs=3')")
        assert page.get_by_role("dialog").count() == 0  # no "Page not found" pop-up
        assert page.locator('[data-testid="stException"]').count() == 0
