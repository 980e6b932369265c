import numpy as np
import pytest

from fmnist_core.config import ConfigError, RunConfig
from fmnist_core.lessons.experiments import EXPERIMENTS, parse_values, table
from fmnist_core.reports import TrainingListener
from fmnist_core.runs.cache import RunCache
from fmnist_core.runs.results import RunResult


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
    text = " ".join(e.conclude([short_run, long_run]))
    assert "validation loss was lowest after epoch 3" in text
    assert "overfitting" in text and "88.00% to 94.00%" in text
    # other numbers, other words: validation loss still falling at the end
    falling = made_run(RunConfig(epochs=6), [0.5, 0.45, 0.4, 0.38, 0.36, 0.34], [0.8] * 6, 0.9)
    text = " ".join(e.conclude([short_run, falling]))
    assert "overfitting" not in text and "still falling" in text
    assert "Best test accuracy: 6 epochs with 90.00%" in text


def test_baseline_gap_and_time_ratio():
    e = EXPERIMENTS["units"]
    runs = [made_run(RunConfig(hidden_units=u), [0.4] * 3, [0.8] * 3, acc, seconds=s)
            for u, acc, s in [(32, 0.85, 5), (128, 0.87, 10), (512, 0.885, 30)]]
    text = e.conclude(runs)
    assert text[0] == "Best test accuracy: 512 units with 88.50%."
    assert text[1].startswith("That is +1.50 points over 128 units (87.00%), for 3.0x its training time.")
    runs[2] = made_run(RunConfig(hidden_units=512), [0.4] * 3, [0.8] * 3, 0.885, seconds=10.4)
    assert e.conclude(runs)[1] == "That is +1.50 points over 128 units (87.00%), in about the same training time."
    assert "diminishing returns" in text[-1]
    runs[2] = made_run(RunConfig(hidden_units=512), [0.4] * 3, [0.8] * 3, 0.92, seconds=30)
    assert "still pay off" in e.conclude(runs)[-1]


def test_normalisation_and_layers_words_follow_numbers():
    norm = made_run(RunConfig(), [0.4] * 3, [0.8] * 3, 0.88)
    raw = made_run(RunConfig(normalize=False), [0.4] * 3, [0.8] * 3, 0.80)
    text = " ".join(EXPERIMENTS["normalisation"].conclude([norm, raw]))
    assert "+8.00 points for normalising" in text
    one = made_run(RunConfig(), [0.4] * 3, [0.8] * 3, 0.88)
    deep = made_run(RunConfig(extra_layers=2), [0.4] * 3, [0.8] * 3, 0.80)
    assert "hurts" in " ".join(EXPERIMENTS["layers"].conclude([one, deep]))
    deep = made_run(RunConfig(extra_layers=2), [0.4] * 3, [0.8] * 3, 0.89)
    assert "helps" in " ".join(EXPERIMENTS["layers"].conclude([one, deep]))


def test_early_stopping_conclusion():
    e = EXPERIMENTS["early_stopping"]
    full = made_run(RunConfig(epochs=8), [0.5, 0.4, 0.35, 0.37, 0.4, 0.45, 0.5, 0.55], [0.8] * 8, 0.87, 16)
    stopped = made_run(RunConfig(epochs=8, patience=2), [0.5, 0.4, 0.35, 0.37, 0.4], [0.8] * 5, 0.88, 10, stopped=5)
    text = " ".join(e.conclude([full, stopped]))
    assert "patience 2: stopped after epoch 5 of 8" in text and "weights of epoch 3" in text
    assert "never fired" in " ".join(e.conclude([full]))


def test_summary_rows():
    e = EXPERIMENTS["epochs"]
    rows = table(e, [made_run(RunConfig(epochs=3), [0.5, 0.3, 0.4], [0.7, 0.8, 0.9], 0.85)])
    assert rows[0].run == "3 epochs" and rows[0].train_accuracy == 0.9
    assert rows[0].best_val_epoch == 2 and rows[0].parameters == 101_770


def test_default_configs():
    assert [c.epochs for c in EXPERIMENTS["epochs"].configs()] == [1, 5, 10, 30]
    assert [c.normalize for c in EXPERIMENTS["normalisation"].configs()] == [True, False]
    es = EXPERIMENTS["early_stopping"].configs()
    assert es[1].target_accuracy == 0.9 and es[2].patience == 3 and all(c.epochs == 30 for c in es)
    dropout = EXPERIMENTS["dropout"].configs()
    assert [c.dropout for c in dropout] == [0.0, 0.2, 0.5] and all(c.epochs == 30 for c in dropout)
    assert dropout[0] in EXPERIMENTS["epochs"].configs()  # its run without dropout is the Epochs page's longest


