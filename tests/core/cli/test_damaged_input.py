"""The command line on damaged input and a full disk: one row a file from ``predict``, one line from ``train``, a
usage error from ``bench``."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from fmnist_core.data import sources as data_module
from tests.core.data.test_damaged_input import SAMPLES
from tests.support import run_cli


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
