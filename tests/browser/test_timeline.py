"""Real browser: Play on the epoch timeline shows every epoch in turn, each frame a rerun of its fragment only."""

import pytest

from fmnist_core.config import RunConfig
from fmnist_core.data.sources import load_idx_folder
from fmnist_core.runs.cache import RunCache
from tests.browser.helpers import ARTIFACTS, browser_page, running_app, sent_reruns, settled

pytestmark = pytest.mark.browser

# Every frame heading ("before training.", "epoch 2.") the page shows, in the order it shows them.
RECORD_FRAMES = """() => {
  window.frames_seen = [];
  const look = () => {
    for (const s of document.querySelectorAll('[data-testid="stMarkdownContainer"] strong')) {
      const t = s.innerText;
      if (/^(before training|epoch \\d+)\\.$/.test(t) && window.frames_seen.at(-1) !== t) window.frames_seen.push(t);
    }
  };
  look();
  new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def test_play_shows_every_epoch_by_fragment_reruns(synthetic_dir, tmp_path):
    config = RunConfig(epochs=3, hidden_units=16)
    RunCache(tmp_path / "cache").get_or_train(config, load_idx_folder(synthetic_dir))
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as url, browser_page(height=3200) as page:
        reruns = sent_reruns(page)
        page.goto(f"{url}/?epochs=3&units=16")
        page.get_by_text("Watch it learn", exact=True).wait_for()
        settled(page)
        page.evaluate(RECORD_FRAMES)
        before = len(reruns)
        page.get_by_role("button", name="Play").click()
        page.wait_for_function(  # played to the end
            "() => { const i = window.frames_seen.indexOf('before training.');"
            " return i >= 0 && window.frames_seen.slice(i).includes('epoch 3.'); }")
        page.get_by_role("button", name="Play").wait_for()  # and stopped there
        settled(page)
        # shown at first, then from the beginning to the end, each epoch once
        assert page.evaluate("window.frames_seen") == ["epoch 3.", "before training.", "epoch 1.", "epoch 2.",
                                                       "epoch 3."]
        fragment_runs = [r for r in reruns[before:] if r.fragment_id]
        assert len(fragment_runs) >= 3  # epochs 1, 2, 3 came from the fragment's timer, not page reruns
        assert page.locator('[data-testid="stException"]').count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.get_by_text("Watch it learn", exact=True).scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "timeline.png"), full_page=True)
