"""Experiments: the learner's questions answered with real runs, and conclusions drawn from the numbers.

An ``Experiment`` knows its runs (``configs``), how to name one (``label``), which controls the learner may
change (``controls``: RunConfig fields, each with one value or a list of values to compare), the metric its
chart starts on, and what its numbers say (``conclude``); ``table`` lays the runs out (``RunCache.run_sweep``
fetches or trains them). Nothing in a conclusion is written in advance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config import FIELD, ConfigError, RunConfig
from ..i18n import N_, _, joined, ngettext, number, percent, signed
from ..runs.results import RunResult, curve_name

MAX_VALUES = 8  # runs one comparison may ask for
Findings = Callable[[Sequence[RunResult], dict[int, str]], list[str]]


@dataclass(frozen=True)
class Control:
    """A RunConfig field the learner sets on an experiment page: a list of values to compare, or one value."""

    field: str
    many: bool = False


@dataclass(frozen=True, kw_only=True)
class Experiment:
    """One question: its runs, their labels, the learner's controls, the chart's first metric, the findings.

    ``configs(base, choices)`` turns the shared settings ``base`` and the controls' values into the runs.
    The default runs are ``configs(self.base, self.choices)``.
    """

    name: str
    title: str  # title, question, intro and caption: English, translated where shown
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
            return [_("No runs yet.")]
        label = {id(r): self.label(r.config) for r in results}
        best = max(results, key=lambda r: r.test_accuracy)
        baseline = next((r for r in results if self.baseline(r.config)), results[0])
        # Translators: {run}: a run label, e.g. "30 epochs"; {accuracy}: e.g. "88.12%"
        out = [_("Best test accuracy: {run} with {accuracy}.").format(run=label[id(best)],
                                                                      accuracy=percent(best.test_accuracy))]
        if best is not baseline:
            gain = 100 * (best.test_accuracy - baseline.test_accuracy)
            ratio = best.train_seconds / max(baseline.train_seconds, 1e-9)
            if round(ratio, 1) == 1.0:
                # Translators: {gain}: percentage points with a sign, e.g. "+0.51"; {baseline}: the baseline run's
                # label, e.g. "10 epochs"; {accuracy}: its test accuracy, e.g. "87.61%"
                sentence = _("That is {gain} points over {baseline} ({accuracy}), in about the same training time.")
            else:
                # Translators: {gain}: percentage points with a sign, e.g. "+0.51"; {baseline}: the baseline run's
                # label, e.g. "10 epochs"; {accuracy}: its test accuracy, e.g. "87.61%"; {ratio}: e.g. "2.9"
                sentence = _("That is {gain} points over {baseline} ({accuracy}), for {ratio}x its training time.")
            out.append(sentence.format(gain=signed(gain), baseline=label[id(baseline)],
                                       accuracy=percent(baseline.test_accuracy), ratio=number(ratio, 1)))
        else:
            # Translators: {run}: the baseline run's label, the one the others are measured against, e.g. "10 epochs"
            out.append(_("The baseline, {run}, is the best of these runs.").format(run=label[id(baseline)]))
        return out + self.findings(results, label)


def parse_values(field_name: str, text: str) -> tuple[Any, ...]:
    """Comma-separated values of one RunConfig field, each checked against its range; raises ConfigError."""
    spec, values = FIELD[field_name], []
    for part in text.replace(";", ",").split(","):
        if part.strip():
            try:
                values.append(spec.parse(part))
            except ConfigError as exc:
                # Translators: {value}: one value the learner typed, e.g. "abc"; {reason}: why, e.g. "dropout must be a
                # number (0 to below 1)"
                raise ConfigError(_("'{value}' is not usable: {reason}").format(value=part.strip()[:20],
                                                                                reason=exc)) from None
    if not values:
        raise ConfigError(_("enter at least one value"))
    if len(values) > MAX_VALUES:
        # Translators: {n}: the most values one comparison takes, 8
        raise ConfigError(_("compare at most {n} values at a time").format(n=MAX_VALUES))
    return tuple(dict.fromkeys(values))


def sweep(*, name: str, title: str, question: str, intro: str, field_name: str, values: tuple[Any, ...],
          baseline: Any, label: Callable[[Any], str], findings: Findings, base: RunConfig | None = None,
          **options: Any) -> Experiment:
    """An experiment that varies one field over a list of values, everything else shared."""
    return Experiment(
        name=name, title=title, question=question, intro=intro, controls=(Control(field_name, many=True),),
        choices={field_name: values},
        make_configs=lambda base, chosen: [base.with_(**{field_name: v}) for v in chosen[field_name]],
        make_label=lambda config: label(getattr(config, field_name)), findings=findings, base=base or RunConfig(),
        baseline=lambda config: getattr(config, field_name) == baseline and not config.target_accuracy,
        **options,
    )


def _early_stopping_label(config: RunConfig) -> str:
    if config.patience:
        return FIELD["patience"].shown(config.patience)
    if config.target_accuracy:
        return FIELD["target_accuracy"].shown(config.target_accuracy)
    # Translators: a run label; {n}: the epochs it trains for, e.g. 30
    return _("no early stop, {n} epochs").format(n=config.epochs)


def _early_stopping_configs(base: RunConfig, chosen: Mapping[str, Any]) -> list[RunConfig]:
    """No stopping, stop at a training-accuracy target, stop on validation-loss patience."""
    plain = base.with_(target_accuracy=0.0, patience=0)
    return [plain, plain.with_(target_accuracy=chosen["target_accuracy"]), plain.with_(patience=chosen["patience"])]


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
    # Translators: {epochs}: e.g. 30; {best}: an epoch number, e.g. 7; {lowest}, {last}: validation losses, e.g.
    # "0.321", "0.402"
    out = [_("In the {epochs}-epoch run, validation loss was lowest after epoch {best} ({lowest}) and ended at "
             "{last}.").format(epochs=longest.epochs_run, best=best_epoch,
                               lowest=number(h["val_loss"][best_epoch - 1], 3), last=number(h["val_loss"][-1], 3))]
    if best_epoch < longest.epochs_run and h["val_loss"][-1] > h["val_loss"][best_epoch - 1]:
        # Translators: {before}, {after}: training accuracies, e.g. "89.02%", "93.40%"
        out.append(_("After that, training accuracy still rose from {before} to {after} while validation loss "
                     "rose: the network began to memorise its training images (overfitting).")
                   .format(before=percent(h["accuracy"][best_epoch - 1]), after=percent(h["accuracy"][-1])))
    else:
        out.append(_("Validation loss was still falling at the end: more epochs may still help."))
    return out


def _conclude_units(results: Sequence[RunResult], label: dict[int, str]) -> list[str]:
    ordered = sorted(results, key=lambda r: r.config.hidden_units)
    steps = []
    for a, b in zip(ordered, ordered[1:], strict=False):
        steps.append((label[id(b)], 100 * (b.test_accuracy - a.test_accuracy), b.parameters / a.parameters))
    if not steps:
        return []
    # Translators: one step of a list joined by "; "; {run}: a run label, e.g. "512 units"; {gain}: percentage
    # points with a sign, e.g. "+0.48"; {factor}: e.g. "4.0"
    text = joined(_("{run}: {gain} points for {factor}x the parameters").format(
        run=name, gain=signed(gain), factor=number(factor, 1)) for name, gain, factor in steps)
    first_gain, last_gain = steps[0][1], steps[-1][1]
    verdict = (_("So each step up buys less accuracy than the one before: diminishing returns.")
               if last_gain < first_gain else _("So the larger steps still pay off here."))
    # Translators: {steps}: the steps above, e.g. "32 units: +2.10 points for 3.9x the parameters; 128 units: …"
    return [_("Going up in size — {steps}.").format(steps=text), verdict]


def _conclude_layers(results: Sequence[RunResult], label: dict[int, str]) -> list[str]:
    one = next((r for r in results if r.config.extra_layers == 0), None)
    deeper = [r for r in results if r.config.extra_layers > 0]
    if one is None or not deeper:
        return []
    best_deep = max(deeper, key=lambda r: r.test_accuracy)
    diff = 100 * (best_deep.test_accuracy - one.test_accuracy)
    # Translators: {run}: the deeper run's label, e.g. "3 hidden layers"; {diff}: its test accuracy minus the
    # one-layer network's, percentage points with a sign, e.g. "+0.42" (the same in the next two messages);
    # {factor}: how many times the parameters, e.g. "1.33"
    sentence = (_("Stacking layers helps here: the best deeper network ({run}) is {diff} points from one hidden "
                  "layer, with {factor}x the parameters.") if diff > 0.3 else
                # Translators: as above; {diff} is negative here, e.g. "-0.61"
                _("Stacking layers hurts here: the best deeper network ({run}) is {diff} points from one hidden "
                  "layer, with {factor}x the parameters.") if diff < -0.3 else
                # Translators: as above; {diff} is small, e.g. "+0.12" or "-0.20"
                _("Stacking layers makes little difference here: the best deeper network ({run}) is {diff} points "
                  "from one hidden layer, with {factor}x the parameters."))
    return [sentence.format(run=label[id(best_deep)], diff=signed(diff),
                            factor=number(best_deep.parameters / one.parameters, 2))]


def _conclude_normalisation(results: Sequence[RunResult], label: dict[int, str]) -> list[str]:
    norm = next((r for r in results if r.config.normalize), None)
    raw = next((r for r in results if not r.config.normalize), None)
    if norm is None or raw is None:
        return []
    diff = 100 * (norm.test_accuracy - raw.test_accuracy)
    first = (norm.history["loss"][0], raw.history["loss"][0])
    # Translators: {normalised}, {raw}: training losses after epoch 1, e.g. "0.512", "4.873"
    after = (_("After the first epoch the training loss is {normalised} normalised vs {raw} raw: large raw inputs "
               "make the first updates much rougher.") if first[1] > first[0] else
             # Translators: {normalised}, {raw}: training losses after epoch 1, e.g. "0.512", "0.498"
             _("After the first epoch the training loss is {normalised} normalised vs {raw} raw."))
    # Translators: {normalised}, {raw}: test accuracies, e.g. "87.82%", "84.10%"; {diff}: percentage points with a
    # sign, e.g. "+3.72"
    return [_("Normalised inputs reach {normalised} test accuracy, raw 0-255 inputs {raw} ({diff} points for "
              "normalising).").format(normalised=percent(norm.test_accuracy), raw=percent(raw.test_accuracy),
                                      diff=signed(diff)),
            after.format(normalised=number(first[0], 3), raw=number(first[1], 3))]


def _conclude_early_stopping(results: Sequence[RunResult], label: dict[int, str]) -> list[str]:
    out = []
    full = max(results, key=lambda r: r.epochs_run)
    for r in results:
        if r.stopped_early_at:
            # Translators: {run}: a run label, e.g. "patience 3"; {epoch}: e.g. 9; {epochs}: e.g. 30; {accuracy},
            # {full_accuracy}: e.g. "88.02%"; {full_epochs}: e.g. 30; {share}: of the full run's time, e.g. "31%"
            out.append(_("{run}: stopped after epoch {epoch} of {epochs}, test accuracy {accuracy} (the full "
                         "{full_epochs}-epoch run: {full_accuracy}) in {share} of its time.").format(
                run=label[id(r)], epoch=r.stopped_early_at, epochs=r.config.epochs,
                accuracy=percent(r.test_accuracy), full_epochs=full.epochs_run,
                full_accuracy=percent(full.test_accuracy),
                share=percent(r.train_seconds / max(full.train_seconds, 1e-9), 0)))
            report = r.fit_report()
            if r.config.patience and report:
                # Translators: "It" is the run of the sentence before; {epoch}: e.g. 6
                out.append(_("It kept the weights of epoch {epoch}, the lowest validation loss.")
                           .format(epoch=report.best_epoch))
    if not out:
        out.append(_("No run stopped early: the stopping rule never fired within these epochs."))
    return out


def _conclude_dropout(results: Sequence[RunResult], label: dict[int, str]) -> list[str]:
    reports = [(r, r.fit_report()) for r in sorted(results, key=lambda r: r.config.dropout)]
    reports = [(r, rep) for r, rep in reports if rep is not None]
    if len(reports) < 2:
        return []
    # Translators: one item of a list joined by "; "; {run}: a run label, e.g. "dropout 0.2"; {gap}: training minus
    # validation accuracy, percentage points with a sign, e.g. "+3.1"
    gaps = joined(_("{run}: {gap} points").format(run=label[id(r)], gap=signed(100 * rep.gap, 1))
                     for r, rep in reports)
    (none, first), (most, last) = reports[0], reports[-1]
    change = 100 * (most.test_accuracy - none.test_accuracy)
    if last.gap < first.gap - 0.005:
        # Translators: {shrink}: percentage points, e.g. "2.4"; {change}: with a sign, e.g. "+0.30"; {first}, {last}:
        # run labels, e.g. "dropout 0", "dropout 0.5"
        verdict = _("More dropout shrank the gap between training and validation accuracy by {shrink} points: it "
                    "held back memorising; test accuracy changed by {change} points from {first} to {last}.")
    else:
        # Translators: {change}: percentage points with a sign, e.g. "-0.12"; {first}, {last}: run labels, e.g.
        # "dropout 0", "dropout 0.5"
        verdict = _("Dropout did not shrink the gap between training and validation accuracy here; test accuracy "
                    "changed by {change} points from {first} to {last}.")
    # Translators: {gaps}: the list above, e.g. "dropout 0: +6.2 points; dropout 0.2: +3.1 points"
    return [_("Training accuracy minus validation accuracy after the last epoch — {gaps}.").format(gaps=gaps),
            verdict.format(shrink=number(100 * (first.gap - last.gap), 1), change=signed(change),
                           first=label[id(none)], last=label[id(most)])]


EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (
    sweep(name="epochs", title=N_("Epochs"), question=N_("What happens if I train longer?"),
          intro=N_("Each run trains the same network for a different number of epochs."),
          field_name="epochs", values=(1, 5, 10, 30), baseline=10,
          # Translators: a run label; {n}: epochs, e.g. 30
          label=lambda n: ngettext("{n} epoch", "{n} epochs", n).format(n=n), findings=_conclude_epochs,
          caption=N_("Runs with the same seed start identically, so a shorter run's line lies under the first "
                     "epochs of a longer one (drawn wider underneath).")),
    sweep(name="units", title=N_("Hidden units"), question=N_("Do more hidden units make a better network?"),
          intro=N_("Each run gives the hidden layer a different number of units. More units mean more parameters "
                   "and more time; see how much accuracy each step buys."),
          field_name="hidden_units", values=(10, 32, 128, 512, 1024), baseline=128,
          # Translators: a run label; {n}: hidden units, e.g. 512
          label=lambda n: ngettext("{n} unit", "{n} units", n).format(n=n), findings=_conclude_units),
    sweep(name="layers", title=N_("Layers"), question=N_("Do more hidden layers help?"),
          intro=N_("Each run stacks a different number of hidden Dense(relu) layers of the same size."),
          field_name="extra_layers", values=(0, 1, 2, 3), baseline=0,
          # Translators: a run label; {n}: hidden layers, e.g. 3
          label=lambda v: ngettext("{n} hidden layer", "{n} hidden layers", 1 + v).format(n=1 + v),
          findings=_conclude_layers),
    sweep(name="normalisation", title=N_("Normalisation"), question=N_("Does dividing the pixels by 255 matter?"),
          intro=N_("Two runs: pixels divided by 255 (0-1) and raw pixels (0-255); everything else is the same."),
          field_name="normalize", values=(True, False), baseline=True,
          label=lambda v: _("normalised /255") if v else _("raw 0-255"), findings=_conclude_normalisation,
          metric="loss"),
    sweep(name="dropout", title=N_("Dropout"), question=N_("Does dropout help?"),
          intro=N_("The lessons add `Dropout(0.2)` to reduce overfitting. Each run trains the same network for 30 "
                   "epochs, long enough to start memorising its training images, with a different dropout rate; "
                   "compare the gap between training and validation accuracy."),
          field_name="dropout", values=(0.0, 0.2, 0.5), baseline=0.0,
          label=FIELD["dropout"].shown, findings=_conclude_dropout,
          base=RunConfig(epochs=30)),
    Experiment(
        name="early_stopping", title=N_("Early stopping"),
        question=N_("Can training stop by itself at the right time?"),
        intro=N_("Three runs with the same settings: one trains for every epoch; one stops when **training "
                 "accuracy** reaches a target you pick (a Keras callback that sets `model.stop_training`); one stops "
                 "when **validation loss** has not improved for a few epochs (Keras `EarlyStopping` with "
                 "`restore_best_weights=True`, so the saved model is the one from its best epoch)."),
        controls=(Control("target_accuracy"), Control("patience")), choices={"target_accuracy": 0.9, "patience": 3},
        make_configs=_early_stopping_configs, make_label=_early_stopping_label, findings=_conclude_early_stopping,
        base=RunConfig(epochs=30), metric="loss",
        baseline=lambda config: not config.target_accuracy and not config.patience,
        code="""class StopAtAccuracy(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if logs["accuracy"] >= target:
            self.model.stop_training = True

keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)"""),
)}


def best_final_sentence(split: str, metric: str, run: str, value: float) -> str:
    """The caption under an experiment's chart: 'Highest validation accuracy after the last epoch: 256 units
    (0.8812).' (the lowest for a loss), one sentence per metric so each language can agree with its noun."""
    if metric == "accuracy":
        # Translators: {what}: "validation accuracy" or "training accuracy"; {run}: a run label, e.g. "256 units";
        # {value}: e.g. "0.8812"
        sentence = _("Highest {what} after the last epoch: {run} ({value}).")
    else:
        # Translators: {what}: "validation loss" or "training loss"; {run}: a run label, e.g. "30 epochs";
        # {value}: e.g. "0.3214"
        sentence = _("Lowest {what} after the last epoch: {run} ({value}).")
    return sentence.format(what=curve_name(split, metric), run=run, value=number(value, 4))


def sweep_labels(experiment: Experiment, results: Sequence[RunResult]) -> dict[str, dict[str, list[float]]]:
    """Histories keyed by run label, for comparison charts."""
    return {experiment.label(r.config): r.history for r in results}
