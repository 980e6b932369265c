import numpy as np
import pytest

from fmnist_core.cache import RunCache
from fmnist_core.config import RunConfig
from fmnist_core.experiments import (
    EXPERIMENTS,
    conclude,
    default_configs,
    run_sweep,
    summarise,
)
from fmnist_core.results import RunResult
from fmnist_core.training import TrainingListener


def made_run(config: RunConfig, val_loss, accuracy, test_accuracy, seconds=10.0, stopped=None) -> RunResult:
    n = len(val_loss)
    return RunResult(
        config=config,
        history={"loss": list(np.linspace(0.6, 0.2, n)), "accuracy": list(accuracy), "val_loss": list(val_loss),
                 "val_accuracy": list(np.linspace(0.8, 0.88, n))},
        test_loss=0.35, test_accuracy=test_accuracy, train_seconds=seconds, trained_at="2026-01-01T00:00:00+00:00",
        data_source="made by hand", test_probabilities=np.zeros((1, 10), np.float32), stopped_early_at=stopped,
    )


def test_epochs_conclusion_finds_the_overfitting_epoch():
    e = EXPERIMENTS["epochs"]
    long_run = made_run(RunConfig(epochs=6), [0.5, 0.4, 0.35, 0.37, 0.4, 0.45],
                        [0.8, 0.85, 0.88, 0.9, 0.92, 0.94], 0.87, seconds=30)
    short_run = made_run(RunConfig(epochs=3), [0.5, 0.4, 0.35], [0.8, 0.85, 0.88], 0.88, seconds=10)
    text = " ".join(conclude(e, [short_run, long_run]))
    assert "validation loss was lowest after epoch 3" in text
    assert "overfitting" in text and "88.00% to 94.00%" in text
    # other numbers, other words: validation loss still falling at the end
    falling = made_run(RunConfig(epochs=6), [0.5, 0.45, 0.4, 0.38, 0.36, 0.34], [0.8] * 6, 0.9)
    text = " ".join(conclude(e, [short_run, falling]))
    assert "overfitting" not in text and "still falling" in text
    assert "Best test accuracy: 6 epochs with 90.00%" in text


def test_baseline_gap_and_time_ratio():
    e = EXPERIMENTS["units"]
    runs = [made_run(RunConfig(hidden_units=u), [0.4] * 3, [0.8] * 3, acc, seconds=s)
            for u, acc, s in [(32, 0.85, 5), (128, 0.87, 10), (512, 0.885, 30)]]
    text = conclude(e, runs)
    assert text[0] == "Best test accuracy: 512 units with 88.50%."
    assert text[1].startswith("That is +1.50 points over 128 units (87.00%), for 3.0x its training time.")
    assert "diminishing returns" in text[-1]
    runs[2] = made_run(RunConfig(hidden_units=512), [0.4] * 3, [0.8] * 3, 0.92, seconds=30)
    assert "still pay off" in conclude(e, runs)[-1]


def test_normalisation_and_layers_words_follow_numbers():
    norm = made_run(RunConfig(), [0.4] * 3, [0.8] * 3, 0.88)
    raw = made_run(RunConfig(normalize=False), [0.4] * 3, [0.8] * 3, 0.80)
    text = " ".join(conclude(EXPERIMENTS["normalisation"], [norm, raw]))
    assert "+8.00 points for normalising" in text
    one = made_run(RunConfig(), [0.4] * 3, [0.8] * 3, 0.88)
    deep = made_run(RunConfig(extra_layers=2), [0.4] * 3, [0.8] * 3, 0.80)
    assert "hurts" in " ".join(conclude(EXPERIMENTS["layers"], [one, deep]))
    deep = made_run(RunConfig(extra_layers=2), [0.4] * 3, [0.8] * 3, 0.89)
    assert "helps" in " ".join(conclude(EXPERIMENTS["layers"], [one, deep]))


def test_early_stopping_conclusion():
    e = EXPERIMENTS["early_stopping"]
    full = made_run(RunConfig(epochs=8), [0.5, 0.4, 0.35, 0.37, 0.4, 0.45, 0.5, 0.55], [0.8] * 8, 0.87, 16)
    stopped = made_run(RunConfig(epochs=8, patience=2), [0.5, 0.4, 0.35, 0.37, 0.4], [0.8] * 5, 0.88, 10, stopped=5)
    text = " ".join(conclude(e, [full, stopped]))
    assert "patience 2: stopped after epoch 5 of 8" in text and "weights of epoch 3" in text
    assert "never fired" in " ".join(conclude(e, [full]))


def test_summary_rows():
    e = EXPERIMENTS["epochs"]
    rows = summarise(e, [made_run(RunConfig(epochs=3), [0.5, 0.3, 0.4], [0.7, 0.8, 0.9], 0.85)])
    assert rows[0]["run"] == "3 epochs" and rows[0]["train accuracy"] == 0.9
    assert rows[0]["lowest val loss at epoch"] == 2 and rows[0]["parameters"] == 101_770


def test_default_configs():
    assert [c.epochs for c in default_configs(EXPERIMENTS["epochs"])] == [1, 5, 10, 30]
    assert [c.normalize for c in default_configs(EXPERIMENTS["normalisation"])] == [True, False]
    es = default_configs(EXPERIMENTS["early_stopping"])
    assert es[1].target_accuracy == 0.9 and es[2].patience == 3 and all(c.epochs == 30 for c in es)


def test_sweep_trains_each_once_and_reuses_cache(tmp_path, synthetic_data):
    class Seen(TrainingListener):
        def __init__(self):
            self.runs = []

        def on_sweep_run(self, index, total, config, cached):
            self.runs.append((index, total, cached))

    configs = EXPERIMENTS["epochs"].configs([1, 2], RunConfig(hidden_units=8))
    cache = RunCache(tmp_path)
    seen = Seen()
    results = run_sweep(configs, cache, synthetic_data, seen)
    assert [r.epochs_run for r in results] == [1, 2] and seen.runs == [(0, 2, False), (1, 2, False)]
    seen = Seen()
    again = run_sweep(configs, cache, synthetic_data, seen)
    assert all(r.from_cache for r in again) and seen.runs == [(0, 2, True), (1, 2, True)]
    # same seed: the 2-epoch run's first epoch is the 1-epoch run
    assert results[1].history["loss"][0] == pytest.approx(results[0].history["loss"][0])
