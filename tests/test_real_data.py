"""Tests on the real Fashion-MNIST data set (marked real_data; skipped when it is not installed)."""

import time

import numpy as np
import pytest

from fmnist_core import data as data_module
from fmnist_core.cache import RunCache
from fmnist_core.config import RunConfig

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def real():
    data_module.forget_loaded_data()
    try:
        return data_module.load_idx_folder(data_module.DEBIAN_DIR)
    except data_module.DataError as exc:
        pytest.skip(f"real data not installed: {exc}")


def test_real_data_shapes_and_balance(real):
    assert real.x_train.shape == (60_000, 28, 28) and real.x_test.shape == (10_000, 28, 28)
    assert real.x_train.dtype == np.uint8 and real.x_train.max() == 255
    assert np.bincount(real.y_train).tolist() == [6000] * 10
    assert np.bincount(real.y_test).tolist() == [1000] * 10


def test_default_run_reaches_85_percent_and_is_cached(real, tmp_path):
    cache = RunCache(tmp_path)
    config = RunConfig(epochs=5)
    result = cache.get_or_train(config, real)
    assert result.test_accuracy >= 0.85
    assert result.history["val_accuracy"][-1] >= 0.84
    start = time.perf_counter()
    again = RunCache(tmp_path).get_or_train(config, real)
    assert again.from_cache and time.perf_counter() - start < 5  # generous: the benchmark measures it properly
    assert again.test_accuracy == result.test_accuracy
