"""The training images nearest to a picture, and whether a picture is unlike all of them.

**Space**: the pixels after the same preparation the network gets (``scale_pixels``: divided by 255), not the
hidden layer's activations: pixels do not depend on the chosen run, a learner can see what is compared, and a
network's activations for a picture unlike its training data are exactly what cannot be trusted.

**Measure**: Euclidean distance between *standardised* images, each minus its mean pixel and divided by its
length (so the distance is sqrt(2 - 2r), r the correlation of the two images' pixels: 0 the same pattern, 1
unrelated). Plain Euclidean distance grows with the amount of ink: on the real data a noise patch, three lines
of printed text and a large "HELLO" were nearer to some training image than the 99th percentile of the test
images, so they would pass; standardised, the pattern counts, not the brightness, and they are flagged. A flat
picture (one grey level, e.g. a black square on white once inverted) has no pattern: it is 0 after
standardising, at distance 1 from every training image. A single long line of text squeezed into a thin strip
is near thin bags in either measure, and passes.

**Search**: a PCA projection (64 dimensions) of the standardised training images picks the 512 rows nearest in
the projection; those are measured exactly on the stored uint8 pixels and the k nearest returned. Against a
search of every row (``tests/core/data/test_neighbours.py``, ``benchmarks/bench_neighbours.py``) it found the same
five for 100 of 100 real test images.

**Threshold**: the 99th percentile of the nearest-training-image distance of every 10th test image of the loaded
data set (1,000 of Fashion-MNIST's), found with the index; ``neighbour_index`` builds both once per data set and
process (about 4 CPU-s on the real data).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np

from ..config import scale_pixels
from ..i18n import _, number, percent
from .sources import Dataset

PASS_SHARE = 0.99  # of real test images under the threshold
CALIBRATION_IMAGES = 1000  # test images the threshold is computed from (a fixed, evenly spread sample)
_PCA_ROWS = 10_000  # training images the projection is fitted on (evenly spread)
_CHUNK = 8192  # rows converted to floats at a time


def network_pixels(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, 28, 28) or one (28, 28) as the network gets them, flattened: (N, 784) float32 in 0-1."""
    return scale_pixels(np.asarray(images, np.float32), True).reshape(-1, 784)


def standardise(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 784) pixels minus each row's mean, divided by its length; and the lengths (0 for a flat row)."""
    centred = pixels - pixels.mean(axis=1, keepdims=True)
    lengths = np.linalg.norm(centred, axis=1)
    return centred / np.where(lengths > 0, lengths, 1)[:, None], lengths


def unlike_warning() -> str:
    """The sentence said with every answer for a picture over the threshold."""
    return _("This does not look like the clothes I learned from; my answer is a guess.")


def distance_caption(found: Neighbours) -> str:
    """The nearest distance against the threshold, in the reader's language, for the page."""
    # Translators: {distance}: the picture's distance to its nearest training image, e.g. "0.42"; {threshold}: e.g.
    # "0.84"; {share}: e.g. "99%"
    return _("Distance to the nearest: {distance} (0 is the same pattern, 1 unrelated). A picture further than "
             "{threshold} from every training image gets a warning; {share} of the test images are nearer.").format(
        distance=number(found.distances[0], 2), threshold=number(found.threshold, 2), share=percent(PASS_SHARE, 0))


@dataclass(frozen=True)
class Neighbours:
    """The k training images nearest to one picture, nearest first, and whether it is unlike all of them."""

    indices: np.ndarray  # rows of the training set
    labels: np.ndarray
    distances: np.ndarray
    images: np.ndarray  # (k, 28, 28) uint8
    threshold: float  # the index's: a picture further than this from every training image is unlike them

    @property
    def unlike(self) -> bool:
        """True when even the nearest training image is further than the threshold."""
        return bool(self.distances[0] > self.threshold)

    def warning(self) -> str | None:
        """``unlike_warning()`` when the picture is unlike every training image, else None."""
        return unlike_warning() if self.unlike else None


