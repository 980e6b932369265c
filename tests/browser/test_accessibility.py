"""Accessibility in a real browser: axe-core (WCAG 2.1 A/AA) on every page, and the Train flow by keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.helpers import ARTIFACTS, browser_page, running_app, settled

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ["", "data", "concepts", "compare", "epochs", "units", "layers", "normalisation", "dropout",
         "early_stopping", "mistakes", "classify"]
# Rules that fail only inside Streamlit's own components, each with the element it concerns; anything else fails.
ALLOWED = {
    "list": '[data-testid="stSidebarNav"]',  # Streamlit's sidebar menu: <ul> holding <div> wrappers
    "listitem": '[data-testid="stSidebarNav"]',  # ... and <li> elements inside those wrappers
}


def axe_violations(page) -> list[dict]:
    page.add_script_tag(content=AXE.read_text())
    return page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return result.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160)}))}));
    }""")


def outside_allow_list(violations: list[dict], page) -> list[str]:
    problems = []
    for violation in violations:
        for node in violation["nodes"]:
            inside = ALLOWED.get(violation["id"])
            if inside and page.locator(f"{inside} {node['target']}").count() + page.locator(
                    f"{inside}").filter(has=page.locator(node["target"])).count():
                continue
            problems.append(f"{violation['id']} ({violation['impact']}): {node['target']} {node['html']}")
    return problems


@pytest.fixture(scope="module")
def trained_app(tmp_path_factory):
    from fmnist_core.config import RunConfig
    from fmnist_core.data.sources import load_idx_folder, write_idx_folder
    from fmnist_core.runs.cache import RunCache
    from tests.support import make_synthetic

    tmp = tmp_path_factory.mktemp("a11y")
    data = write_idx_folder(tmp / "data", *make_synthetic())
    for units in (16, 32):
        RunCache(tmp / "cache").get_or_train(RunConfig(epochs=2, hidden_units=units), load_idx_folder(data))
    with running_app({"FMNIST_DATA_DIR": str(data), "FMNIST_CACHE_DIR": str(tmp / "cache")}) as url:
        yield url


@pytest.mark.parametrize("lang", ["en", "ko"])  # Korean: longer words, another script, <html lang="ko">
def test_axe_finds_nothing_the_app_causes_on_any_page(trained_app, lang):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (make test installs it with npm)")
    report = {}
    with browser_page() as page:
        for path in PAGES:
            page.goto(f"{trained_app}/{path}?epochs=2&units=16&lang={lang}")
            page.locator("h1").first.wait_for(timeout=120_000)
            settled(page)
            problems = outside_allow_list(axe_violations(page), page)
            if problems:
                report[path or "train"] = problems
    assert not report, "\n".join(f"{p}: {len(v)} violations\n  " + "\n  ".join(v) for p, v in report.items())


def test_train_flow_by_keyboard_alone(trained_app):
    with browser_page(height=1600) as page:
        page.goto(f"{trained_app}/?epochs=2&units=16")
        page.get_by_text("From the cache: trained").wait_for(timeout=120_000)  # not the run chooser's "from the cache"
        settled(page)  # connected and its first script run over: keys pressed now are not lost
        epochs = page.get_by_role("slider", name="Epochs")
        for _ in range(60):  # Tab until the Epochs slider has the focus
            page.keyboard.press("Tab")
            if epochs.evaluate("e => e === document.activeElement"):
                break
        else:
            pytest.fail("the Epochs slider cannot be reached with Tab")
        page.keyboard.press("ArrowRight")  # 2 -> 3 epochs
        train = page.get_by_role("button", name="Train", exact=True)
        for _ in range(40):
            page.keyboard.press("Tab")
            if train.evaluate("e => e === document.activeElement"):
                break
        else:
            pytest.fail("the Train button cannot be reached with Tab")
        page.keyboard.press("Enter")
        page.get_by_text("3 epochs").first.wait_for(timeout=120_000)
        page.get_by_text("Trained just now").first.wait_for(timeout=120_000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "keyboard-train.png"))
