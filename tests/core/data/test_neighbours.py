"""The nearest training images and the "unlike every training image" warning: the API on a small synthetic data
set, then the real data set (marked real_data): test images pass, pictures that are not clothes are warned."""

from __future__ import annotations

import numpy as np
import pytest

from fmnist_core.data import (
    ImageError,
    NeighbourIndex,
    neighbour_index,
    prepare_image,
    unlike_warning,
)
from tests import support
from tests.support import brute_force, together

WARNING = "This does not look like the clothes I learned from; my answer is a guess."


# --------------------------------------------------------------------------- the API, synthetic data


@pytest.fixture(scope="module")
def synthetic_index(synthetic_dir):
    from fmnist_core.data.sources import load_idx_folder

    data = load_idx_folder(synthetic_dir)
    index = NeighbourIndex(data.x_train, data.y_train)
    index.calibrate(data.x_test)
    return data, index


def test_nearest_is_the_brute_force_nearest(synthetic_index):
    data, index = synthetic_index
    rows, distances = brute_force(data.x_train, data.x_test[:20])
    for image, expected_rows, expected in zip(data.x_test[:20], rows, distances, strict=True):
        found = index.nearest(image, k=5)
        assert found.indices.tolist() == expected_rows.tolist()
        np.testing.assert_allclose(found.distances, expected, atol=1e-5)
        assert found.labels.tolist() == data.y_train[expected_rows].tolist()
        assert found.images.shape == (5, 28, 28) and (found.images == data.x_train[expected_rows]).all()


def test_the_projection_picks_the_candidates_when_there_are_more_rows(synthetic_index):
    data, _ = synthetic_index
    index = NeighbourIndex(data.x_train, data.y_train, dims=16, candidates=60)  # 60 of 400 rows measured
    rows, distances = brute_force(data.x_train, data.x_test)
    found = [index.nearest(image) for image in data.x_test]
    assert all((f.distances >= d - 1e-5).all() for f, d in zip(found, distances, strict=True))  # never too near
    assert np.mean([f.indices[0] == r[0] for f, r in zip(found, rows, strict=True)]) >= 0.9


def test_a_training_image_is_nearest_to_itself_whatever_its_brightness(synthetic_index):
    data, index = synthetic_index
    image = data.x_train[7]
    assert index.nearest(image).indices[0] == 7 and index.nearest(image).distances[0] < 1e-3
    dimmer = index.nearest((image // 2).astype(np.uint8))  # standardised: the pattern counts, not the brightness
    assert dimmer.indices[0] == 7 and dimmer.distances[0] < 0.02


def test_a_flat_picture_is_at_distance_one_from_every_image(synthetic_index):
    _, index = synthetic_index
    found = index.nearest(np.full((28, 28), 255, np.uint8))
    np.testing.assert_allclose(found.distances, 1.0, atol=1e-5)


def test_the_threshold_lets_99_percent_of_the_test_images_pass(synthetic_index):
    data, index = synthetic_index
    distances = index.nearest_distances(data.x_test)
    assert np.mean(distances <= index.threshold) == pytest.approx(0.99)
    assert index.threshold == pytest.approx(np.quantile(distances, 0.99))


def test_the_warning_follows_the_threshold(synthetic_index):
    data, index = synthetic_index
    alike = index.nearest(data.x_train[3])
    assert not alike.unlike and alike.warning() is None
    unlike = index.nearest(np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8))
    assert unlike.distances[0] > index.threshold and unlike.unlike
    assert unlike.warning() == unlike_warning() == WARNING  # English where no language is set


def test_memory_is_counted_from_the_arrays(synthetic_index):
    data, index = synthetic_index
    assert index.nbytes >= data.x_train.nbytes + index.projected.nbytes
    assert np.shares_memory(index.images, data.x_train)  # the data set's pixels, not a copy


def test_one_index_per_data_set_shared_by_threads(synthetic_data, synthetic_dir):
    from fmnist_core.data.sources import load_idx_folder

    found = together(*[lambda: neighbour_index(synthetic_data)] * 4)
    assert len(found) == 4 and all(index is found[0] for index in found)
    assert neighbour_index(load_idx_folder(synthetic_dir)) is not found[0]  # other data loaded: its own index


# --------------------------------------------------------------------------- the real data set


@pytest.fixture(scope="module")
def real_index(real_data):
    return neighbour_index(real_data)


@pytest.mark.real_data
def test_real_test_images_pass_at_about_99_percent(real_data, real_index):
    held_out = np.arange(len(real_data.x_test))[np.arange(len(real_data.x_test)) % 10 != 0][::4]  # not calibrated on
    share = np.mean(real_index.nearest_distances(real_data.x_test[held_out]) <= real_index.threshold)
    assert len(held_out) == 2250 and 0.97 <= share <= 0.999


@pytest.mark.real_data
@pytest.mark.parametrize("picture", [
    support.smiley(dark_on_white=True), support.smiley(dark_on_white=False), support.printed_text(),
    support.printed_text(("Hello world,", "this is", "printed text.")), support.black_square_on_white(),
    support.noise_on_black(cell=1), support.noise_on_black(cell=10),
], ids=["smiley", "smiley-light-on-dark", "text", "text-3-lines", "black-square", "noise", "coarse-noise"])
def test_pictures_that_are_not_clothes_are_warned(real_index, picture):
    assert real_index.nearest(prepare_image(picture).final).unlike


@pytest.mark.real_data
def test_noise_as_the_network_would_get_it_is_warned(real_index):
    rng = np.random.default_rng(3)
    assert all(real_index.nearest(rng.integers(0, 256, (28, 28), dtype=np.uint8)).unlike for _ in range(5))


@pytest.mark.parametrize("picture", [support.black(), support.uniform_noise()], ids=["black", "uniform-noise"])
def test_blank_and_full_noise_pictures_are_refused_not_answered(picture):
    with pytest.raises(ImageError, match="No garment found"):
        prepare_image(picture)


@pytest.mark.real_data
def test_garments_through_the_intake_mostly_pass(real_data, real_index):
    rng = np.random.default_rng(11)
    picked = rng.choice(len(real_data.x_test), 60, replace=False)
    finals = [prepare_image(make(real_data.x_test[i], rng)).final for i in picked
              for make in (support.drawing, support.product_photo)]
    assert np.mean([not real_index.nearest(final).unlike for final in finals]) >= 0.93  # 97% measured


@pytest.mark.real_data
def test_the_nearest_images_are_mostly_of_the_same_class(real_data, real_index):
    picked = np.arange(0, len(real_data.x_test), 50)  # 200 test images
    majority = [np.bincount(real_index.nearest(real_data.x_test[i]).labels, minlength=10).argmax() for i in picked]
    assert np.mean(np.array(majority) == real_data.y_test[picked]) >= 0.75


@pytest.mark.real_data
def test_nearest_agrees_with_brute_force_on_real_images(real_data, real_index):
    picked = np.arange(7, len(real_data.x_test), 100)  # 100 test images
    rows, distances = brute_force(real_data.x_train, real_data.x_test[picked])
    found = [real_index.nearest(real_data.x_test[i]) for i in picked]
    assert all(abs(f.distances[0] - d[0]) < 1e-4 for f, d in zip(found, distances, strict=True))
    same_five = [np.allclose(f.distances, d, atol=1e-4) for f, d in zip(found, distances, strict=True)]
    assert np.mean(same_five) >= 0.97
