"""Looking inside the data and the network: counts, mean images, histograms, weights, activations, softmax.

Every function takes arrays (or a Keras model's weights) and returns arrays, so each number on the Data and
Concepts pages is computed, not typed in. The forward pass here is done in NumPy from the model's own
weights, layer by layer, so the pages can show what happens between the layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import RunConfig


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


def flatten(image: np.ndarray) -> np.ndarray:
    """The 784-long vector the first Dense layer reads: row after row of the 28x28 image."""
    return np.asarray(image).reshape(-1)


def dense_layers(model) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """(kernel, bias, activation name) of each Dense layer of a model, in order."""
    out = []
    for layer in model.layers:
        if type(layer).__name__ == "Dense":
            kernel, bias = (np.asarray(w) for w in layer.get_weights())
            out.append((kernel, bias, layer.activation.__name__))
    return out


def weight_images(model) -> np.ndarray:
    """The first hidden layer's weights of each unit as a 28x28 image, (units, 28, 28)."""
    kernel = dense_layers(model)[0][0]
    return kernel.T.reshape(-1, 28, 28)


@dataclass(frozen=True)
class ForwardPass:
    """Everything computed for one image on its way through the network."""

    inputs: np.ndarray  # (784,) after normalisation
    pre_activations: np.ndarray  # first hidden layer before ReLU, (units,)
    activations: np.ndarray  # first hidden layer after ReLU
    scores: np.ndarray  # output layer before softmax, (10,)
    probabilities: np.ndarray  # after softmax

    @property
    def zeroed(self) -> int:
        """How many first-layer units ReLU sets to zero for this image."""
        return int(np.sum(self.activations == 0))


def relu(x: np.ndarray) -> np.ndarray:
    """max(0, x), element by element."""
    return np.maximum(0, x)


def softmax(scores: np.ndarray) -> np.ndarray:
    """exp(score) / sum(exp(scores)), computed stably."""
    scores = np.asarray(scores, np.float64)
    shifted = np.exp(scores - scores.max())
    return shifted / shifted.sum()


def forward(model, image: np.ndarray, config: RunConfig) -> ForwardPass:
    """Run one uint8 28x28 image through the model's Dense layers in NumPy (dropout is off at prediction)."""
    x = flatten(image).astype(np.float64)
    if config.normalize:
        x = x / 255.0
    layers = dense_layers(model)
    h, first_pre = x, None
    for kernel, bias, _ in layers[:-1]:
        pre = h @ kernel + bias
        first_pre = pre if first_pre is None else first_pre
        h = relu(pre)
    kernel, bias, _ = layers[-1]
    scores = h @ kernel + bias
    if first_pre is None:  # no hidden layer
        first_pre = np.zeros(0)
    return ForwardPass(x, first_pre, relu(first_pre), scores, softmax(scores))


def one_hot(label: int, n_classes: int = 10) -> np.ndarray:
    """The label as ten numbers: 1 at its class, 0 elsewhere."""
    out = np.zeros(n_classes, np.float64)
    out[int(label)] = 1.0
    return out


def sparse_cross_entropy(probabilities: np.ndarray, label: int) -> float:
    """Loss for an integer label: -log(probability of the true class)."""
    return float(-np.log(max(float(probabilities[int(label)]), 1e-7)))


def categorical_cross_entropy(probabilities: np.ndarray, target: np.ndarray) -> float:
    """Loss for a one-hot label: -sum(target * log(probabilities))."""
    return float(-np.sum(target * np.log(np.clip(probabilities, 1e-7, 1.0))))


def most_alike(means: np.ndarray, top: int = 3) -> list[tuple[int, int, float]]:
    """Pairs of classes whose mean images are closest (root-mean-square pixel difference), closest first."""
    pairs = []
    for a in range(len(means)):
        for b in range(a + 1, len(means)):
            pairs.append((a, b, float(np.sqrt(np.mean((means[a] - means[b]) ** 2)))))
    return sorted(pairs, key=lambda p: p[2])[:top]
