"""AppTest tests of the experiment pages and the common-mistakes page on synthetic data."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.support import findings, finish, open_page, texts

PAGES = {  # page script, values compared, a finding only that page words
    "epochs": ("pages/epochs.py", "1, 2", "validation loss was lowest after epoch"),
    "units": ("pages/units.py", "8, 16", "Going up in size"),
    "layers": ("pages/layers.py", "0, 1", "Stacking layers"),
    "normalisation": ("pages/normalisation.py", None, "points for normalising"),
    "dropout": ("pages/dropout.py", "0, 0.5", "Training accuracy minus validation accuracy"),
}


def shrink(at: AppTest, name: str, values: str | None) -> None:
    if values is not None:
        at.text_input(key=f"{name}_values").set_value(values)
    if name != "epochs":
        at.slider(key=f"{name}_epochs").set_value(2)
    if name != "units":
        at.select_slider(key=f"{name}_units").set_value(16)


@pytest.mark.parametrize("name", list(PAGES))
def test_experiment_page_runs_and_concludes(synthetic_env, name, monkeypatch):
    path, values, finding = PAGES[name]
    at = open_page(path)
    assert not at.exception
    assert any("not trained yet" in t for t in texts(at.info))
    shrink(at, name, values)
    at.form_submit_button[0].click()
    finish(at)
    assert not at.exception and not at.error
    conclusion = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert conclusion and conclusion[0].startswith("- Best test accuracy:") and finding in findings(at)
    assert len(at.get("plotly_chart")) == 2 and len(at.dataframe) == 1
    # the runs are cached now: asking again in a new session shows them without training
    from fmnist_core.runs import cache as cache_module

    monkeypatch.setattr(cache_module, "train", lambda *a, **k: pytest.fail("trained a cached run"))
    again = open_page(path)
    shrink(again, name, values)
    again.form_submit_button[0].click()
    finish(again)
    assert not again.exception and not again.error
    assert [m.value for m in again.markdown if m.value.startswith("- ")] == conclusion


def test_bad_sweep_values_get_a_message(synthetic_env):
    at = open_page("pages/epochs.py")
    at.text_input(key="epochs_values").set_value("1, lots")
    at.form_submit_button[0].click()
    finish(at)
    assert not at.exception
    assert any("'lots' is not usable" in t and "whole number" in t for t in texts(at.error))
    at.text_input(key="epochs_values").set_value("0, 5")
    at.form_submit_button[0].click()
    finish(at)
    assert any("epochs must be 1-100" in t for t in texts(at.error))


def test_early_stopping_page(synthetic_env):
    at = open_page("pages/early_stopping.py")
    at.slider(key="early_stopping_epochs").set_value(6)
    at.select_slider(key="early_stopping_units").set_value(16)
    at.slider(key="early_stopping_target").set_value(0.8)
    at.slider(key="early_stopping_patience").set_value(1)
    at.form_submit_button[0].click()
    finish(at)
    assert not at.exception and not at.error
    assert "stopped after epoch" in findings(at) or "never fired" in findings(at)
    assert len(at.get("plotly_chart")) == 2


def test_mistakes_page_shows_real_errors_and_curves(synthetic_env):
    at = open_page("pages/mistakes.py")
    assert not at.exception
    assert len(at.error) == 3  # each refusal: one sentence, then Keras's own message as code
    assert any("outside the valid range" in code for code in texts(at.code))
    assert len(at.get("plotly_chart")) == 2  # the correct network and the one without softmax
    assert "6,000 training images, 3 epochs" in at.markdown[0].value  # reports.MISTAKE_*, as trained
    assert sum(c.value.startswith("Test accuracy after 3 epochs on 6,000 images: ") for c in at.caption) == 2


def test_experiment_page_keeps_its_choices_in_the_link(synthetic_env):
    at = open_page("pages/units.py", {"values": "8,16", "epochs": "2", "seed": "4"})
    assert not at.exception
    assert at.text_input(key="units_values").value == "8, 16" and at.slider(key="units_epochs").value == 2
    at.form_submit_button[0].click()
    finish(at)
    assert at.query_params["values"] == "8,16" and at.query_params["seed"] == "4"
    bad = open_page("pages/units.py", {"values": "8,lots"})
    assert any("values=8,lots" in t.replace("\\", "") for t in texts(bad.warning))
