"""Evaluation helpers: predictions, confusion matrix, per-class accuracy, picking examples to show."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.sources import class_label
from ..i18n import N_, _, percent


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Counts (n_classes, n_classes): row = true class, column = predicted class."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    return matrix


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """Share of each true class predicted correctly (NaN for a class with no examples)."""
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(matrix) / np.maximum(totals, 1), np.nan)


def correct_count(probabilities: np.ndarray, labels: np.ndarray) -> int:
    """How many of these images the network classifies correctly."""
    return int(np.sum(np.asarray(probabilities).argmax(axis=1) == np.asarray(labels)))


def confused_indices(labels: np.ndarray, probabilities: np.ndarray, true: int, predicted: int) -> np.ndarray:
    """Indices of the test images of one confusion-matrix cell: true class ``true`` predicted as ``predicted``."""
    return np.flatnonzero((np.asarray(labels) == true) & (np.asarray(probabilities).argmax(axis=1) == predicted))


@dataclass(frozen=True)
class ClassReport:
    """One true class: its accuracy, how many test images it has, and its most common wrong answer."""

    name: str  # in the reader's language
    accuracy: float
    images: int
    top_mistake: str | None  # e.g. "Shirt (112)"


def class_reports(matrix: np.ndarray) -> list[ClassReport]:
    """Per-class accuracy with each class's most frequent wrong prediction."""
    accuracy, reports = per_class_accuracy(matrix), []
    for true, row in enumerate(matrix):
        wrong = row.copy()
        wrong[true] = 0
        worst = int(wrong.argmax())
        reports.append(ClassReport(class_label(true), float(accuracy[true]), int(row.sum()),
                                   f"{class_label(worst)} ({int(wrong[worst])})" if wrong[worst] else None))
    return reports


def hardest_class(reports: list[ClassReport]) -> str:
    """'The hardest class is Shirt (63.4% right), most often taken for T-shirt/top (112).' (the class of
    ``reports`` with the lowest accuracy)."""
    hardest = min(reports, key=lambda r: r.accuracy)
    right = percent(hardest.accuracy, 1)
    if hardest.top_mistake:
        # Translators: {name}: a class, e.g. "Shirt"; {right}: the share of its test images classified correctly, e.g.
        # "63.4%"; {other}: the class it is most often taken for, e.g. "T-shirt/top"
        return _("The hardest class is {name} ({right} right), most often taken for {other}.").format(
            name=hardest.name, right=right, other=hardest.top_mistake)
    # Translators: {name}: a class, e.g. "Shirt"; {right}: the share of its test images classified correctly,
    # e.g. "63.4%"
    return _("The hardest class is {name} ({right} right).").format(name=hardest.name, right=right)


def most_confused(matrix: np.ndarray, top: int = 3) -> list[tuple[int, int, int]]:
    """The largest off-diagonal cells as (true, predicted, count), biggest first."""
    off = matrix.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1][:top]
    return [(int(i // off.shape[1]), int(i % off.shape[1]), int(off.flat[i])) for i in order if off.flat[i] > 0]


# Which test images the prediction grid shows, and each choice's name (English, translated where shown)
SELECTIONS = {"random": N_("random"), "mistakes": N_("only mistakes"), "class": N_("one class")}


def select_examples(
    y_true: np.ndarray,
    probabilities: np.ndarray,
    n: int,
    mode: str = "random",
    class_index: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Indices of up to ``n`` test images: random, only mistakes, or only one true class (in random order)."""
    if mode not in SELECTIONS:
        raise ValueError(f"mode must be one of {tuple(SELECTIONS)}, got {mode!r}")
    candidates = np.arange(len(y_true))
    if mode == "mistakes":
        candidates = candidates[probabilities.argmax(axis=1) != y_true]
    elif mode == "class":
        if class_index is None or not 0 <= class_index < probabilities.shape[1]:
            raise ValueError("choose a class (0-9) to show")
        candidates = candidates[y_true == class_index]
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(candidates, size=min(n, len(candidates)), replace=False))


@dataclass(frozen=True)
class Prediction:
    """One image's prediction, worded as the TensorFlow tutorial words it."""

    predicted: int
    true: int | None
    confidence: float

    @property
    def correct(self) -> bool:
        """True when the prediction matches the true class (or there is none)."""
        return self.true is None or self.predicted == self.true

    @property
    def mark(self) -> str:
        """'✓' right, '✗' wrong, '' without a true class: what the blue/red colour says, for every reader."""
        if self.true is None:
            return ""
        return "✓" if self.correct else "✗"

    @property
    def label(self) -> str:
        """'Sneaker 97% (Sandal)' — predicted class, confidence, and the true class in brackets."""
        text = f"{class_label(self.predicted)} {percent(self.confidence, 0)}"
        return text if self.true is None else f"{text} ({class_label(self.true)})"


def describe_prediction(probabilities: np.ndarray, true: int | None = None) -> Prediction:
    """The Prediction of one probability vector."""
    predicted = int(np.argmax(probabilities))
    return Prediction(predicted, None if true is None else int(true), float(probabilities[predicted]))


def top_k(probabilities: np.ndarray, k: int = 3) -> list[tuple[str, float]]:
    """The k most likely classes as (name in the reader's language, probability), most likely first."""
    order = np.argsort(probabilities)[::-1][:k]
    return [(class_label(i), float(probabilities[i])) for i in order]
