"""Statistics of the data set: class counts, mean images, pixel histograms, the most alike classes.

Every function takes arrays and returns arrays, so each number on the Data page is computed, not typed in; the
captions at the end word them in the reader's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..i18n import _, joined, number, percent, span


def class_counts(labels: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """How many images of each class."""
    return np.bincount(np.asarray(labels, int), minlength=n_classes)


def mean_images(images: np.ndarray, labels: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """The average image of each class, (n_classes, 28, 28) float (0 where a class is absent)."""
    out = np.zeros((n_classes, *images.shape[1:]), np.float64)
    for c in range(n_classes):
        members = images[labels == c]
        if len(members):
            out[c] = members.mean(axis=0)
    return out


@dataclass(frozen=True)
class PixelHistogram:
    """Counts of pixel values in equal bins, and the value range."""

    counts: np.ndarray
    edges: np.ndarray
    minimum: float
    maximum: float


def pixel_histogram(images: np.ndarray, normalize: bool, bins: int = 32) -> PixelHistogram:
    """Histogram of all pixel values, raw (0-255) or divided by 255 (0-1)."""
    values = np.asarray(images, np.float64).ravel()
    if normalize:
        values = values / 255.0
    top = 1.0 if normalize else 255.0
    counts, edges = np.histogram(values, bins=bins, range=(0.0, top))
    return PixelHistogram(counts, edges, float(values.min()), float(values.max()))


def most_alike(means: np.ndarray, top: int = 3) -> list[tuple[int, int, float]]:
    """Pairs of classes whose mean images are closest (root-mean-square pixel difference), closest first."""
    pairs = []
    for a in range(len(means)):
        for b in range(a + 1, len(means)):
            pairs.append((a, b, float(np.sqrt(np.mean((means[a] - means[b]) ** 2)))))
    return sorted(pairs, key=lambda p: p[2])[:top]

# --------------------------------------------------------------------------- the Data page's captions


def counts_caption(train_counts: np.ndarray, test_counts: np.ndarray) -> str:
    """'Training: 6,000 per class; test: 1,000. Every class is equally common, so …' (a range when counts differ)."""
    # Translators: {train}, {test}: images per class, one count ("6,000") or a range ("38–41")
    text = _("Training: {train} per class; test: {test}.").format(
        train=span(train_counts.min(), train_counts.max()), test=span(test_counts.min(), test_counts.max()))
    if len(set(train_counts.tolist())) == 1 and len(set(test_counts.tolist())) == 1:
        # Translators: {share}: "10%"
        text += " " + _("Every class is equally common, so guessing gives {share} accuracy.").format(
            share=percent(0.1, 0))
    return text


def alike_caption(alike: Sequence[tuple[int, int, float]], names: Sequence[str]) -> str:
    """The caption under the mean images, naming the most alike pairs of ``most_alike``."""
    # Translators: two classes and their difference; {a}, {b}: class names, e.g. "Shirt", "Coat"; {d}: e.g. 31
    pairs = joined(_("{a} and {b} ({d})").format(a=names[a], b=names[b], d=number(d)) for a, b, d in alike)
    # Translators: {pairs}: e.g. "Shirt and T-shirt/top (31); Pullover and Coat (33)"
    return _("Each picture is the pixel-by-pixel mean of all training images of that class. The most alike "
             "averages (root-mean-square difference of pixel values): {pairs}. Classes that look alike on average "
             "are the hard ones to tell apart.").format(pairs=pairs)


def browse_alt(split: str, n: int) -> str:
    """The image grid's alt text, one sentence per split ('20 training images with their index and label')."""
    if split == "training":
        # Translators: {n}: images shown, e.g. 20
        return _("{n} training images with their index and label").format(n=n)
    # Translators: {n}: images shown, e.g. 20
    return _("{n} test images with their index and label").format(n=n)


def browse_caption(split: str, n: int, total: int, classes: str, first: int, last: int) -> str:
    """The caption under the image grid, one sentence per split: '20 of the 6,000 training images of Coat, …'."""
    if split == "training":
        # Translators: {n}: images shown, e.g. 20; {total}: e.g. "6,000"; {classes}: a class name, e.g. "Coat", or
        # "all classes"; {first}, {last}: image numbers, e.g. 19, 402
        sentence = _("{n} of the {total} training images of {classes}, from #{first} to #{last}; each title is the "
                     "image's number and its label.")
    else:
        # Translators: as above, for the test images; {total}: e.g. "1,000"
        sentence = _("{n} of the {total} test images of {classes}, from #{first} to #{last}; each title is the "
                     "image's number and its label.")
    return sentence.format(n=n, total=number(total), classes=classes, first=first, last=last)
