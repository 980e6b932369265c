"""Experiments: the learner's questions answered with real runs, and conclusions drawn from the numbers.

An ``Experiment`` knows its runs (``configs``), how to name one (``label``), which controls the learner may
change (``controls``: RunConfig fields, each with one value or a list of values to compare), the metric its
chart starts on, and what its numbers say (``conclude``). ``run_sweep`` trains (or fetches from the run cache)
each configuration; ``table`` lays the runs out. Nothing in a conclusion is written in advance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config import FIELD, ConfigError, RunConfig
from ..data.sources import Dataset
from .cache import RunCache
from .results import RunResult
from .training import TrainingListener

MAX_VALUES = 8  # runs one comparison may ask for
Findings = Callable[[Sequence[RunResult], dict[int, str]], list[str]]


@dataclass(frozen=True)
class Control:
    """A RunConfig field the learner sets on an experiment page: a list of values to compare, or one value."""

    field: str
    many: bool = False


@dataclass(frozen=True)
class Experiment:
    """One question: its runs, their labels, the learner's controls, the chart's first metric, the findings.

    ``configs(base, choices)`` turns the shared settings ``base`` and the controls' values into the runs.
    The default runs are ``configs(self.base, self.choices)``.
    """

    name: str
    title: str
    question: str
    intro: str
    controls: tuple[Control, ...]
    choices: Mapping[str, Any]  # each control's default value (a tuple for a ``many`` control)
    make_configs: Callable[[RunConfig, Mapping[str, Any]], list[RunConfig]]
    make_label: Callable[[RunConfig], str]
    findings: Findings
    base: RunConfig = field(default_factory=RunConfig)
    metric: str = "accuracy"  # the chart's first metric: "accuracy" or "loss"
    caption: str = ""  # a sentence under the chart
    baseline: Callable[[RunConfig], bool] = lambda config: False  # the run the others are measured against
    code: str = ""  # Keras code the page shows

    def configs(self, base: RunConfig | None = None, choices: Mapping[str, Any] | None = None) -> list[RunConfig]:
        """The experiment's runs on shared settings ``base`` (validated; raises ConfigError)."""
        return self.make_configs(base or self.base, {**self.choices, **(choices or {})})

    def label(self, config: RunConfig) -> str:
        """Legend label of one run, e.g. '30 epochs', '512 units', 'raw 0-255', 'patience 3'."""
        return self.make_label(config)

    def conclude(self, results: Sequence[RunResult]) -> list[str]:
        """Sentences drawn from the measured runs: the best run, the gap to the baseline, time, the specifics."""
        if not results:
            return ["No runs yet."]
        label = {id(r): self.label(r.config) for r in results}
        best = max(results, key=lambda r: r.test_accuracy)
        baseline = next((r for r in results if self.baseline(r.config)), results[0])
        out = [f"Best test accuracy: {label[id(best)]} with {best.test_accuracy:.2%}."]
        if best is not baseline:
            gain = 100 * (best.test_accuracy - baseline.test_accuracy)
            ratio = best.train_seconds / max(baseline.train_seconds, 1e-9)
            out.append(f"That is {gain:+.2f} points over {label[id(baseline)]} ({baseline.test_accuracy:.2%}), "
                       f"for {ratio:.1f}x its training time.")
        else:
            out.append(f"The baseline, {label[id(baseline)]}, is the best of these runs.")
        return out + self.findings(results, label)


def parse_values(field_name: str, text: str) -> tuple[Any, ...]:
    """Comma-separated values of one RunConfig field, each checked against its range; raises ConfigError."""
    spec, values = FIELD[field_name], []
    for part in text.replace(";", ",").split(","):
        if part.strip():
            try:
                values.append(spec.parse(part))
            except ConfigError as exc:
                raise ConfigError(f"'{part.strip()[:20]}' is not usable: {exc}") from None
    if not values:
        raise ConfigError("enter at least one value")
    if len(values) > MAX_VALUES:
        raise ConfigError(f"compare at most {MAX_VALUES} values at a time")
    return tuple(dict.fromkeys(values))


def sweep(name: str, title: str, question: str, intro: str, field_name: str, values: tuple[Any, ...],
          baseline: Any, label: Callable[[Any], str], findings: Findings, base: RunConfig | None = None,
          **options: Any) -> Experiment:
    """An experiment that varies one field over a list of values, everything else shared."""
    return Experiment(
        name, title, question, intro, (Control(field_name, many=True),), {field_name: values},
        lambda base, chosen: [base.with_(**{field_name: v}) for v in chosen[field_name]],
        lambda config: label(getattr(config, field_name)), findings, base or RunConfig(),
        baseline=lambda config: getattr(config, field_name) == baseline and not config.target_accuracy,
        **options,
    )


def _plural(value: Any, unit: str) -> str:
    return f"{value} {unit}{'s' if value != 1 else ''}"


def _early_stopping_label(config: RunConfig) -> str:
    if config.patience:
        return f"patience {config.patience}"
    if config.target_accuracy:
        return f"stop at train acc {config.target_accuracy:g}"
    return f"no early stop ({config.epochs} epochs)"


def _early_stopping_configs(base: RunConfig, chosen: Mapping[str, Any]) -> list[RunConfig]:
    """No stopping, stop at a training-accuracy target, stop on validation-loss patience."""
    plain = base.with_(target_accuracy=0.0, patience=0)
    return [plain, plain.with_(target_accuracy=chosen["target_accuracy"]), plain.with_(patience=chosen["patience"])]


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


