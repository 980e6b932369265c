import gzip

import numpy as np
import pytest

from fmnist_core.data import sources as data_module
from fmnist_core.data.sources import CLASS_NAMES, DataError, load_fashion_mnist, load_idx_folder, read_idx, write_idx
from tests.support import make_synthetic


def test_class_names_are_the_ten_fashion_mnist_classes():
    assert len(CLASS_NAMES) == 10
    assert CLASS_NAMES[0] == "T-shirt/top" and CLASS_NAMES[9] == "Ankle boot"


def test_loads_good_idx_folder(synthetic_dir):
    data = load_idx_folder(synthetic_dir)
    x_train, y_train, x_test, y_test = make_synthetic()
    assert data.x_train.dtype == np.uint8 and data.x_train.shape == (400, 28, 28)
    assert data.x_test.shape == (100, 28, 28)
    np.testing.assert_array_equal(data.x_train, x_train)
    np.testing.assert_array_equal(data.y_test, y_test)


def test_reads_uncompressed_idx(tmp_path):
    arr = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    write_idx(tmp_path / "a.gz", arr)
    (tmp_path / "a").write_bytes(gzip.decompress((tmp_path / "a.gz").read_bytes()))
    np.testing.assert_array_equal(read_idx(tmp_path / "a", 2051), arr)


def _copy_set(src, dst):
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def test_truncated_file_is_named(synthetic_dir, tmp_path):
    folder = _copy_set(synthetic_dir, tmp_path / "set")
    path = folder / "train-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz.*truncated"):
        load_idx_folder(folder)


def test_cut_gzip_stream_is_reported(synthetic_dir, tmp_path):
    folder = _copy_set(synthetic_dir, tmp_path / "set")
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(DataError, match="t10k-images.*(truncated|corrupt)"):
        load_idx_folder(folder)


def test_wrong_magic_is_reported(synthetic_dir, tmp_path):
    folder = _copy_set(synthetic_dir, tmp_path / "set")
    # a label file where images are expected
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes((folder / "t10k-labels-idx1-ubyte.gz").read_bytes())
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz: wrong magic number 2049"):
        load_idx_folder(folder)


def test_count_mismatch_is_reported(synthetic_dir, tmp_path):
    folder = _copy_set(synthetic_dir, tmp_path / "set")
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(399, dtype=np.uint8))
    with pytest.raises(DataError, match="training images and labels disagree: 400 images but 399 labels"):
        load_idx_folder(folder)


def test_missing_file_is_reported(synthetic_dir, tmp_path):
    folder = _copy_set(synthetic_dir, tmp_path / "set")
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz: file is missing"):
        load_idx_folder(folder)


def test_env_dir_wins_and_is_named(synthetic_env, synthetic_dir):
    data = load_fashion_mnist()
    assert data.source == f"FMNIST_DATA_DIR ({synthetic_dir})"
    assert load_fashion_mnist() is data  # second load is the in-memory copy


@pytest.fixture
def no_sources(monkeypatch, tmp_path):
    monkeypatch.delenv("FMNIST_DATA_DIR", raising=False)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.setattr(data_module, "DEBIAN_DIR", tmp_path / "no-debian")
    monkeypatch.setattr(data_module, "_online", lambda timeout=2.0: False)
    data_module.forget_loaded_data()
    yield tmp_path
    data_module.forget_loaded_data()


def test_no_source_says_what_to_install(no_sources):
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist()


def test_debian_folder_is_used_when_nothing_else(no_sources, synthetic_dir, monkeypatch):
    monkeypatch.setattr(data_module, "DEBIAN_DIR", synthetic_dir)
    assert load_fashion_mnist().source.startswith("Debian package dataset-fashion-mnist")


def test_prepared_tfds_comes_before_debian(no_sources, synthetic_dir, monkeypatch):
    (no_sources / "tfds" / "fashion_mnist" / "3.0.1").mkdir(parents=True)
    (no_sources / "tfds" / "fashion_mnist" / "3.0.1" / "dataset_info.json").write_text("{}")
    monkeypatch.setattr(data_module, "DEBIAN_DIR", synthetic_dir)
    calls = []
    monkeypatch.setattr(data_module, "load_tfds", lambda download: calls.append(download) or "tfds-data")
    assert load_fashion_mnist() == "tfds-data"
    assert calls == [False]


def test_download_only_when_online(no_sources, monkeypatch):
    calls = []
    monkeypatch.setattr(data_module, "_online", lambda timeout=2.0: True)
    monkeypatch.setattr(data_module, "load_tfds", lambda download: calls.append(download) or "downloaded")
    assert load_fashion_mnist() == "downloaded"
    assert calls == [True]


def test_bad_env_dir_is_an_error_not_a_fallback(monkeypatch, tmp_path):
    monkeypatch.setenv("FMNIST_DATA_DIR", str(tmp_path / "nope"))
    data_module.forget_loaded_data()
    with pytest.raises(DataError, match="is not a folder"):
        load_fashion_mnist()
    data_module.forget_loaded_data()


def test_class_names_in_the_language_are_built_in_one_place(english):
    from fmnist_core import i18n
    from fmnist_core.data.sources import class_label, class_names

    assert class_names() == list(CLASS_NAMES) and class_label(4) == "Coat"
    i18n.set_language("de")
    assert class_names()[4] == class_label(4) == i18n.class_name("Coat") == "Mantel (Coat)"
