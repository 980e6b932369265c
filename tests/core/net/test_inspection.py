"""The Concepts and Data computations, checked on hand-made data and a model whose weights are set by hand."""

import keras
import numpy as np
import pytest

from fmnist_core.config import RunConfig, model_inputs
from fmnist_core.data.statistics import class_counts, mean_images, pixel_histogram
from fmnist_core.forward import (
    DenseNetwork,
    categorical_cross_entropy,
    cross_entropy,
    flatten,
    one_hot,
    softmax,
)
from fmnist_core.net.model import build_model


def test_counts_means_and_histograms():
    images = np.zeros((4, 28, 28), np.uint8)
    images[1] = 255
    images[3, 0, 0] = 100
    labels = np.array([0, 0, 2, 2])
    assert class_counts(labels).tolist() == [2, 0, 2, 0, 0, 0, 0, 0, 0, 0]
    means = mean_images(images, labels)
    assert means[0].mean() == 127.5 and means[2][0, 0] == 50 and means[1].max() == 0
    raw = pixel_histogram(images, normalize=False, bins=4)
    assert (raw.minimum, raw.maximum) == (0, 255) and raw.counts.sum() == 4 * 784
    norm = pixel_histogram(images, normalize=True, bins=4)
    assert norm.maximum == 1.0 and norm.edges[-1] == 1.0 and norm.counts.tolist() == raw.counts.tolist()


def test_flatten_is_row_after_row():
    image = np.arange(784).reshape(28, 28)
    vector = flatten(image)
    assert vector.shape == (784,) and vector[28] == image[1, 0] and vector[-1] == image[27, 27]


@pytest.fixture
def hand_model():
    """2 hidden units: unit 0 adds the top-left pixel, unit 1 subtracts it; output scores set by hand."""
    config = RunConfig(hidden_units=2)
    model = build_model(config)
    hidden = np.zeros((784, 2))
    hidden[0, 0], hidden[0, 1] = 1.0, -1.0
    model.layers[1].set_weights([hidden, np.array([0.0, 0.5])])
    out = np.zeros((2, 10))
    out[0, 3] = 2.0  # unit 0 votes for Dress
    out[1, 7] = 1.0  # unit 1 votes for Sneaker
    model.layers[2].set_weights([out, np.zeros(10)])
    return model, config


def test_forward_pass_by_hand(hand_model):
    model, config = hand_model
    image = np.zeros((28, 28), np.uint8)
    image[0, 0] = 255  # input 1.0 after normalising
    run = DenseNetwork.from_model(model, config).trace(image)
    np.testing.assert_allclose(run.pre_activations, [1.0, -0.5])
    np.testing.assert_allclose(run.activations, [1.0, 0.0])
    assert run.zeroed == 1
    expected_scores = np.zeros(10)
    expected_scores[3] = 2.0
    np.testing.assert_allclose(run.scores, expected_scores)
    np.testing.assert_allclose(run.probabilities, softmax(expected_scores))
    keras_probabilities = model.predict(model_inputs(image[None], config), verbose=0)[0]
    np.testing.assert_allclose(run.probabilities, keras_probabilities, rtol=1e-5)
    weights = DenseNetwork.from_model(model, config).weight_images()
    assert weights.shape == (2, 28, 28) and weights[0, 0, 0] == 1.0 and weights[1, 0, 0] == -1.0


def test_forward_matches_keras_on_a_deeper_model():
    config = RunConfig(hidden_units=8, extra_layers=2, dropout=0.3)
    keras.utils.set_random_seed(3)
    model = build_model(config)
    image = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    ours = DenseNetwork.from_model(model, config).trace(image).probabilities
    theirs = model.predict(model_inputs(image[None], config), verbose=0)[0]
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


def test_softmax_and_label_forms():
    p = softmax(np.array([1.0, 2.0, 3.0]))
    assert p.sum() == pytest.approx(1.0) and p.argmax() == 2
    assert softmax(np.array([1000.0, 1000.0])).tolist() == [0.5, 0.5]
    assert one_hot(3).tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    probs = softmax(np.arange(10.0))
    assert cross_entropy(probs, 4) == pytest.approx(categorical_cross_entropy(probs, one_hot(4)))


def test_most_alike_pairs():
    from fmnist_core.data.statistics import most_alike

    means = np.zeros((3, 2, 2))
    means[1] += 10
    means[2] += 11
    assert most_alike(means, top=2) == [(1, 2, 1.0), (0, 1, 10.0)]