@dataclass(frozen=True)
class RunRow:
    """One run in an experiment's table."""

    run: str
    train_accuracy: float | None
    validation_accuracy: float | None
    test_accuracy: float
    parameters: int
    epochs_run: int
    best_val_epoch: int | None  # epoch with the lowest validation loss
    train_seconds: float


def table(experiment: Experiment, results: Sequence[RunResult]) -> list[RunRow]:
    """One row per run: final train/val accuracy, test accuracy, parameters, epochs, best epoch, time."""
    rows = []
    for r in results:
        report = r.fit_report()
        rows.append(RunRow(
            run=experiment.label(r.config),
            train_accuracy=_last(r.history.get("accuracy")),
            validation_accuracy=_last(r.history.get("val_accuracy")),
            test_accuracy=round(r.test_accuracy, 4),
            parameters=r.parameters,
            epochs_run=r.epochs_run,
            best_val_epoch=report.best_epoch if report else None,
            train_seconds=round(r.train_seconds, 1),
        ))
    return rows


def _last(values: Sequence[float] | None) -> float | None:
    return round(float(values[-1]), 4) if values else None


def _conclude_epochs(results: Sequence[RunResult], label: dict[int, str]) -> list[str]:
    longest = max(results, key=lambda r: r.epochs_run)
    report = longest.fit_report()
    if report is None:
        return []
    h, best_epoch = longest.history, report.best_epoch
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
            report = r.fit_report()
            if r.config.patience and report:
                out.append(f"It kept the weights of epoch {report.best_epoch}, the lowest validation loss.")
    if not out:
        out.append("No run stopped early: the stopping rule never fired within these epochs.")
    return out


def _conclude_dropout(results: Sequence[RunResult], label: dict[int, str]) -> list[str]:
    reports = [(r, r.fit_report()) for r in sorted(results, key=lambda r: r.config.dropout)]
    reports = [(r, rep) for r, rep in reports if rep is not None]
    if len(reports) < 2:
        return []
    gaps = "; ".join(f"{label[id(r)]}: {100 * rep.gap:+.1f} points" for r, rep in reports)
    (none, first), (most, last) = reports[0], reports[-1]
    if last.gap < first.gap - 0.005:
        verdict = (f"More dropout shrank the gap between training and validation accuracy by "
                   f"{100 * (first.gap - last.gap):.1f} points: it held back memorising")
    else:
        verdict = "Dropout did not shrink the gap between training and validation accuracy here"
    change = 100 * (most.test_accuracy - none.test_accuracy)
    return [f"Training accuracy minus validation accuracy after the last epoch — {gaps}.",
            f"{verdict}; test accuracy changed by {change:+.2f} points from {label[id(none)]} to {label[id(most)]}."]


EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (
    sweep("epochs", "Epochs", "What happens if I train longer?",
          "Each run trains the same network for a different number of epochs.",
          "epochs", (1, 5, 10, 30), 10, lambda v: _plural(v, "epoch"), _conclude_epochs,
          caption="Runs with the same seed start identically, so a shorter run's line lies under the first "
                  "epochs of a longer one (drawn wider underneath)."),
    sweep("units", "Hidden units", "Do more hidden units make a better network?",
          "Each run gives the hidden layer a different number of units. More units mean more parameters and "
          "more time; see how much accuracy each step buys.",
          "hidden_units", (10, 32, 128, 512, 1024), 128, lambda v: _plural(v, "unit"), _conclude_units),
    sweep("layers", "Layers", "Do more hidden layers help?",
          "Each run stacks a different number of hidden Dense(relu) layers of the same size.",
          "extra_layers", (0, 1, 2, 3), 0, lambda v: _plural(1 + v, "hidden layer"), _conclude_layers),
    sweep("normalisation", "Normalisation", "Does dividing the pixels by 255 matter?",
          "Two runs: pixels divided by 255 (0-1) and raw pixels (0-255); everything else is the same.",
          "normalize", (True, False), True, lambda v: "normalised /255" if v else "raw 0-255",
          _conclude_normalisation, metric="loss"),
    sweep("dropout", "Dropout", "Does dropout help?",
          "The lessons add `Dropout(0.2)` to reduce overfitting. Each run trains the same network for 30 epochs, "
          "long enough to start memorising its training images, with a different dropout rate; compare the gap "
          "between training and validation accuracy.",
          "dropout", (0.0, 0.2, 0.5), 0.0, lambda v: f"dropout {v:g}", _conclude_dropout,
          base=RunConfig(epochs=30)),
    Experiment(
        "early_stopping", "Early stopping", "Can training stop by itself at the right time?",
        "Three runs with the same settings: one trains for every epoch; one stops when **training accuracy** "
        "reaches a target you pick (a Keras callback that sets `model.stop_training`); one stops when "
        "**validation loss** has not improved for a few epochs (Keras `EarlyStopping` with "
        "`restore_best_weights=True`, so the saved model is the one from its best epoch).",
        (Control("target_accuracy"), Control("patience")), {"target_accuracy": 0.9, "patience": 3},
        _early_stopping_configs, _early_stopping_label, _conclude_early_stopping, RunConfig(epochs=30),
        metric="loss", baseline=lambda config: not config.target_accuracy and not config.patience,
        code="""class StopAtAccuracy(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if logs["accuracy"] >= target:
            self.model.stop_training = True

keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)"""),
)}


def sweep_labels(experiment: Experiment, results: Sequence[RunResult]) -> dict[str, dict[str, list[float]]]:
    """Histories keyed by run label, for comparison charts."""
    return {experiment.label(r.config): r.history for r in results}
