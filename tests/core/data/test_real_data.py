"""Tests on the real Fashion-MNIST data set (marked real_data; skipped when it is not installed)."""

import time

import numpy as np
import pytest

from fmnist_core.config import RunConfig
from fmnist_core.data.intake import prepare_image
from fmnist_core.runs.cache import RunCache
from tests.support import drawing, product_photo

pytestmark = pytest.mark.real_data


def test_real_data_shapes_and_balance(real_data):
    assert real_data.x_train.shape == (60_000, 28, 28) and real_data.x_test.shape == (10_000, 28, 28)
    assert real_data.x_train.dtype == np.uint8 and real_data.x_train.max() == 255
    assert np.bincount(real_data.y_train).tolist() == [6000] * 10
    assert np.bincount(real_data.y_test).tolist() == [1000] * 10


def test_default_run_reaches_85_percent_and_is_cached(real_default_run, real_data):
    cache, result = real_default_run
    assert result.test_accuracy >= 0.85
    assert result.history["val_accuracy"][-1] >= 0.84 and len(result.history["loss"]) == 10
    start = time.perf_counter()
    again = RunCache(cache.root).fetch(RunConfig(), real_data)
    assert again.from_cache and time.perf_counter() - start < 5  # generous: the benchmark measures it properly
    assert again.run.test_accuracy == result.test_accuracy


@pytest.mark.parametrize("kind", ["jpeg", "png", "drawing"])
def test_pictures_through_the_pipeline_classify_nearly_as_well(real_default_run, real_data, kind):
    _, result = real_default_run
    rng = np.random.default_rng(7)
    indices = rng.choice(len(real_data.y_test), 300, replace=False)
    make = {"jpeg": lambda g: product_photo(g, rng, "JPEG"), "png": lambda g: product_photo(g, rng, "PNG"),
            "drawing": lambda g: drawing(g, rng)}[kind]
    finals = np.stack([prepare_image(make(real_data.x_test[i])).final for i in indices])
    labels = real_data.y_test[indices]
    raw_accuracy = np.mean(result.test_probabilities[indices].argmax(1) == labels)
    pipeline_accuracy = np.mean(result.predict(finals).argmax(1) == labels)
    assert pipeline_accuracy >= raw_accuracy - 0.05, (kind, raw_accuracy, pipeline_accuracy)


def test_the_timeline_of_the_default_run_starts_at_chance_and_ends_at_the_run(real_default_run, real_data):
    from fmnist_core.runs import Timeline

    cache, run = real_default_run
    timeline = Timeline(cache.epoch_networks(cache.load(run.key)), real_data.x_test, real_data.y_test)
    assert timeline.epochs == tuple(range(11))  # before training, then every epoch
    accuracies = [timeline.frame(e).accuracy for e in timeline.epochs]
    assert 0.02 < accuracies[0] < 0.25  # random weights: about chance
    assert accuracies[1] > 0.75 and accuracies[-1] == pytest.approx(run.test_accuracy)
    assert timeline.changes(1).startswith("In its first epoch the network went from")
    assert "taken for" in timeline.changes(2)  # a confusion changed between epochs 1 and 2
