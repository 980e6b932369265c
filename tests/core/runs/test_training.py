import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fmnist_core.config import RunConfig
from fmnist_core.forward import cross_entropy
from fmnist_core.reports import TrainingCancelled, TrainingListener
from fmnist_core.runs.training import train
from tests.support import TINY


class Recorder(TrainingListener):
    def __init__(self, stop_after_progress: int | None = None):
        self.starts, self.progress, self.epochs = [], [], []
        self.stop_after_progress = stop_after_progress

    def on_run_start(self, config, steps_per_epoch):
        self.starts.append((config, steps_per_epoch))

    def on_progress(self, epoch, fraction, logs):
        self.progress.append((epoch, fraction))

    def on_epoch_end(self, epoch, metrics):
        self.epochs.append((epoch, metrics))

    def should_stop(self):
        return self.stop_after_progress is not None and len(self.progress) >= self.stop_after_progress


def test_training_lowers_loss_and_reports_progress(synthetic_data):
    rec = Recorder()
    result = train(TINY, synthetic_data, rec)
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert set(result.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(result.history["loss"]) == 3
    assert result.test_accuracy > 0.5  # the bands are easy; chance is 0.1
    assert rec.starts == [(TINY, 10)]  # 320 training images / batch 32
    assert [e for e, _ in rec.epochs] == [1, 2, 3]
    assert set(rec.epochs[0][1]) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    within_first = [f for e, f in rec.progress if e == 1]
    assert len(within_first) >= 5 and within_first[-1] == 1.0  # several updates inside the epoch
    assert result.test_probabilities.shape == (100, 10)
    np.testing.assert_allclose(result.test_probabilities.sum(axis=1), 1.0, atol=1e-4)
    assert result.test_loss == pytest.approx(cross_entropy(result.test_probabilities, synthetic_data.y_test))
    assert result.predict(synthetic_data.x_test[:3]).shape == (3, 10)


def test_same_seed_same_history(synthetic_data):
    a = train(TINY, synthetic_data)
    b = train(TINY, synthetic_data)
    assert a.history == b.history
    c = train(TINY.with_(seed=1), synthetic_data)
    assert c.history != a.history


def test_cancel_from_listener(synthetic_data):
    rec = Recorder(stop_after_progress=3)
    with pytest.raises(TrainingCancelled):
        train(TINY.with_(epochs=5), synthetic_data, rec)
    assert len(rec.epochs) < 5


def test_stop_at_target_accuracy(synthetic_data):
    result = train(TINY.with_(epochs=20, target_accuracy=0.5), synthetic_data)
    assert result.epochs_run < 20 and result.stopped_early_at == result.epochs_run
    assert result.history["accuracy"][-1] >= 0.5
    assert all(a < 0.5 for a in result.history["accuracy"][:-1])


def test_raw_pixels_train_too(synthetic_data):
    """The Normalisation lesson: raw 0-255 pixels train, but their first loss is far above the normalised run's
    (on this data, for seeds 0-7: 9.6-39 against 2.1-2.3)."""
    config = RunConfig(epochs=1, hidden_units=8)
    raw = train(config.with_(normalize=False), synthetic_data).history["loss"][0]
    normalised = train(config.with_(normalize=True), synthetic_data).history["loss"][0]
    assert np.isfinite(raw) and raw > normalised


def test_dropout_is_applied_and_costs_little(synthetic_data):
    """Dropout masks come from Philox (Keras's auto-selected generator made epochs ~4x slower under XLA)."""
    from keras.src.backend.tensorflow import random as tf_random

    plain = train(TINY.with_(epochs=2), synthetic_data)
    dropped = train(TINY.with_(epochs=2, dropout=0.5), synthetic_data)
    assert plain.history["loss"] != dropped.history["loss"]
    assert tf_random.dropout.__qualname__.startswith("_philox_dropout")  # the fit loop installed it


KERAS_BEFORE_AND_AFTER = """
import sys, types
import keras, tensorflow

def keras_state():
    return {(name, attr): id(value) for name, module in list(sys.modules.items())
            if name.split(".")[0] == "keras" and module is not None
            for attr, value in vars(module).items() if not isinstance(value, types.ModuleType)}

before = keras_state()
from fmnist_core.net import fast_fit
after = keras_state()
changed = sorted(f"{name}.{attr}" for (name, attr), ident in after.items() if before.get((name, attr)) != ident)
assert not changed, f"importing fast_fit changed Keras: {changed[:5]}"

from keras.src.backend.tensorflow import random as tf_random
from fmnist_core.config import RunConfig
from fmnist_core.net.model import build_model
for _ in range(2):  # idempotent: a second fitter leaves it as the first did
    fast_fit.FastFitter(build_model(RunConfig(dropout=0.2)), normalize=True)
    assert tf_random.dropout is fast_fit._philox_dropout
print("ok")
"""


def test_importing_the_fit_loop_changes_nothing_in_keras():
    """Only a FastFitter installs the Philox dropout; merely importing its module leaves Keras as it was (in a
    fresh process, so no other test's training has patched it already)."""
    done = subprocess.run([sys.executable, "-c", KERAS_BEFORE_AND_AFTER], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, cwd=Path(__file__).parents[3])
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
