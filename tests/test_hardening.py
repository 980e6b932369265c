"""Hostile and unlucky inputs: damaged pictures, data files and cache entries, full or read-only disks, links.

Each test here reproduces a defect found by trying the app as a hostile visitor or an unlucky operator would.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from fmnist_core.config import RunConfig, config_from_query
from fmnist_core.data import sources as data_module
from fmnist_core.data.intake import MAX_DECODED_PIXELS, WORK_PIXELS, ImageError, prepare_image
from fmnist_core.runs.cache import RunCache
from fmnist_core.runs.results import RunUnavailable
from tests.support import TINY, finish, open_app, run_cli, texts

ROOT = Path(__file__).resolve().parents[1]


def garment(size: int = 64) -> np.ndarray:
    image = np.zeros((size, size), np.uint8)
    image[size // 4 : 3 * size // 4, size // 3 : 2 * size // 3] = 220
    return image


def encoded(fmt: str, frames: int = 1) -> bytes:
    out = io.BytesIO()
    rng = np.random.default_rng(0)
    images = [Image.fromarray(np.clip(garment().astype(int) + rng.integers(0, 30, (64, 64)), 0, 255).astype(np.uint8))
              for _ in range(frames)]
    if fmt == "GIF" and frames > 1:
        images[0].save(out, "GIF", save_all=True, append_images=images[1:])
    else:
        images[0].convert("RGB" if fmt == "JPEG" else "L").save(out, fmt)
    return out.getvalue()


SAMPLES = {fmt: encoded(fmt) for fmt in ("PNG", "JPEG", "WEBP", "BMP")} | {"GIF": encoded("GIF", frames=3)}


# --------------------------------------------------------------------------- uploads


def one_sentence(text: str) -> bool:
    """A single line that starts with a capital and ends with its only full stop (no exception's own text)."""
    return (text[:1].isupper() and text.endswith(".") and "\n" not in text and ". " not in text
            and "Error" not in text and "Traceback" not in text)


def test_every_cut_of_an_animated_gif_is_one_sentence():
    """Each cut of a 3-frame GIF is either read (a 28x28 picture) or refused with one sentence, never another
    exception."""
    data = SAMPLES["GIF"]
    assert prepare_image(data).final.shape == (28, 28)
    refusals, read = set(), 0
    for cut in range(len(data)):
        try:
            prepared = prepare_image(data[:cut])
        except ImageError as exc:
            refusals.add(str(exc))
            continue
        assert prepared.final.shape == (28, 28) and prepared.final.dtype == np.uint8
        read += 1
    assert "The file is empty." in refusals and "The image file is truncated or damaged." in refusals
    assert [text for text in refusals if not one_sentence(text)] == []
    assert 0 < read < len(data)  # a cut after the first frame still shows it; a cut inside the header cannot


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cut_and_flipped_files_raise_only_image_error(fmt, data):
    raw = bytearray(SAMPLES[fmt])
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] ^= 1 << data.draw(st.integers(0, 7))
    raw = raw[: data.draw(st.integers(0, len(raw)))]
    with contextlib.suppress(ImageError):
        prepare_image(bytes(raw))


def test_huge_pictures_are_refused_or_shrunk_before_any_work():
    wide = io.BytesIO()
    Image.new("L", (MAX_DECODED_PIXELS + 1, 1)).save(wide, "PNG")
    with pytest.raises(ImageError, match="megapixels"):
        prepare_image(wide.getvalue())
    big = np.zeros((3000, 3000, 4), np.uint8)
    big[1000:2000, 1200:1800] = (40, 40, 40, 255)
    out = io.BytesIO()
    Image.fromarray(big).save(out, "PNG")
    prepared = prepare_image(out.getvalue())
    assert prepared.grey.size <= WORK_PIXELS and prepared.final.max() == 255


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def test_predict_gives_one_row_per_file_whatever_happens(synthetic_env, tmp_path):
    env = {"FMNIST_DATA_DIR": os.environ["FMNIST_DATA_DIR"], "FMNIST_CACHE_DIR": str(synthetic_env)}
    files = [
        write(tmp_path / "good.png", SAMPLES["PNG"]),
        write(tmp_path / "cut.gif", SAMPLES["GIF"][:237]),
        str(tmp_path / "missing.png"),
        write(tmp_path / "big.png", b"\0" * (12 * 2**20)),
        write(tmp_path / "good.png.again", SAMPLES["PNG"]),
    ]
    done = run_cli("predict", *files, "--epochs", "1", "--hidden-units", "8", "--json", env=env)
    assert done.returncode == 1, done.stderr
    rows = json.loads(done.stdout)
    assert [r["file"] for r in rows] == files
    assert "label" in rows[0] and "label" in rows[4]
    assert "damaged" in rows[1]["error"] and "cannot be read" in rows[2]["error"]
    assert "12.0 MB" in rows[3]["error"] and "Traceback" not in done.stderr


