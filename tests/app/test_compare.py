"""AppTest: the Compare page, the confusion drill-down, downloads, teacher links, URL round-trips, dropout page."""

from __future__ import annotations

import pytest

from fmnist_core.config import RunConfig
from fmnist_core.runs.cache import RunCache
from tests.support import finish, open_app, open_page, table_with, texts

SMALL = RunConfig(epochs=2, hidden_units=16)
BIGGER = RunConfig(epochs=2, hidden_units=32)


@pytest.fixture
def two_runs(synthetic_env):
    cache = RunCache(synthetic_env)
    return [cache.get_or_train(SMALL), cache.get_or_train(BIGGER)]




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


def test_train_page_drills_into_a_confusion_cell_and_offers_the_code(two_runs):
    at = open_app({"epochs": "2", "units": "16"})
    assert not at.exception
    at.selectbox(key="drill_true").set_value(3)
    at.selectbox(key="drill_predicted").set_value(3)
    at.run()
    cell = next(m.value for m in at.markdown if "test images**:" in m.value)
    assert "Dress recognised correctly" in cell
    downloads = at.get("download_button")
    assert len(downloads) == 5
    table = at.dataframe[0].value
    assert "most common wrong answer" in table.columns


def test_teacher_link_hides_locks_and_sets_a_challenge(two_runs):
    at = open_app({"epochs": "2", "units": "16", "hide": "dropout,batch", "lock": "epochs",
                   "challenge": "acc>=0.05;units<=16"})
    assert not at.exception
    assert any("fixed by the link" in t for t in texts(at.info))
    keys = {w.key for w in at.slider} | {w.key for w in at.select_slider} | {w.key for w in at.text_input}
    assert "dropout" not in keys and "batch" not in keys and "epochs" in {w.key for w in at.text_input}
    assert at.text_input(key="epochs").disabled
    assert any("Done!" in t for t in texts(at.success))
    at.select_slider(key="units").set_value(32)
    at.form_submit_button[0].click()
    finish(at)
    assert any("Not yet" in t and "hidden units per layer at most 16: ✗" in t for t in texts(at.warning))
    assert at.query_params["lock"] == "epochs" and at.query_params["challenge"] == "acc>=0.05;units<=16"


def test_bad_teacher_link_values_fall_back_with_messages(synthetic_env):
    at = open_app({"hide": "wings", "challenge": "fly>=3"})
    assert not at.exception
    warnings = " ".join(texts(at.warning))
    assert "names no setting" in warnings and "challenge is not usable" in warnings
    assert any("Challenges to try" in e.label for e in at.expander)


def test_experiment_page_keeps_its_choices_in_the_link(synthetic_env):
    at = open_page("pages/units.py", {"values": "8,16", "epochs": "2", "seed": "4"})
    assert not at.exception
    assert at.text_input(key="units_values").value == "8, 16" and at.slider(key="units_epochs").value == 2
    at.form_submit_button[0].click()
    finish(at)
    assert at.query_params["values"] == "8,16" and at.query_params["seed"] == "4"
    bad = open_page("pages/units.py", {"values": "8,lots"})
    assert any("values=8,lots" in t.replace("\\", "") for t in texts(bad.warning))


def test_concepts_and_classify_keep_their_run_and_image_in_the_link(two_runs):
    key = two_runs[0].key
    at = open_page("pages/concepts.py", {"run": key, "image": "7"})
    assert not at.exception
    assert at.number_input(key="concept_image").value == 7 and at.query_params["run"] == key
    at = open_page("pages/classify.py", {"run": "nonsense"})
    assert not at.exception and any("is not stored here" in t for t in texts(at.warning))
