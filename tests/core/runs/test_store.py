"""A store without side effects: reading the run cache never writes or deletes, damage is a value, the network
is loaded explicitly, and where a run came from is stored as data (old English origins still read)."""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from fmnist_core import i18n
from fmnist_core.config import RunConfig
from fmnist_core.data.sources import load_fashion_mnist
from fmnist_core.queue import Refused
from fmnist_core.queue.base import check
from fmnist_core.queue.rules import CostModel
from fmnist_core.runs import lineage
from fmnist_core.runs.cache import RunCache
from fmnist_core.runs.results import Origin, RunUnavailable
from fmnist_core.runs.store import Lookup

LONG = RunConfig(epochs=6, hidden_units=16, batch_size=64)  # its kept epochs answer shorter runs
SHORT = LONG.with_(epochs=2)  # not stored, but read off LONG
BAD_KEY = LONG.with_(seed=7)  # an entry whose run.json names another config
BAD_WEIGHTS = LONG.with_(seed=9)  # a valid entry whose weights fail their checksum (same size)


@pytest.fixture(scope="module")
def data(synthetic_dir):
    return load_fashion_mnist(str(synthetic_dir))  # the source the app's loader names, as the queue's check loads it


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data) -> Path:
    root = tmp_path_factory.mktemp("store")
    RunCache(root).get_or_train(LONG, data)
    return root


@pytest.fixture
def cache(trained, tmp_path) -> RunCache:
    """A copy of the trained cache, with a damaged entry and one with damaged weights beside the good one."""
    shutil.copytree(trained / "runs", tmp_path / "cache" / "runs")
    store = RunCache(tmp_path / "cache")
    copy_entry(store, BAD_KEY, {"config": LONG.with_(seed=8).to_dict()})
    weights = copy_entry(store, BAD_WEIGHTS) / "weights.npz"
    weights.write_bytes(np.random.default_rng(0).bytes(weights.stat().st_size))
    return store


def copy_entry(cache: RunCache, config: RunConfig, changes: dict | None = None) -> Path:
    """LONG's entry copied as a valid entry of ``config``, then its run.json changed."""
    folder = cache.entry_dir(config)
    shutil.copytree(cache.entry_dir(LONG), folder)
    meta = json.loads((folder / "run.json").read_text())
    meta |= {"config": config.to_dict(), "family": lineage.family(config)} | (changes or {})
    (folder / "run.json").write_text(json.dumps(meta))
    return folder


def listing(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``root``: its (size, mtime_ns)."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))}


@contextmanager
def no_warnings() -> Iterator[None]:
    """Asserts that the block emits no warning (the cache reports damage as a value)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    assert [str(w.message) for w in caught] == []


def test_reading_writes_and_deletes_nothing(synthetic_env, cache, data):
    assert cache.root == synthetic_env  # the data the environment names is the data LONG was trained on
    before = listing(cache.root)
    with no_warnings():
        assert cache.get(SHORT) is None  # derivable, but a read never derives
        assert cache.get(BAD_KEY) is None and cache.load(BAD_KEY.key) is None
        assert {r.key for r in cache.list()} == {LONG.key, BAD_WEIGHTS.key}
        run = cache.get(BAD_WEIGHTS)
        with pytest.raises(RunUnavailable, match="is damaged; train it again"):
            run.predict(np.zeros((28, 28), np.uint8))
        assert listing(cache.root) == before
        assert cache.lookup(SHORT) == Lookup(None) and cache.can_answer(SHORT) and cache.can_answer(SHORT, data)
        assert not cache.can_answer(LONG.with_(dropout=0.5))
        found = cache.lookup(BAD_KEY)
        assert found.run is None and "does not match its key" in found.damage
        with pytest.raises(RunUnavailable, match="is damaged; train it again"):
            run.load_network()
        assert cache.get(LONG).load_network().predict(data.x_test[:2]).shape == (2, 10)
    assert listing(cache.root) == before


def test_get_or_derive_stores_what_it_derives_and_returns_damage(cache, data):
    with no_warnings():
        lookalike = cache.runs_dir / "0123456789abcdef"  # key-shaped, but a person's folder
        lookalike.mkdir()
        (lookalike / "notes.txt").write_text("mine")
        found = cache.get_or_derive(SHORT, data)
        assert found.damage is None and found.run.origin == Origin("taken", 6) and not found.from_cache
        assert cache.get(SHORT).read_off_longer_run  # stored: the next visit reads it
        stored = json.loads((cache.entry_dir(SHORT) / "run.json").read_text())
        assert stored["origin"] == {"how": "taken", "from_epochs": 6}
        found = cache.get_or_derive(BAD_KEY, data)
        assert found.run is None and "does not match its key" in found.damage
        assert not cache.entry_dir(BAD_KEY).exists()  # the write path discards a damaged entry of ours
        found = cache.get_or_derive(BAD_WEIGHTS, data)
        assert found.run is None and "checksum" in found.damage and not cache.entry_dir(BAD_WEIGHTS).exists()
        assert cache.get_or_derive(lookalike.name) == Lookup(None) and (lookalike / "notes.txt").read_text() == "mine"
        assert cache.get_or_derive(LONG, data).from_cache and cache.entry_dir(LONG).exists()


def test_old_english_origins_still_load_and_are_worded_in_the_language(cache):
    path = cache.entry_dir(LONG) / "run.json"
    meta = json.loads(path.read_text())
    for stored, origin in [("taken from the 30-epoch run", Origin("taken", 30)), (None, None),
                           ("continued from the 10-epoch run", Origin("continued", 10)),
                           ({"how": "continued", "from_epochs": 10}, Origin("continued", 10))]:
        path.write_text(json.dumps(meta | {"origin": stored}))
        assert cache.get(LONG).origin == origin
    run = cache.get(LONG)
    assert not run.read_off_longer_run and run.origin_text() == "continued from the 10-epoch run"
    try:
        i18n.set_language("de")
        assert run.origin_text() == "fortgesetzt vom Lauf mit 10 Epochen"
    finally:
        i18n.set_language(i18n.DEFAULT)
    for stored in ["an older wording", {"how": "stolen", "from_epochs": 3}, {"how": "taken", "from_epochs": "3"}]:
        path.write_text(json.dumps(meta | {"origin": stored}))
        assert "origin" in cache.lookup(LONG).damage


def test_a_continued_run_stores_its_origin_as_data(cache, data):
    longer = cache.get_or_train(LONG.with_(epochs=7), data)
    assert longer.origin == Origin("continued", 6)
    stored = json.loads((cache.entry_dir(longer.config) / "run.json").read_text())
    assert stored["origin"] == {"how": "continued", "from_epochs": 6}


def test_the_cost_check_asks_the_cache_without_deriving(synthetic_env, cache, data):
    assert cache.root == synthetic_env  # the queue's check loads the data the environment names
    runner = SimpleNamespace(cache=cache, costs=CostModel(), max_seconds=0.0)  # every run is over the ceiling
    before = listing(cache.root)
    check(runner, SHORT)  # allowed: the stored run answers it
    with pytest.raises(Refused):
        check(runner, LONG.with_(dropout=0.5))
    assert listing(cache.root) == before and cache.get(SHORT) is None
