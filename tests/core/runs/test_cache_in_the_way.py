"""Something that is not a run at a run's place in the cache (a foreign folder, a link, a file): the run cannot be
stored, and the cache and the Train page say which path is in the way, in one sentence; it is never deleted.
Before, the cache reported the run as stored, and the page said "the finished run is not in the run cache" and
trained it again at every visit. A run the disk refused is gone after a reload, and the page says so."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fmnist_core.config import RunConfig
from fmnist_core.runs.cache import RunCache
from fmnist_core.runs.store import InTheWay
from tests.support import finish, open_app, texts

CONFIG = RunConfig(epochs=2, hidden_units=16)
QUERY = {"epochs": "2", "units": "16"}


def put_in_the_way(cache: RunCache, kind: str, elsewhere) -> os.PathLike:
    """A foreign folder, a link to one, or a file at ``CONFIG``'s place."""
    place = cache.entry_dir(CONFIG)
    place.parent.mkdir(parents=True, exist_ok=True)
    if kind == "folder":
        place.mkdir()
        (place / "notes.txt").write_text("a teacher's notes")
    elif kind == "link":
        elsewhere.mkdir()
        (elsewhere / "notes.txt").write_text("someone else's folder")
        place.symlink_to(elsewhere, target_is_directory=True)
    else:
        place.write_text("a file")
    return place


@pytest.mark.parametrize("kind", ["folder", "link", "file"])
def test_the_cache_says_what_is_in_the_way_and_leaves_it(synthetic_data, tmp_path, kind):
    cache = RunCache(tmp_path / "cache")
    place = put_in_the_way(cache, kind, tmp_path / "elsewhere")
    before = sorted(p.name for p in tmp_path.rglob("*") if "locks" not in p.parts)
    found = cache.fetch(CONFIG, synthetic_data)
    assert not found.saved and 0 <= found.run.test_accuracy <= 1  # shown, not kept
    assert cache.in_the_way(CONFIG) == place
    with pytest.raises(InTheWay) as refused:
        cache.put(found.run)
    assert str(place) in str(refused.value)
    assert sorted(p.name for p in tmp_path.rglob("*") if "locks" not in p.parts) == before  # nothing deleted
    assert cache.in_the_way(RunConfig()) is None


def test_the_train_page_names_the_folder_in_the_way(synthetic_env):
    place = put_in_the_way(RunCache(synthetic_env), "folder", None)
    at = open_app(QUERY)
    at.form_submit_button[0].click()
    finish(at)
    assert not at.exception and not at.error  # not "the finished run is not in the run cache"
    (warning,) = [t.replace("\\", "") for t in texts(at.warning) if "could not be saved" in t]
    assert str(place) in warning and "gone after a reload" in warning
    assert (place / "notes.txt").read_text() == "a teacher's notes"


def test_a_run_the_disk_refused_is_gone_after_a_reload_says_the_page(synthetic_env, monkeypatch, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(blocked))
    at = open_app(QUERY)
    at.form_submit_button[0].click()
    finish(at)
    (warning,) = [t for t in texts(at.warning) if "could not be saved" in t]
    assert "gone after a reload" in warning and "restart" not in warning
    at = open_app(QUERY)  # a reload: a new session
    assert any("has not been trained yet" in t for t in texts(at.info))


def test_the_command_line_names_what_is_in_the_way(synthetic_env):
    place = put_in_the_way(RunCache(synthetic_env), "folder", None)
    done = subprocess.run([sys.executable, "-m", "fmnist_core", "train", "--epochs", "2", "--hidden-units", "16"],
                          capture_output=True, text=True, timeout=300, env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: {place} stands at this run's place") and place.is_dir()
