"""The run cache against damage and unlucky disks: it never deletes what is not its own, catches a damaged model or
run.json when it loads it, removes old leftovers of crashes, and returns a run it cannot save."""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from fmnist_core.runs.cache import RunCache
from fmnist_core.runs.results import RunUnavailable
from tests.support import TINY


@pytest.fixture
def stored(tmp_path, synthetic_data) -> RunCache:
    cache = RunCache(tmp_path / "cache")
    cache.get_or_train(TINY, synthetic_data)
    return cache


def test_cache_never_deletes_what_is_not_its_own(stored, tmp_path):
    photos = stored.runs_dir / "holiday-photos"
    photos.mkdir()
    (photos / "beach.jpg").write_bytes(b"mine")
    lookalike = stored.runs_dir / "0123456789abcdef"
    lookalike.mkdir()
    (lookalike / "notes.txt").write_text("also mine")
    outside = tmp_path / "x"
    outside.mkdir()
    (outside / "run.json").write_text("{}")
    assert [r.key for r in stored.list()] == [TINY.key]
    assert stored.load("../../x") is None and stored.load("../holiday-photos") is None
    assert stored.load("0123456789abcdef") is None
    assert (photos / "beach.jpg").exists() and (lookalike / "notes.txt").exists() and (outside / "run.json").exists()
    assert stored.clear() == 1
    assert (photos / "beach.jpg").exists() and (lookalike / "notes.txt").exists()


def test_running_out_of_file_handles_discards_nothing(stored, monkeypatch):
    def no_handles(self):
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(Path, "read_bytes", no_handles)
    assert stored.list() == []
    monkeypatch.undo()
    assert stored.get(TINY) is not None


def test_same_size_damage_of_the_model_is_caught_when_it_is_loaded(stored):
    model = stored.entry_dir(TINY) / "weights.npz"
    model.write_bytes(np.random.default_rng(0).bytes(model.stat().st_size))
    run = stored.get(TINY)
    with pytest.raises(RunUnavailable, match="damaged"):
        run.predict(np.zeros((28, 28), np.uint8))
    assert stored.entry_dir(TINY).exists()  # loading reports it; asking for the run again discards it
    assert "checksum" in stored.get_or_derive(TINY).damage and not stored.entry_dir(TINY).exists()


@pytest.mark.parametrize("damage", [
    {"trained_at": "yesterday"},
    {"history": {"loss": [0.5, 0.4, 0.3]}},
    {"history": {"loss": [0.5], "accuracy": [0.1, 0.2]}},
    {"test_accuracy": "high"},
    {"config": {"epochs": -3}},
    {"stopped_early_at": "soon"},
])
def test_every_field_of_run_json_is_checked(stored, damage):
    path = stored.entry_dir(TINY) / "run.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | damage))
    found = stored.lookup(TINY)
    assert found.run is None and found.damage



def test_leftovers_of_crashes_are_removed_when_old(stored):
    old, new = stored.runs_dir / ".tmp-abc-1", stored.runs_dir / ".trash-def-2"
    fresh = stored.runs_dir / ".tmp-ghi-3"
    for folder in (old, new, fresh):
        folder.mkdir()
        (folder / "weights.npz").write_bytes(b"x")
    an_hour_ago = time.time() - 3600
    for folder in (old, new):
        os.utime(folder, (an_hour_ago, an_hour_ago))
    stored.list()
    assert old.exists() and new.exists()  # reading removes nothing; the next write does
    stored.put(stored.get(TINY))
    assert not old.exists() and not new.exists() and fresh.exists()


def test_a_run_that_cannot_be_saved_is_still_returned(tmp_path, synthetic_data):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    found = RunCache(blocked).fetch(TINY, synthetic_data)
    assert not found.saved and 0 <= found.run.test_accuracy <= 1 and blocked.read_text().startswith("a file")
