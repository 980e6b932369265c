"""Fixtures of the page tests (tests/conftest.py has the synthetic data and the private cache)."""

from __future__ import annotations

import pytest

from fmnist_core.config import RunConfig
from fmnist_core.runs.cache import RunCache

SMALL = RunConfig(epochs=2, hidden_units=16)
BIGGER = RunConfig(epochs=2, hidden_units=32)


@pytest.fixture
def two_runs(synthetic_env):
    """Two small runs (16 and 32 units, 2 epochs) in the private cache."""
    cache = RunCache(synthetic_env)
    return [cache.get_or_train(SMALL), cache.get_or_train(BIGGER)]
