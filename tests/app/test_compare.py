"""AppTest: the Compare page (two runs overlaid, its runs read from the link, one run only)."""

from __future__ import annotations

from fmnist_core.runs.cache import RunCache
from tests.app.conftest import SMALL
from tests.support import open_page, table_with, texts


def test_compare_page_overlays_chosen_runs_and_words_the_difference(two_runs):
    at = open_page("pages/compare.py")
    assert not at.exception
    assert set(at.multiselect(key="compare_runs").value) == {r.key for r in two_runs}
    bullets = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert any("the change that helped test accuracy most" in b or "beats" in b for b in bullets)
    assert any(b.startswith("- Cheapest for its accuracy: units") for b in bullets)
    chart = at.get("plotly_chart")[0].proto.spec
    assert chart.count('"name":"units 16 (validation)"') == 1 and chart.count('"name":"units 32 (validation)"') == 1
    assert list(table_with(at, "test loss").columns[:2]) == ["run", "units"]  # the differing setting, highlighted
    assert sorted(at.query_params["runs"].split(",")) == sorted(r.key for r in two_runs)


def test_compare_page_reads_its_runs_from_the_link(two_runs):
    keys = [r.key for r in two_runs]
    at = open_page("pages/compare.py", {"runs": f"{keys[1]},0123456789abcdef,{keys[0]}"})
    assert not at.exception
    assert at.multiselect(key="compare_runs").value == [keys[1], keys[0]]
    assert any("not stored here" in t for t in texts(at.warning))


def test_compare_page_with_one_run_says_what_to_do(synthetic_env):
    RunCache(synthetic_env).get_or_train(SMALL)
    at = open_page("pages/compare.py")
    assert not at.exception and any("at least two runs" in t for t in texts(at.info))