def test_every_experiment_is_configs_label_and_findings():
    """Early stopping is no special case: its runs come from its controls like a sweep's."""
    es = EXPERIMENTS["early_stopping"]
    configs = es.configs(RunConfig(epochs=6), {"target_accuracy": 0.8, "patience": 1})
    assert [es.label(c) for c in configs] == ["no early stop, 6 epochs", "stop at train acc 0.8", "patience 1"]
    units = EXPERIMENTS["units"].configs(RunConfig(epochs=2), {"hidden_units": parse_values("hidden_units", "8, 16")})
    assert [c.hidden_units for c in units] == [8, 16] and all(c.epochs == 2 for c in units)


def test_parse_values_reads_the_field_table():
    assert parse_values("dropout", "0, 0.2; 0.2") == (0.0, 0.2)
    with pytest.raises(ConfigError, match="whole number"):
        parse_values("epochs", "1, lots")
    with pytest.raises(ConfigError, match="at most 8"):
        parse_values("epochs", ",".join(str(i) for i in range(1, 11)))


def test_dropout_findings_follow_the_gap():
    e = EXPERIMENTS["dropout"]
    wide = made_run(RunConfig(dropout=0.0), [0.4] * 3, [0.8, 0.9, 0.98], 0.88)
    narrow = made_run(RunConfig(dropout=0.5), [0.4] * 3, [0.8, 0.85, 0.89], 0.89)
    text = " ".join(e.conclude([wide, narrow]))
    assert "dropout 0: +10.0 points; dropout 0.5: +1.0 points" in text and "shrank the gap" in text
    same = made_run(RunConfig(dropout=0.5), [0.4] * 3, [0.8, 0.9, 0.98], 0.87)
    assert "did not shrink" in " ".join(e.conclude([wide, same]))


def test_sweep_trains_each_once_and_reuses_cache(tmp_path, synthetic_data):
    class Seen(TrainingListener):
        def __init__(self):
            self.runs = []

        def on_sweep_run(self, index, total, config, cached):
            self.runs.append((index, total, cached))

    configs = EXPERIMENTS["epochs"].configs(RunConfig(hidden_units=8), {"epochs": (1, 2)})
    cache = RunCache(tmp_path)
    seen = Seen()
    results = cache.run_sweep(configs, synthetic_data, seen)
    assert [r.run.epochs_run for r in results] == [1, 2] and seen.runs == [(0, 2, False), (1, 2, False)]
    seen = Seen()
    again = cache.run_sweep(configs, synthetic_data, seen)
    assert all(r.from_cache for r in again) and seen.runs == [(0, 2, True), (1, 2, True)]
    # same seed: the 2-epoch run's first epoch is the 1-epoch run
    assert results[1].run.history["loss"][0] == pytest.approx(results[0].run.history["loss"][0])


def test_experiments_and_sweeps_are_built_by_keyword_only():
    from fmnist_core.lessons.experiments import Experiment, sweep

    units = EXPERIMENTS["units"]
    with pytest.raises(TypeError):
        Experiment(units.name, units.title, units.question, units.intro, units.controls, units.choices,
                   units.make_configs, units.make_label, units.findings)
    with pytest.raises(TypeError):
        sweep("units", "t", "q", "i", "hidden_units", (8, 16), 8, str, lambda results, label: [])
    made = sweep(name="units", title="t", question="q", intro="i", field_name="hidden_units", values=(8, 16),
                 baseline=8, label=str, findings=lambda results, label: [])
    assert [c.hidden_units for c in made.configs()] == [8, 16] and made.label(RunConfig(hidden_units=8)) == "8"


def test_run_labels_of_a_setting_are_its_field_short_name(english):
    """Experiment labels that name one setting are the field table's ``short`` (config.FIELDS), not a copy."""
    from fmnist_core.config import FIELD

    assert EXPERIMENTS["dropout"].label(RunConfig(dropout=0.2)) == FIELD["dropout"].shown(0.2) == "dropout 0.2"
    early = EXPERIMENTS["early_stopping"]
    assert early.label(RunConfig(patience=3)) == FIELD["patience"].shown(3) == "patience 3"
    assert early.label(RunConfig(target_accuracy=0.9)) == "stop at train acc 0.9"
    assert RunConfig(patience=3).describe().endswith(", patience 3")
