"""The board's figures, computed from a class's records: counts, each learner's best run, the first to meet the
challenge, sentences on what the class found, its most common confusion, and the CSV of its runs."""

from __future__ import annotations

import csv
import io
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ..config import RunConfig
from ..i18n import _, ngettext, number, percent
from ..runs.cache import RunCache
from ..runs.evaluation import confusion_matrix, most_confused
from .store import ClassRun, Learner

TUTORIAL = RunConfig()  # the tutorial's own network, marked on the board


@dataclass(frozen=True)
class Best:
    """A learner's best run (highest test accuracy; the earlier of equals), or None before any."""

    nickname: str
    run: ClassRun | None
    runs: int
    met: bool | None  # any of the learner's runs met the challenge (None: no challenge)


@dataclass(frozen=True)
class Board:
    """What the board shows for one class."""

    learners: int
    runs: int
    best: list[Best]  # the best first
    first_to_meet: ClassRun | None
    has_challenge: bool


def board(learners: Sequence[Learner], runs: Sequence[ClassRun], has_challenge: bool) -> Board:
    """The board's figures from the class's learners and records (records oldest first)."""
    by_name: dict[str, list[ClassRun]] = {learner.nickname: [] for learner in learners}
    for run in runs:
        by_name.setdefault(run.nickname, []).append(run)
    best = []
    for name, theirs in by_name.items():
        top = max(theirs, key=lambda r: (r.test_accuracy, -r.at), default=None)
        met = any(r.met for r in theirs) if has_challenge else None
        best.append(Best(name, top, len(theirs), met))
    best.sort(key=lambda b: (b.run is None, -(b.run.test_accuracy if b.run else 0), b.nickname.casefold()))
    first = min((r for r in runs if r.met), key=lambda r: r.at, default=None)
    return Board(len(by_name), len(runs), best, first, has_challenge)


def sentences(found: Board, runs: Sequence[ClassRun]) -> list[str]:
    """What the class's runs say, as plain sentences (nicknames in them as typed: the page shows them as text)."""
    if not runs:
        return [_("No runs yet: the learners' runs appear here as soon as they are trained or looked up.")]
    out = []
    if found.has_challenge:
        met = [b for b in found.best if b.met]
        # Translators: {met}: learners who met the challenge, e.g. 12; {n}: learners in the class, e.g. 18
        out.append(ngettext("{met} of {n} learner met the challenge.", "{met} of {n} learners met the challenge.",
                            found.learners).format(met=len(met), n=found.learners))
        winners = [r for r in runs if r.met]
        if winners:
            smallest = min(winners, key=lambda r: (r.parameters, r.at))
            # Translators: {run}: the run's label, e.g. "24 units x 1 layer, 10 epochs, normalised"; {parameters}:
            # e.g. "19,090"; {name}: the learner's nickname, as typed
            out.append(_("The smallest network that met it: {run} ({parameters} parameters), by {name}.").format(
                run=smallest.config.describe(), parameters=number(smallest.parameters), name=smallest.nickname))
            first = found.first_to_meet
            # Translators: {name}: a learner's nickname, as typed; {when}: a time of day, e.g. "10:42:05"
            out.append(_("First to meet it: {name} at {when} UTC.").format(name=first.nickname, when=clock(first.at)))
    top = max(runs, key=lambda r: (r.test_accuracy, -r.at))
    # Translators: {accuracy}: e.g. "88.4%"; {name}: a learner's nickname, as typed; {run}: the run's label, e.g.
    # "256 units x 1 layer, 20 epochs, normalised"
    out.append(_("Best test accuracy so far: {accuracy} by {name} ({run}).").format(
        accuracy=percent(top.test_accuracy, 1), name=top.nickname, run=top.config.describe()))
    deep = [r.test_accuracy for r in runs if r.config.extra_layers >= 2]
    shallow = [r.test_accuracy for r in runs if r.config.extra_layers == 0]
    if deep and shallow:
        line = float(np.median(shallow))
        worse = sum(a < line for a in deep)
        # Translators: {worse}: runs with 3 or more hidden layers below the median of the 1-layer runs, e.g. 5;
        # {n}: runs with 3 or more hidden layers, e.g. 7; {median}: the 1-layer runs' median test accuracy, e.g.
        # "86.9%"
        out.append(ngettext("{worse} of {n} run with 3 or more hidden layers did worse than the median run with one "
                            "hidden layer ({median}).",
                            "{worse} of {n} runs with 3 or more hidden layers did worse than the median run with "
                            "one hidden layer ({median}).", len(deep)).format(
            worse=worse, n=len(deep), median=percent(line, 1)))
    raw = [r.test_accuracy for r in runs if not r.config.normalize]
    normalised = [r.test_accuracy for r in runs if r.config.normalize]
    if raw and normalised:
        # Translators: {raw}: the median test accuracy of runs on raw pixels, e.g. "80.1%"; {normalised}: of runs
        # on normalised pixels, e.g. "86.9%"
        out.append(_("Runs on raw pixels reached a median test accuracy of {raw}, runs on normalised pixels "
                     "{normalised}.").format(raw=percent(float(np.median(raw)), 1),
                                             normalised=percent(float(np.median(normalised)), 1)))
    return out


