"""Shared fixtures: small synthetic Fashion-MNIST data sets on disk, and a private run cache."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("FMNIST_PREFETCH", "0")  # tests that want the background runs switch them on

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from fmnist_core.config import RunConfig  # noqa: E402
from fmnist_core.data import sources as data_module  # noqa: E402
from tests.support import make_synthetic  # noqa: E402


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory) -> Path:
    """A folder with the four IDX .gz files of a small synthetic data set."""
    folder = tmp_path_factory.mktemp("fmnist-synthetic")
    return data_module.write_idx_folder(folder, *make_synthetic())


@pytest.fixture
def synthetic_env(synthetic_dir, tmp_path, monkeypatch) -> Path:
    """Point the loader at the synthetic data and the run cache at a fresh folder."""
    monkeypatch.setenv("FMNIST_DATA_DIR", str(synthetic_dir))
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(tmp_path / "cache"))
    data_module.forget_loaded_data()
    yield tmp_path / "cache"
    data_module.forget_loaded_data()


@pytest.fixture
def synthetic_data(synthetic_dir):
    """The synthetic data set, loaded."""
    return data_module.load_idx_folder(synthetic_dir, source="synthetic test data")


@pytest.fixture(scope="session")
def real_data():
    """The real Fashion-MNIST set from Debian's package (skips when it is not installed)."""
    try:
        return data_module.load_idx_folder(data_module.DEBIAN_DIR, source="Debian package dataset-fashion-mnist")
    except data_module.DataError as exc:
        pytest.skip(f"real data not installed: {exc}")


@pytest.fixture(scope="session")
def real_default_run(real_data, tmp_path_factory):
    """The default configuration trained once on the real data for the whole test session."""
    from fmnist_core.runs.cache import RunCache

    cache = RunCache(tmp_path_factory.mktemp("real-cache"))
    return cache, cache.get_or_train(RunConfig(), real_data)


@pytest.fixture
def english():
    """The app's language is English for the test, and the default again after it (a module asks for it with
    ``pytestmark = pytest.mark.usefixtures("english")``)."""
    from fmnist_core import i18n

    i18n.set_language("en")
    yield
    i18n.set_language(i18n.DEFAULT)