class NeighbourIndex:
    """An exact nearest-neighbour index over uint8 training images (see the module's docstring)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, dims: int = 64, candidates: int = 512) -> None:
        self.images = np.ascontiguousarray(images, np.uint8).reshape(-1, 784)  # the data set's own array, no copy
        self.labels = np.asarray(labels)
        self.candidates = candidates
        self.lengths = np.concatenate([standardise(network_pixels(self.images[a : a + _CHUNK]))[1]
                                       for a in range(0, len(self.images), _CHUNK)]).astype(np.float32)
        self.centre, self.basis = self._fit_projection(dims)
        self.projected = np.concatenate([self._project(self._standardised(slice(a, a + _CHUNK)))
                                         for a in range(0, len(self.images), _CHUNK)])
        self.projected_sq = np.einsum("ij,ij->i", self.projected, self.projected)
        self.threshold = float("inf")  # set by ``calibrate``

    def _standardised(self, rows) -> np.ndarray:
        return standardise(network_pixels(self.images[rows]))[0]

    def _fit_projection(self, dims: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean and the top ``dims`` principal axes (784, dims) of an evenly spread sample of the rows."""
        sample = self._standardised(slice(None, None, max(1, len(self.images) // _PCA_ROWS))).astype(np.float64)
        centre = sample.mean(axis=0)
        _values, vectors = np.linalg.eigh(np.cov(sample - centre, rowvar=False))
        return centre.astype(np.float32), np.ascontiguousarray(vectors[:, ::-1][:, :dims], np.float32)

    def _project(self, standardised: np.ndarray) -> np.ndarray:
        return ((standardised - self.centre) @ self.basis).astype(np.float32)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays the index holds (the uint8 pixels included)."""
        return sum(a.nbytes for a in (self.images, self.labels, self.lengths, self.centre, self.basis,
                                      self.projected, self.projected_sq))

    def _projected_distances(self, queries: np.ndarray) -> np.ndarray:
        """(Q, N) squared distances in the projection of standardised queries (Q, 784) to every row."""
        p = self._project(queries)
        return np.einsum("ij,ij->i", p, p)[:, None] + self.projected_sq[None, :] - 2 * (p @ self.projected.T)

    def _distances(self, query: np.ndarray, rows: np.ndarray | slice) -> np.ndarray:
        """Exact distances of one standardised query (784,) to ``rows``, from the uint8 pixels."""
        lengths = self.lengths[rows]
        dots = (network_pixels(self.images[rows]) @ query) / np.where(lengths > 0, lengths, 1)  # query is centred
        return np.sqrt(np.maximum(float(query @ query) + (lengths > 0) - 2 * dots, 0))

    def _search(self, query: np.ndarray, projected: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, distances) of the k nearest of the candidates the projection picks, nearest first (ties by row)."""
        n = len(projected)
        rows = np.argpartition(projected, self.candidates)[: self.candidates] if self.candidates < n else np.arange(n)
        distances = self._distances(query, rows)
        best = np.lexsort((rows, distances))[:k]
        return rows[best], distances[best]

    def nearest(self, image28: np.ndarray, k: int = 5) -> Neighbours:
        """The k training images nearest to one uint8 28x28 image (exact Euclidean distance, see above)."""
        query = standardise(network_pixels(image28))[0]
        rows, distances = self._search(query[0], self._projected_distances(query)[0], k)
        return Neighbours(rows, self.labels[rows], distances, self.images[rows].reshape(-1, 28, 28), self.threshold)

    def nearest_distances(self, images: np.ndarray, batch: int = 64) -> np.ndarray:
        """Each uint8 image's distance to its nearest training image, (N,) (batched: the threshold's sample)."""
        out = []
        for a in range(0, len(images), batch):
            queries = standardise(network_pixels(images[a : a + batch]))[0]
            projected = self._projected_distances(queries)
            out += [self._search(q, p, 1)[1][0] for q, p in zip(queries, projected, strict=True)]
        return np.asarray(out, np.float32)

    def calibrate(self, test_images: np.ndarray, share: float = PASS_SHARE,
                  sample: int = CALIBRATION_IMAGES) -> float:
        """Set the threshold so that ``share`` of an evenly spread sample of ``test_images`` pass; returns it."""
        picked = test_images[:: max(1, len(test_images) // sample)][:sample]
        self.threshold = float(np.quantile(self.nearest_distances(picked), share))
        return self.threshold


_indexes: weakref.WeakKeyDictionary[Dataset, NeighbourIndex] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def neighbour_index(data: Dataset) -> NeighbourIndex:
    """The index over ``data``'s training images, its threshold calibrated on ``data``'s test images: built once
    per data set and process (a second caller waits for the first build), shared by every session."""
    with _indexes_lock:
        if data not in _indexes:
            index = NeighbourIndex(data.x_train, data.y_train)
            index.calibrate(data.x_test)
            _indexes[data] = index
        return _indexes[data]
