"""AppTest tests of the Train page on synthetic data with a private cache."""

from __future__ import annotations

import json

from fmnist_core.config import RunConfig
from fmnist_core.runs.cache import RunCache
from tests.support import finish, open_app, texts

TINY_QUERY = {"epochs": "2", "units": "16"}


def test_defaults_render_without_training(synthetic_env):
    at = open_app()
    assert not at.exception
    assert at.slider(key="epochs").value == 10
    assert at.select_slider(key="units").value == 128
    assert at.toggle(key="normalize").value is True
    assert any("not been trained yet" in t for t in texts(at.info))
    assert not at.get("plotly_chart")


def test_train_shows_charts_metrics_grid_and_session_table(synthetic_env):
    at = open_app(TINY_QUERY)
    at.form_submit_button[0].click()
    finish(at)
    assert not at.exception and not at.error
    assert any(t.startswith("Trained just now") for t in texts(at.success))
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) >= {"Test accuracy", "Test loss", "Epochs trained", "Parameters"}
    assert metrics["Epochs trained"] == "2" and metrics["Parameters"] == f"{784 * 16 + 16 + 16 * 10 + 10:,}"
    assert {c.key for c in at.get("plotly_chart")} >= {"curves", "grid", "confusion"}  # curves, grid, confusion matrix
    assert any("shown images are classified correctly" in c.value for c in at.caption)
    assert len(at.dataframe) == 2  # per-class accuracy, session runs
    assert RunCache(synthetic_env).get(RunConfig(epochs=2, hidden_units=16)) is not None

    # a second run: the metrics show the change from the previous one
    at.slider(key="epochs").set_value(3)
    at.form_submit_button[0].click()
    finish(at)
    assert at.query_params["epochs"] == ["3"] or at.query_params["epochs"] == "3"
    accuracy = next(m for m in at.metric if m.label == "Test accuracy")
    assert accuracy.delta is not None and "pts" in accuracy.delta


def test_cached_run_appears_without_training(synthetic_env, monkeypatch):
    config = RunConfig(epochs=2, hidden_units=16)
    RunCache(synthetic_env).get_or_train(config)

    from fmnist_core.runs import cache as cache_module

    def no_training(*args, **kwargs):
        raise AssertionError("the page trained although the run is cached")

    monkeypatch.setattr(cache_module, "train", no_training)
    at = open_app(TINY_QUERY)
    assert not at.exception
    assert any(t.startswith("From the cache: trained") for t in texts(at.success))
    assert {c.key for c in at.get("plotly_chart")} >= {"curves", "grid", "confusion"}


def test_bad_url_value_falls_back_with_message(synthetic_env):
    """The page shows the link's refusal (every field's bad values: tests/core/config/test_config.py, made from
    FIELDS)."""
    at, field = open_app({"units": "0"}), "units"
    assert not at.exception
    shown = [t.replace("\\", "") for t in texts(at.warning)]  # values are escaped: shown as plain text
    assert any(f"{field}=" in t and "using the default" in t for t in shown)
    assert at.slider(key="epochs").value == 10


def test_url_values_are_echoed_as_plain_text(synthetic_env):
    """A link cannot put a live link or an image into the app's own message."""
    at = open_app({"epochs": "x`` [phish](https://evil.example) ![i](https://evil.example/i.png)"})
    assert not at.exception
    (warning,) = texts(at.warning)
    assert "[phish](" not in warning and "![i](" not in warning and "`" not in warning.replace("\\`", "")
    assert "\\[phish\\]\\(https\u2060\\:" in warning  # escaped, and no autolink (tests/app/test_links.py)


def test_missing_data_is_a_message_not_a_crash(monkeypatch, tmp_path):
    from fmnist_core.data import sources as data_module

    monkeypatch.setenv("FMNIST_DATA_DIR", str(tmp_path / "nothing-here"))
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(tmp_path / "cache"))
    data_module.forget_loaded_data()
    at = open_app()
    assert not at.exception
    assert any("could not be loaded" in t for t in texts(at.error))
    data_module.forget_loaded_data()


def test_damaged_cache_entry_is_reported_and_retrained(synthetic_env):
    config = RunConfig(epochs=2, hidden_units=16)
    cache = RunCache(synthetic_env)
    cache.get_or_train(config)
    (cache.entry_dir(config) / "run.json").write_text("{ damaged")
    at = open_app(TINY_QUERY)
    assert not at.exception
    assert any("was damaged and has been discarded" in t for t in texts(at.warning))
    at.form_submit_button[0].click()
    finish(at)
    assert any(t.startswith("Trained just now") for t in texts(at.success))


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


def test_a_run_the_worker_cannot_store_is_still_shown_on_the_train_page(synthetic_env, monkeypatch, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(blocked))  # the worker cannot store it: the run crosses the socket
    at = open_app({"epochs": "2", "units": "16"})
    at.form_submit_button[0].click()
    finish(at)
    assert not at.exception and not at.error
    assert any(t.startswith("Trained just now") for t in texts(at.success))
    assert any("could not be saved" in t for t in texts(at.warning))


def test_a_bad_run_json_does_not_crash_the_train_page(synthetic_env):
    cache = RunCache(synthetic_env)
    config = RunConfig(epochs=2, hidden_units=16)
    cache.get_or_train(config)
    path = cache.entry_dir(config) / "run.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | {"trained_at": "yesterday"}))
    at = open_app({"epochs": "2", "units": "16"})
    assert not at.exception
    assert any("was damaged and has been discarded" in t for t in texts(at.warning))
