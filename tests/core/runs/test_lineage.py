"""Runs that share a beginning share the work: shorter and early-stopped runs read off longer ones, longer runs
continued from shorter ones, each equal number for number to training from scratch."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from fmnist_core.config import RunConfig, model_inputs
from fmnist_core.forward import DenseNetwork
from fmnist_core.net.model import build_model
from fmnist_core.runs import cache as cache_module
from fmnist_core.runs.cache import RunCache
from fmnist_core.runs.lineage import Outcome, outcome
from fmnist_core.runs.results import Origin
from tests.support import finish, open_app, texts

BASE = RunConfig(epochs=6, hidden_units=16, batch_size=64)


def scratch(config: RunConfig, data, tmp_path, name: str):
    return RunCache(tmp_path / name).get_or_train(config, data)


def same_run(a, b) -> None:
    assert a.history == b.history and a.stopped_early_at == b.stopped_early_at
    np.testing.assert_allclose(a.test_probabilities, b.test_probabilities, atol=1e-6)
    assert a.test_accuracy == b.test_accuracy


@pytest.mark.parametrize("extra", [{}, {"dropout": 0.3, "extra_layers": 1}])
def test_continuing_a_run_ends_where_training_from_scratch_ends(tmp_path, synthetic_data, extra):
    cache = RunCache(tmp_path / "shared")
    short = cache.get_or_train(BASE.with_(epochs=3, **extra), synthetic_data)
    longer = cache.get_or_train(BASE.with_(**extra), synthetic_data)
    assert longer.origin == Origin("continued", 3) and longer.history["loss"][:3] == short.history["loss"]
    same_run(longer, scratch(BASE.with_(**extra), synthetic_data, tmp_path, "scratch"))


def test_shorter_and_early_stopped_runs_are_read_off_a_longer_one(tmp_path, synthetic_data, monkeypatch):
    cache = RunCache(tmp_path / "shared")
    long_run = cache.get_or_train(BASE, synthetic_data)
    expected = {}
    asks = [BASE.with_(epochs=2), BASE.with_(target_accuracy=float(np.round(long_run.history["accuracy"][3], 4))),
            BASE.with_(patience=1)]
    for config in asks:
        expected[config.key] = scratch(config, synthetic_data, tmp_path, config.key)
    monkeypatch.setattr(cache_module, "train", lambda *a, **k: pytest.fail("trained instead of reusing"))
    for config in asks:
        assert cache.get(config) is None  # a plain read never derives
        derived = cache.get_or_derive(config, synthetic_data).run
        assert derived is not None and derived.origin == Origin("taken", 6)
        same_run(derived, expected[config.key])
        assert cache.get(config) is not None  # stored: the next visit reads it directly


def test_outcome_emulates_keras_early_stopping():
    history = {"loss": [1] * 8, "accuracy": [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.91, 0.92],
               "val_loss": [0.9, 0.8, 0.85, 0.7, 0.75, 0.76, 0.77, 0.6]}
    assert outcome(RunConfig(epochs=8, patience=2), history) == Outcome(6, 4, 6)
    assert outcome(RunConfig(epochs=8, patience=5), history) == Outcome(8, 8, None)
    assert outcome(RunConfig(epochs=8, target_accuracy=0.85), history) == Outcome(5, 5, 5)
    assert outcome(RunConfig(epochs=9, patience=5), history) is None  # not decided within the stored epochs
    assert outcome(RunConfig(epochs=3), history) == Outcome(3, 3, None)


@pytest.mark.parametrize("config", [RunConfig(hidden_units=32), RunConfig(hidden_units=8, extra_layers=2, dropout=0.4),
                                    RunConfig(hidden_units=64, normalize=False)])
def test_numpy_prediction_equals_keras(config):
    keras.utils.set_random_seed(1)
    model = build_model(config)
    images = np.random.default_rng(0).integers(0, 256, (50, 28, 28), dtype=np.uint8)
    keras_probabilities = model.predict(model_inputs(images, config), verbose=0)
    np.testing.assert_allclose(DenseNetwork.from_model(model, config).predict(images), keras_probabilities,
                               atol=1e-5)


def test_train_page_says_where_a_run_came_from(synthetic_env):
    at = open_app({"epochs": "2", "units": "16"})
    at.form_submit_button[0].click()
    finish(at)
    at.slider(key="epochs").set_value(3)
    at.form_submit_button[0].click()
    finish(at)
    assert any("continued from the 2-epoch run" in t for t in texts(at.success))
    at.slider(key="epochs").set_value(1)
    at.form_submit_button[0].click()
    finish(at)
    assert any("taken from the 2-epoch run" in t for t in texts(at.success))  # the shortest run that answers


def test_the_family_is_scanned_once_per_new_configuration(tmp_path, synthetic_data, monkeypatch):
    cache = RunCache(tmp_path / "shared")
    scans = []
    real = RunCache.family_runs
    monkeypatch.setattr(RunCache, "family_runs", lambda self, family: scans.append(family) or real(self, family))
    cache.get_or_train(BASE.with_(epochs=3), synthetic_data)  # trained: nothing to read off or continue
    assert len(scans) == 1
    continued = cache.fetch(BASE.with_(epochs=4), synthetic_data)  # continued from the 3-epoch run
    assert continued.run.origin == Origin("continued", 3) and len(scans) == 2
    swept = cache.run_sweep([BASE.with_(epochs=2), BASE.with_(epochs=4)], synthetic_data)  # read off; stored
    assert swept[0].run.read_off_longer_run and swept[1].from_cache and len(scans) == 3
