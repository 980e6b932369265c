"""The compiled training loop's own memory: an epoch's images gathered a call at a time."""

import tracemalloc

import numpy as np

from fmnist_core.config import RunConfig
from fmnist_core.net.fast_fit import FastFitter
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