# --------------------------------------------------------------------------- the run cache


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


def test_minus_zero_is_zero():
    assert RunConfig(dropout=-0.0).key == RunConfig().key
    assert config_from_query({"val": "-0"})[0] == RunConfig(validation_split=0.0)
    assert config_from_query({"val": "-0"})[0].key == RunConfig(validation_split=0.0).key


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


def test_a_run_the_worker_cannot_store_is_still_shown_on_the_train_page(synthetic_env, monkeypatch, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(blocked))  # the worker cannot store it: the run crosses the socket
    at = open_app({"epochs": "2", "units": "16"})
    at.form_submit_button[0].click()
    finish(at)
    assert not at.exception and not at.error
    assert any(t.startswith("Trained just now") for t in texts(at.success))
    assert any("could not be saved" in t for t in texts(at.warning))


def test_a_bad_run_json_does_not_crash_the_train_page(synthetic_env):
    cache = RunCache(synthetic_env)
    config = RunConfig(epochs=2, hidden_units=16)
    cache.get_or_train(config)
    path = cache.entry_dir(config) / "run.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | {"trained_at": "yesterday"}))
    at = open_app({"epochs": "2", "units": "16"})
    assert not at.exception
    assert any("was damaged and has been discarded" in t for t in texts(at.warning))


def test_cli_train_says_one_line_when_the_run_cannot_be_saved(synthetic_env, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("x")
    done = run_cli("train", "--epochs", "1", "--hidden-units", "8",
                   env={"FMNIST_DATA_DIR": os.environ["FMNIST_DATA_DIR"], "FMNIST_CACHE_DIR": str(blocked)})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "could not be stored" in done.stderr.splitlines()[-1]


def test_bench_with_zero_epochs_is_a_usage_error():
    done = run_cli("bench", "--epochs", "0", env={})
    assert done.returncode == 2 and "Traceback" not in done.stderr and "--epochs" in done.stderr


# --------------------------------------------------------------------------- data files


def test_every_bit_flip_of_a_gzip_data_file_is_a_data_error(synthetic_dir, tmp_path):
    labels = (synthetic_dir / "t10k-labels-idx1-ubyte.gz").read_bytes()
    flips = [(100, 0)] + [(i, b) for i in range(10, len(labels), max(1, len(labels) // 60)) for b in (0, 3, 7)]
    for position, bit in flips:
        damaged = bytearray(labels)
        damaged[position % len(damaged)] ^= 1 << bit
        path = tmp_path / "t10k-labels-idx1-ubyte.gz"
        path.write_bytes(bytes(damaged))
        try:
            data_module.read_idx(path, 2049)
        except data_module.DataError as exc:
            assert str(path) in str(exc)


def test_zlib_damage_is_one_sentence_in_the_cli(synthetic_dir, tmp_path):
    for name in data_module.IDX_FILES.values():
        (tmp_path / name).write_bytes((synthetic_dir / name).read_bytes())
    labels = bytearray(gzip.compress(b"\0\0\x08\x01" + (100).to_bytes(4, "big") + bytes(100)))
    labels[30] ^= 0xFF
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(bytes(labels))
    done = run_cli("train", "--epochs", "1", env={"FMNIST_DATA_DIR": str(tmp_path),
                                                   "FMNIST_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: ") and "t10k-labels" in done.stderr
