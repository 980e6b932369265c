"""The compiled training loop's own memory: an epoch's images gathered a call at a time."""

import tracemalloc

import numpy as np

from fmnist_core.config import RunConfig
from fmnist_core.net.fast_fit import FastFitter, epoch_order
from fmnist_core.net.model import seeded_model


def test_an_epoch_gathers_the_images_of_each_call_not_a_shuffled_copy_of_all():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (20_000, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 20_000).astype(np.uint8)
    config = RunConfig(hidden_units=8, epochs=1)
    fitter = FastFitter(seeded_model(config), normalize=True)
    fit = dict(epochs=1, batch_size=32, validation_split=0.2, seed=0, callbacks=[])
    fitter.fit(images, labels, **fit)  # compiled first: tracing allocates on its own
    tracemalloc.start()  # NumPy reports its arrays to tracemalloc
    try:
        history = fitter.fit(images, labels, **fit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(history["loss"]) == 1
    assert peak < images.size / 4, peak  # the shuffled copy of the 16,000 training images: 12.5 MB


def test_each_call_gets_the_batches_of_the_epochs_shuffled_order():
    """1,025 images, 20% validation: 820 to train on, 25 full batches of 32 and one of 20; two steps a call, so the
    13th call is one step and the 14th the short batch."""
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (1025, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 1025).astype(np.uint8)
    fitter = FastFitter(seeded_model(RunConfig(hidden_units=4)), normalize=True)
    calls, train_chunk = [], fitter._train_chunk  # noqa: SLF001
    fitter._train_chunk = lambda x, y: calls.append((x.copy(), y.copy())) or train_chunk(x, y)  # noqa: SLF001
    fitter.fit(images, labels, epochs=2, batch_size=32, validation_split=0.2, seed=7, callbacks=[])
    expected = []
    for epoch in range(2):
        order = epoch_order(820, 7, epoch)
        x, y = images[:820][order], labels[:820].astype(np.int32)[order]
        full_x, full_y = x[:800].reshape(25, 32, 28, 28), y[:800].reshape(25, 32)
        expected += [(full_x[s : s + 2], full_y[s : s + 2]) for s in range(0, 25, 2)]
        expected.append((x[None, 800:], y[None, 800:]))
    assert [(x.shape, y.shape) for x, y in calls] == [(x.shape, y.shape) for x, y in expected]
    assert calls[12][0].shape == (1, 32, 28, 28) and calls[13][0].shape == (1, 20, 28, 28)
    for (x, y), (ex, ey) in zip(calls, expected, strict=True):
        np.testing.assert_array_equal(x, ex)
        np.testing.assert_array_equal(y, ey)
