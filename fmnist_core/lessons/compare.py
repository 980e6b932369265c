"""Comparing any stored runs: what differs between them, a row per run, and what the numbers say.

Learning happens between runs ("I doubled the units: what changed?"). These functions take any runs, find
the settings that differ, label each run by them, and word what the measurements show: which change helped
test accuracy most, which run overfits, which was cheapest for its accuracy. Nothing is written in advance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..config import FIELDS, RunConfig
from ..i18n import _, decimal, number, percent, signed
from ..runs.results import MEMORISING_GAP, RunResult

MAX_RUNS = 6  # runs one comparison shows
NEAR_BEST = 0.005  # test accuracy within this of the best counts as "as good" when looking for the cheapest


def differing_fields(configs: Sequence[RunConfig]) -> list[str]:
    """Names of the RunConfig fields whose values are not the same in all ``configs`` (table order)."""
    return [f.name for f in FIELDS if len({getattr(c, f.name) for c in configs}) > 1]


def label(config: RunConfig, fields: Sequence[str]) -> str:
    """'units 256, dropout 0.2': the run by the fields that differ ('epochs 10' when nothing differs)."""
    shown = fields or ["epochs"]
    names = {f.name: f.name_in_label for f in FIELDS}
    return ", ".join(f"{names[name]} {_value(getattr(config, name))}" for name in shown)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return _("on") if value else _("off")
    return decimal(value) if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class CompareRow:
    """One run in a comparison."""

    key: str
    label: str
    differing: dict[str, object]  # field -> value, for the fields that differ between the runs
    test_accuracy: float
    test_loss: float
    parameters: int
    epochs_run: int
    train_seconds: float
    gap: float | None  # final training minus validation accuracy (None without validation)


def rows(results: Sequence[RunResult]) -> list[CompareRow]:
    """One row per run, labelled by the fields that differ."""
    fields = differing_fields([r.config for r in results])
    out = []
    for r in results:
        report = r.fit_report()
        out.append(CompareRow(r.key, label(r.config, fields), {f: getattr(r.config, f) for f in fields},
                              r.test_accuracy, r.test_loss, r.parameters, r.epochs_run, r.train_seconds,
                              report.gap if report else None))
    return out


def findings(results: Sequence[RunResult]) -> list[str]:
    """Sentences computed from the runs: the change that helped most, the run that overfits most, the cheapest."""
    if len(results) < 2:
        return [_("Choose at least two runs to compare.")]
    table = rows(results)
    first, out = table[0], []
    best = max(table[1:], key=lambda r: r.test_accuracy)
    change = 100 * (best.test_accuracy - first.test_accuracy)
    if change > 0:
        # Translators: {first}, {best}: run labels, e.g. "units 128", "units 256"; {first_accuracy}, {best_accuracy}:
        # test accuracies, e.g. "87.82%"; {change}: percentage points, with a sign, e.g. "+0.51"
        out.append(_("Compared with {first} ({first_accuracy}), the change that helped test accuracy most is "
                     "{best}: {change} points ({best_accuracy}).").format(
            first=first.label, first_accuracy=percent(first.test_accuracy), best=best.label, change=signed(change),
            best_accuracy=percent(best.test_accuracy)))
    else:
        # Translators: {first}, {best}: run labels, e.g. "units 128", "units 64"; {first_accuracy}: e.g. "87.82%";
        # {change}: how far {best} is from {first}, percentage points with a sign, e.g. "-0.42"
        out.append(_("None of the other runs beats {first} ({first_accuracy}) on test accuracy; the closest, {best}, "
                     "is {change} points.").format(first=first.label, first_accuracy=percent(first.test_accuracy),
                                                   best=best.label, change=signed(change)))
    with_gap = [r for r in table if r.gap is not None]
    if with_gap:
        worst = max(with_gap, key=lambda r: r.gap)
        if worst.gap > MEMORISING_GAP:
            # Translators: {run}: a run label, e.g. "dropout 0"; {gap}: percentage points, e.g. "4.1"
            out.append(_("{run} overfits most: its training accuracy ends {gap} points above its validation "
                         "accuracy.").format(run=worst.label, gap=number(100 * worst.gap, 1)))
        else:
            # Translators: {gap}: percentage points, e.g. "1.2"; {run}: a run label, e.g. "dropout 0.2"
            out.append(_("No run overfits much: the largest gap between training and validation accuracy is {gap} "
                         "points ({run}).").format(gap=number(100 * worst.gap, 1), run=worst.label))
    top = max(r.test_accuracy for r in table)
    cheapest = min((r for r in table if r.test_accuracy >= top - NEAR_BEST), key=lambda r: r.train_seconds)
    # Translators: {run}: a run label, e.g. "units 64"; {accuracy}: e.g. "87.10%"; {seconds}: e.g. "4.6";
    # {parameters}: e.g. "50,890"
    out.append(_("Cheapest for its accuracy: {run}, {accuracy} in {seconds} s of training with {parameters} "
                 "parameters.").format(run=cheapest.label, accuracy=percent(cheapest.test_accuracy),
                                       seconds=number(cheapest.train_seconds, 1),
                                       parameters=number(cheapest.parameters)))
    return out