def clock(at: float) -> str:
    """A moment's time of day in UTC, '10:42:05'."""
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S")


def of_class(asked: set[str], jobs: Iterable) -> int:
    """How many of the queue's ``jobs`` (running or waiting ones) are runs the class's learners asked for (``keys``
    of ``ClassStore.asked_keys``); the experiment pages' background runs are nobody's. A run is shared: one that a
    learner of another class asked for too counts in both."""
    return sum(1 for job in jobs if not job.background and job.key in asked)


# --------------------------------------------------------------------------- the class's most common confusion

_MATRICES: OrderedDict[tuple, np.ndarray] = OrderedDict()  # (cache, key, run.json's stat, test set) -> matrix
_MATRICES_LOCK = threading.Lock()
_MATRICES_KEPT = 2000


def class_confusion(keys: Iterable[str], cache: RunCache, labels: np.ndarray) -> tuple[int, int, int] | None:
    """The class's most common confusion over its runs' stored test predictions: (true, predicted, count summed
    over the runs), or None. Each run's matrix is computed once per process and kept while its entry's run.json
    is unchanged (a run evaluated on another test set, or no longer stored, is left out)."""
    total = np.zeros((10, 10), dtype=np.int64)
    test_set = (len(labels), hash(np.asarray(labels).tobytes()))
    for key in dict.fromkeys(keys):
        matrix = _matrix(cache, key, labels, test_set)
        if matrix is not None:
            total += matrix
    worst = most_confused(total, top=1)
    return worst[0] if worst else None


def _matrix(cache: RunCache, key: str, labels: np.ndarray, test_set: tuple[int, int]) -> np.ndarray | None:
    try:  # a stat, not a read of the entry: a board refreshes every few seconds over hundreds of runs
        stat = (Path(cache.runs_dir) / key / "run.json").stat()
    except OSError:
        return None
    memo = (str(cache.runs_dir), key, stat.st_mtime_ns, stat.st_size, stat.st_ino, test_set)
    with _MATRICES_LOCK:
        if memo in _MATRICES:
            _MATRICES.move_to_end(memo)
            return _MATRICES[memo]
    run = cache.load(key)
    if run is None or not run.evaluated_on(labels):
        return None
    matrix = confusion_matrix(labels, np.asarray(run.test_probabilities).argmax(axis=1))
    with _MATRICES_LOCK:
        _MATRICES[memo] = matrix
        while len(_MATRICES) > _MATRICES_KEPT:
            _MATRICES.popitem(last=False)
    return matrix


def confusion_sentence(worst: tuple[int, int, int] | None, runs: int) -> str | None:
    """'Across the class's runs, Shirt was most often taken for T-shirt/top (1,234 times in 12 runs).'"""
    from ..data.sources import class_label

    if worst is None:
        return None
    true, predicted, count = worst
    # Translators: {true}: a class, e.g. "Shirt"; {predicted}: the class it was taken for, e.g. "T-shirt/top";
    # {count}: test images summed over the runs, e.g. "1,234"; {runs}: the class's runs counted, e.g. 12
    return ngettext("Across the class's runs, {true} was most often taken for {predicted} ({count} test images in "
                    "{runs} run).",
                    "Across the class's runs, {true} was most often taken for {predicted} ({count} test images in "
                    "{runs} runs).", runs).format(true=class_label(true),
                                                  predicted=class_label(predicted),
                                                  count=number(count), runs=runs)


# --------------------------------------------------------------------------- CSV

CSV_COLUMNS = ("nickname", "when_utc", "config_key", "configuration", "epochs", "hidden_units", "extra_layers",
               "normalize", "dropout", "batch_size", "validation_split", "learning_rate", "seed", "parameters",
               "test_accuracy", "val_accuracy", "train_seconds", "challenge_met")


def runs_csv(runs: Sequence[ClassRun]) -> str:
    """The class's runs as CSV (one row per learner and configuration, oldest first). A nickname that starts
    like a formula gets a leading apostrophe, so a spreadsheet shows it as text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in runs:
        c = r.config
        writer.writerow([_cell(r.nickname), datetime.fromtimestamp(r.at, UTC).isoformat(timespec="seconds"),
                         r.key, c.describe(), c.epochs, c.hidden_units, c.extra_layers, int(c.normalize), c.dropout,
                         c.batch_size, c.validation_split, c.learning_rate, c.seed, r.parameters,
                         round(r.test_accuracy, 4), "" if r.val_accuracy is None else round(r.val_accuracy, 4),
                         round(r.seconds, 2), "" if r.met is None else int(r.met)])
    return out.getvalue()


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
