"""Experiment sweeps: the learner's questions answered with real runs, and conclusions drawn from the numbers.

An Experiment varies one RunConfig field over a few values, on top of shared settings. ``run_sweep``
trains (or fetches from the run cache) each configuration; ``summarise`` tabulates the runs and
``conclude`` words what the measurements show. Nothing in a conclusion is written in advance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .cache import RunCache
from .config import RunConfig
from .data import Dataset
from .results import RunResult
from .training import TrainingListener


@dataclass(frozen=True)
class Experiment:
    """One question: which RunConfig field varies, over which values, on which shared settings."""

    name: str
    title: str
    question: str
    field: str
    values: tuple[Any, ...]
    baseline: Any
    base: RunConfig = field(default_factory=RunConfig)

    def configs(self, values: Sequence[Any] | None = None, base: RunConfig | None = None) -> list[RunConfig]:
        """The configurations of the sweep (validated)."""
        base = base or self.base
        return [base.with_(**{self.field: v}) for v in (self.values if values is None else values)]

    def label(self, config: RunConfig) -> str:
        """Legend label of one run, e.g. '30 epochs', '512 units', 'raw 0-255', 'patience 3'."""
        if self.name == "early_stopping":
            if config.patience:
                return f"patience {config.patience}"
            if config.target_accuracy:
                return f"stop at train acc {config.target_accuracy:g}"
            return f"no early stop ({config.epochs} epochs)"
        value = getattr(config, self.field)
        if self.field == "normalize":
            return "normalised /255" if value else "raw 0-255"
        if self.field == "extra_layers":
            return f"{1 + int(value)} hidden layer{'s' if value else ''}"
        unit = {"epochs": "epoch", "hidden_units": "unit"}.get(self.field, self.field)
        return f"{value} {unit}{'s' if value != 1 else ''}"


EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in (
        Experiment("epochs", "Epochs", "What happens if I train longer?", "epochs", (1, 5, 10, 30), 10),
        Experiment("units", "Hidden units", "Do more hidden units make a better network?", "hidden_units",
                   (10, 32, 128, 512, 1024), 128),
        Experiment("layers", "Layers", "Do more hidden layers help?", "extra_layers", (0, 1, 2, 3), 0),
        Experiment("normalisation", "Normalisation", "Does dividing the pixels by 255 matter?", "normalize",
                   (True, False), True),
        Experiment("early_stopping", "Early stopping", "Can training stop by itself at the right time?",
                   "patience", (0, 3), 0, RunConfig(epochs=30)),
    )
}


EARLY_STOP_TARGET, EARLY_STOP_PATIENCE = 0.90, 3


def early_stopping_configs(base: RunConfig, target: float = EARLY_STOP_TARGET,
                           patience: int = EARLY_STOP_PATIENCE) -> list[RunConfig]:
    """No stopping, stop at a training-accuracy target, stop on validation-loss patience."""
    return [base, base.with_(target_accuracy=target), base.with_(patience=patience)]


def default_configs(experiment: Experiment) -> list[RunConfig]:
    """The configurations an experiment page shows by default."""
    if experiment.name == "early_stopping":
        return early_stopping_configs(experiment.base)
    return experiment.configs()


def run_sweep(
    configs: Sequence[RunConfig],
    cache: RunCache,
    data: Dataset | None = None,
    listener: TrainingListener | None = None,
) -> list[RunResult]:
    """Each configuration from the cache or trained once and stored, in order (``listener.on_sweep_run`` hears
    which run starts)."""
    listener = listener or TrainingListener()
    results = []
    for i, config in enumerate(configs):
        cached = cache.get(config)
        listener.on_sweep_run(i, len(configs), config, cached is not None)
        results.append(cached if cached is not None else cache.get_or_train(config, data, listener))
    return results


# --------------------------------------------------------------------------- tables and conclusions


def best_val_loss_epoch(result: RunResult) -> int | None:
    """Epoch (from 1) with the lowest validation loss, or None without validation."""
    losses = result.history.get("val_loss")
    return int(np.argmin(losses)) + 1 if losses else None


def summarise(experiment: Experiment, results: Sequence[RunResult]) -> list[dict[str, Any]]:
    """One row per run: final train/val accuracy, test accuracy, parameters, time, best val-loss epoch."""
    rows = []
    for r in results:
        rows.append({
            "run": experiment.label(r.config),
            "train accuracy": _last(r.history.get("accuracy")),
            "validation accuracy": _last(r.history.get("val_accuracy")),
            "test accuracy": round(r.test_accuracy, 4),
            "parameters": r.parameters,
            "epochs run": r.epochs_run,
            "lowest val loss at epoch": best_val_loss_epoch(r),
            "train seconds": round(r.train_seconds, 1),
        })
    return rows


def _last(values: Sequence[float] | None) -> float | None:
    return round(float(values[-1]), 4) if values else None


def conclude(experiment: Experiment, results: Sequence[RunResult]) -> list[str]:
    """Sentences drawn from the measured runs: the best run, the gap to the baseline, time, overfitting."""
    if not results:
        return ["No runs yet."]
    label = {id(r): experiment.label(r.config) for r in results}
    best = max(results, key=lambda r: r.test_accuracy)
    baseline = next((r for r in results if getattr(r.config, experiment.field) == experiment.baseline
                     and not r.config.target_accuracy), results[0])
    out = [f"Best test accuracy: {label[id(best)]} with {best.test_accuracy:.2%}."]
    if best is not baseline:
        gain = 100 * (best.test_accuracy - baseline.test_accuracy)
        ratio = best.train_seconds / max(baseline.train_seconds, 1e-9)
        out.append(f"That is {gain:+.2f} points over {label[id(baseline)]} ({baseline.test_accuracy:.2%}), "
                   f"for {ratio:.1f}x its training time.")
    else:
        out.append(f"The baseline, {label[id(baseline)]}, is the best of these runs.")
    specific = {"epochs": _conclude_epochs, "units": _conclude_units, "layers": _conclude_layers,
                "normalisation": _conclude_normalisation, "early_stopping": _conclude_early_stopping}
    out += specific.get(experiment.name, lambda *_: [])(results, label)
    return out


def _conclude_epochs(results: Sequence[RunResult], label: dict[int, str]) -> list[str]:
    longest = max(results, key=lambda r: r.epochs_run)
    best_epoch = best_val_loss_epoch(longest)
    if best_epoch is None:
        return []
    h = longest.history
    out = [f"In the {longest.epochs_run}-epoch run, validation loss was lowest after epoch {best_epoch} "
           f"({h['val_loss'][best_epoch - 1]:.3f}) and ended at {h['val_loss'][-1]:.3f}."]
    if best_epoch < longest.epochs_run and h["val_loss"][-1] > h["val_loss"][best_epoch - 1]:
        out.append(f"After that, training accuracy still rose from {h['accuracy'][best_epoch - 1]:.2%} to "
                   f"{h['accuracy'][-1]:.2%} while validation loss rose: the network began to memorise its "
                   "training images (overfitting).")
    else:
        out.append("Validation loss was still falling at the end: more epochs may still help.")
    return out


def _conclude_units(results: Sequence[RunResult], label: dict[int, str]) -> list[str]:
    ordered = sorted(results, key=lambda r: r.config.hidden_units)
    steps = []
    for a, b in zip(ordered, ordered[1:], strict=False):
        steps.append((label[id(b)], 100 * (b.test_accuracy - a.test_accuracy), b.parameters / a.parameters))
    if not steps:
        return []
    text = "; ".join(f"{name}: {gain:+.2f} points for {factor:.1f}x the parameters" for name, gain, factor in steps)
    first_gain, last_gain = steps[0][1], steps[-1][1]
    verdict = ("each step up buys less accuracy than the one before: diminishing returns."
               if last_gain < first_gain else "the larger steps still pay off here.")
    return [f"Going up in size — {text}.", f"So {verdict}"]


def _conclude_layers(results: Sequence[RunResult], label: dict[int, str]) -> list[str]:
    one = next((r for r in results if r.config.extra_layers == 0), None)
    deeper = [r for r in results if r.config.extra_layers > 0]
    if one is None or not deeper:
        return []
    best_deep = max(deeper, key=lambda r: r.test_accuracy)
    diff = 100 * (best_deep.test_accuracy - one.test_accuracy)
    word = "helps" if diff > 0.3 else "hurts" if diff < -0.3 else "makes little difference"
    return [f"Stacking layers {word} here: the best deeper network ({label[id(best_deep)]}) is {diff:+.2f} points "
            f"from one hidden layer, with {best_deep.parameters / one.parameters:.2f}x the parameters."]


def _conclude_normalisation(results: Sequence[RunResult], label: dict[int, str]) -> list[str]:
    norm = next((r for r in results if r.config.normalize), None)
    raw = next((r for r in results if not r.config.normalize), None)
    if norm is None or raw is None:
        return []
    diff = 100 * (norm.test_accuracy - raw.test_accuracy)
    first = (norm.history["loss"][0], raw.history["loss"][0])
    return [f"Normalised inputs reach {norm.test_accuracy:.2%} test accuracy, raw 0-255 inputs "
            f"{raw.test_accuracy:.2%} ({diff:+.2f} points for normalising).",
            f"After the first epoch the training loss is {first[0]:.3f} normalised vs {first[1]:.3f} raw"
            + (": large raw inputs make the first updates much rougher." if first[1] > first[0] else ".")]


def _conclude_early_stopping(results: Sequence[RunResult], label: dict[int, str]) -> list[str]:
    out = []
    full = max(results, key=lambda r: r.epochs_run)
    for r in results:
        if r.stopped_early_at:
            out.append(f"{label[id(r)]}: stopped after epoch {r.stopped_early_at} of {r.config.epochs}, "
                       f"test accuracy {r.test_accuracy:.2%} (the full {full.epochs_run}-epoch run: "
                       f"{full.test_accuracy:.2%}) in {r.train_seconds / max(full.train_seconds, 1e-9):.0%} of "
                       "its time.")
            if r.config.patience:
                out.append(f"It kept the weights of epoch {best_val_loss_epoch(r)}, the lowest validation loss.")
    if not out:
        out.append("No run stopped early: the stopping rule never fired within these epochs.")
    return out


def sweep_labels(experiment: Experiment, results: Sequence[RunResult]) -> dict[str, dict[str, list[float]]]:
    """Histories keyed by run label, for comparison charts."""
    return {experiment.label(r.config): r.history for r in results}
