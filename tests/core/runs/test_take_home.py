"""Take a run home: the generated Keras script and notebook, the model file, history and summary."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import keras
import nbformat
import numpy as np
import pytest

from fmnist_core.config import RunConfig
from fmnist_core.net.model import keras_file
from fmnist_core.runs import export
from fmnist_core.runs.cache import RunCache


def run_script(code: str, tmp_path, data_dir, timeout: int = 600) -> subprocess.CompletedProcess:
    path = tmp_path / "run.py"
    path.write_text(code)
    env = os.environ | {"FMNIST_DATA_DIR": str(data_dir), "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg",
                        "PYTHONPATH": ""}
    return subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_generated_script_trains_and_reports_test_accuracy(synthetic_dir, tmp_path):
    config = RunConfig(epochs=2, hidden_units=16, extra_layers=1, dropout=0.2, batch_size=64, patience=1,
                       target_accuracy=0.99, seed=3)
    code = export.keras_script(config)
    assert "fmnist_core" not in code.replace(config.key, "")  # for the learner's own machine
    for piece in ("Dense(16", "Dropout(0.2, seed=SEED)", "patience=1", "restore_best_weights=True",
                  "BATCH_SIZE = 64", "VALIDATION_SPLIT = 0.2", "SEED = 3", "StopAtAccuracy(TARGET_ACCURACY)"):
        assert piece in code
    done = run_script(code, tmp_path, synthetic_dir)
    assert done.returncode == 0, done.stderr[-2000:]
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", done.stdout)[1])
    assert 0.0 <= accuracy <= 1.0


def test_notebook_is_valid_and_holds_the_script(tmp_path):
    config = RunConfig(normalize=False, learning_rate=0.01)
    book = nbformat.reads(export.notebook(config), as_version=4)
    nbformat.validate(book)
    code = [c.source for c in book.cells if c.cell_type == "code"]
    script = export.keras_script(config)
    assert all(cell in script for cell in code) and "raw pixels 0-255" in code[2]
    assert [title for title, _ in export.sections(config)] == [
        c.source.removeprefix("## ") for c in book.cells if c.cell_type == "markdown"][1:]


def test_model_history_and_summary_downloads(tmp_path, synthetic_data):
    result = RunCache(tmp_path / "cache").get_or_train(RunConfig(epochs=2, hidden_units=8, dropout=0.3),
                                                       synthetic_data)
    path = tmp_path / "model.keras"
    path.write_bytes(keras_file(result.load_network()))
    model = keras.saving.load_model(path)
    images = synthetic_data.x_test[:20]
    np.testing.assert_allclose(model.predict(images / 255.0, verbose=0), result.predict(images), atol=1e-5)
    lines = export.history_csv(result).splitlines()
    assert lines[0] == "epoch,loss,accuracy,val_loss,val_accuracy" and len(lines) == 3
    summary = json.loads(export.summary_json(result))
    assert summary["key"] == result.key and summary["test_accuracy"] == result.test_accuracy


@pytest.mark.real_data
def test_generated_script_matches_the_app_on_real_data(real_data, tmp_path):
    config = RunConfig(epochs=3)
    app = RunCache(tmp_path / "cache").get_or_train(config, real_data)
    done = run_script(export.keras_script(config), tmp_path, "/usr/share/datasets/fashion-mnist", timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", done.stdout)[1])
    assert abs(accuracy - app.test_accuracy) <= 0.015, (accuracy, app.test_accuracy)
