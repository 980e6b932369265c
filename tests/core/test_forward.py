"""The NumPy forward pass: a big set predicted a block at a time, with the numbers of one product over all rows."""

import tracemalloc

import numpy as np

from fmnist_core.config import RunConfig, model_inputs
from fmnist_core.forward import PREDICT_ROWS, DenseNetwork, relu, softmax


def network(units: int = 64, extra: int = 1, seed: int = 0) -> DenseNetwork:
    rng = np.random.default_rng(seed)
    sizes = [784] + [units] * (1 + extra) + [10]
    layers = tuple((rng.normal(0, 0.05, (a, b)).astype(np.float32), rng.normal(0, 0.1, b).astype(np.float32))
                   for a, b in zip(sizes, sizes[1:], strict=False))
    return DenseNetwork(layers, RunConfig(hidden_units=units, extra_layers=extra))


def all_rows_at_once(net: DenseNetwork, images: np.ndarray) -> np.ndarray:
    """The forward pass as one product over every row (what ``predict`` did before it went a block at a time)."""
    x = model_inputs(images, net.config).reshape(-1, 784)
    for kernel, bias in net.layers[:-1]:
        x = relu(x @ kernel + bias)
    kernel, bias = net.layers[-1]
    return softmax(x @ kernel + bias).astype(np.float32)


def test_a_test_set_predicted_a_block_at_a_time_gives_the_same_numbers():
    images = np.random.default_rng(1).integers(0, 256, (10_000, 28, 28), dtype=np.uint8)
    for net in (network(), network(units=512, extra=0), network(units=7, extra=3)):
        for n in (10_000, 1025, 2049, 2060, 2100, 3080, 4097):  # Fashion-MNIST's, and short last blocks
            np.testing.assert_array_equal(net.predict(images[:n]), all_rows_at_once(net, images[:n]), err_msg=n)
    assert network().predict(images[0]).shape == (1, 10)
    assert network().predict(images[:0]).shape == (0, 10)


def test_predicting_a_test_set_holds_one_block_not_a_float_copy_of_every_image():
    images = np.random.default_rng(2).integers(0, 256, (10_000, 28, 28), dtype=np.uint8)
    net = network(units=256, extra=0)
    tracemalloc.start()  # NumPy reports its arrays to tracemalloc
    try:
        net.predict(images)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    whole = images.size * 4  # the float32 copy of all 10,000 images: 31 MB
    assert peak < whole / 4, peak
    assert peak > PREDICT_ROWS * 784 * 4  # one block's float copy was made
