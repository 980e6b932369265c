"""Statistics of the data set: class counts, mean images, pixel histograms, the most alike classes.

Every function takes arrays and returns arrays, so each number on the Data page is computed, not typed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
