"""AppTest tests of the Train page on synthetic data with a private cache."""

from __future__ import annotations

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
