import json
import os
import time

import pytest

from fmnist_core.reports import TrainingCancelled, TrainingListener
from fmnist_core.runs import cache as cache_module
from fmnist_core.runs import entry
from fmnist_core.runs.cache import RunCache
from tests.support import TINY, together


@pytest.fixture
def counted_training(monkeypatch):
    """Count calls to train() as the cache sees it."""
    calls = []
    real = cache_module.train

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(cache_module, "train", counting)
    return calls


def test_hit_returns_stored_run_without_training(tmp_path, synthetic_data, counted_training):
    cache = RunCache(tmp_path)
    first = cache.fetch(TINY, synthetic_data)
    assert not first.from_cache and len(counted_training) == 1
    again = RunCache(tmp_path).fetch(TINY, synthetic_data)  # a new cache object, as after a restart
    assert again.from_cache and len(counted_training) == 1
    first, again = first.run, again.run
    assert again.history == first.history and again.test_accuracy == first.test_accuracy
    assert again.predict(synthetic_data.x_test[:5]).argmax(1).tolist() == \
        first.test_probabilities[:5].argmax(1).tolist()
    assert [r.key for r in cache.list()] == [TINY.key]


def test_damaged_entry_is_discarded_and_retrained(tmp_path, synthetic_data, counted_training):
    cache = RunCache(tmp_path)
    cache.get_or_train(TINY, synthetic_data)
    (cache.entry_dir(TINY) / "run.json").write_text("{ not json")
    result = cache.fetch(TINY, synthetic_data)
    assert not result.from_cache and len(counted_training) == 2
    assert cache.get(TINY) is not None


def test_truncated_model_is_detected(tmp_path, synthetic_data):
    cache = RunCache(tmp_path)
    cache.get_or_train(TINY, synthetic_data)
    model = cache.entry_dir(TINY) / "weights.npz"
    model.write_bytes(model.read_bytes()[:100])
    assert cache.get(TINY) is None and "wrong size" in cache.lookup(TINY).damage
    assert cache.entry_dir(TINY).exists()  # a read reports it; the write path discards it
    assert "wrong size" in cache.get_or_derive(TINY).damage and not cache.entry_dir(TINY).exists()


def test_entry_with_wrong_config_is_rejected(tmp_path, synthetic_data):
    cache = RunCache(tmp_path)
    cache.get_or_train(TINY, synthetic_data)
    meta_path = cache.entry_dir(TINY) / "run.json"
    meta = json.loads(meta_path.read_text())
    meta["config"]["epochs"] = 99
    meta_path.write_text(json.dumps(meta))
    found = cache.lookup(TINY)
    assert found.run is None and "does not match" in found.damage


def test_leftover_temp_folder_is_not_an_entry(tmp_path, synthetic_data):
    cache = RunCache(tmp_path)
    (cache.runs_dir / f".tmp-{TINY.key}-crashed").mkdir(parents=True)
    assert cache.get(TINY) is None and cache.list() == []


def test_two_threads_train_once(tmp_path, synthetic_data, counted_training):
    cache = RunCache(tmp_path)
    results = together(*[lambda: cache.fetch(TINY, synthetic_data)] * 2)
    assert len(counted_training) == 1
    assert sorted(r.from_cache for r in results) == [False, True]


def test_cancelled_run_is_not_stored(tmp_path, synthetic_data):
    class StopNow(TrainingListener):
        def should_stop(self):
            return True

    cache = RunCache(tmp_path)
    with pytest.raises(TrainingCancelled):
        cache.get_or_train(TINY, synthetic_data, StopNow())
    assert cache.get(TINY) is None and cache.list() == []


def test_clear(tmp_path, synthetic_data):
    cache = RunCache(tmp_path)
    cache.get_or_train(TINY, synthetic_data)
    cache.get_or_train(TINY.with_(epochs=1), synthetic_data)
    assert len(cache.list()) == 2
    assert cache.clear() == 2 and cache.list() == []


def test_default_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(tmp_path / "c"))
    assert RunCache().root == tmp_path / "c"


def test_two_processes_train_once(synthetic_dir, tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    env = os.environ | {"PYTHONPATH": str(root), "TF_CPP_MIN_LOG_LEVEL": "3", "FMNIST_DATA_DIR": str(synthetic_dir),
                        "FMNIST_CACHE_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "fmnist_core", "train", "--epochs", "3", "--hidden-units", "8", "--json"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
             for _ in range(2)]
    results = [json.loads(p.communicate(timeout=300)[0]) for p in procs]
    assert sorted(r["from_cache"] for r in results) == [False, True]
    assert results[0]["history"] == results[1]["history"]


def _settle(folder, seconds_ago: float = 3600) -> None:
    """Make an entry's files look written a while ago (a check of them is then remembered)."""
    then = time.time() - seconds_ago
    for path in folder.iterdir():
        os.utime(path, (then, then))


def test_a_settled_entry_is_hashed_once_and_checked_again_when_it_changes(tmp_path, synthetic_data, monkeypatch):
    cache = RunCache(tmp_path)
    cache.get_or_train(TINY, synthetic_data)
    folder = cache.entry_dir(TINY)
    _settle(folder)
    hashed = []
    real_sha256 = entry.sha256
    monkeypatch.setattr(entry, "sha256", lambda path: hashed.append(path.name) or real_sha256(path))
    first, again = cache.load(TINY.key), cache.load(TINY.key)
    assert first.test_accuracy == again.test_accuracy and hashed == ["test_probabilities.npy"]  # once, not twice
    probs = folder / "test_probabilities.npy"
    damaged = bytearray(probs.read_bytes())
    damaged[-1] ^= 0xFF  # same size, other content: rewritten in place (same inode), now
    probs.write_bytes(bytes(damaged))
    found = cache.lookup(TINY.key)
    assert found.run is None and "checksum" in found.damage


def test_a_fresh_entry_is_checked_on_every_read(tmp_path, synthetic_data):
    """Within a file-time tick of being written, a same-size change in place keeps the stamp: no shortcut then."""
    cache = RunCache(tmp_path)
    cache.get_or_train(TINY, synthetic_data)
    folder = cache.entry_dir(TINY)
    _settle(folder, seconds_ago=0)
    assert cache.load(TINY.key) is not None
    probs = folder / "test_probabilities.npy"
    stamp = probs.stat()
    damaged = bytearray(probs.read_bytes())
    damaged[-1] ^= 0xFF
    probs.write_bytes(bytes(damaged))
    os.utime(probs, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # the worst case: the same time stamp as before
    found = cache.lookup(TINY.key)
    assert found.run is None and "checksum" in found.damage
