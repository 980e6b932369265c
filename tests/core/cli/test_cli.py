import json
from pathlib import Path

import pytest

from tests.support import run_cli

ROOT = Path(__file__).resolve().parents[3]
WARNING = "This does not look like the clothes I learned from; my answer is a guess."


def test_help_everywhere():
    for args in ([], ["train"], ["bench"], ["cache"]):
        out = run_cli(*args, "--help")
        assert out.returncode == 0 and "usage:" in out.stdout


@pytest.mark.parametrize("args,reason", [  # every field's bad values: tests/core/config/test_config.py, from FIELDS
    (["train", "--epochs", "0"], "epochs must be 1-100"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_exit_2_with_reason(args, reason):
    out = run_cli(*args)
    assert out.returncode == 2
    assert reason in out.stderr.strip().splitlines()[-1]


def test_train_json_then_cache_hit(synthetic_dir, tmp_path):
    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path)}
    args = ["train", "--epochs", "2", "--hidden-units", "8", "--json"]
    first = run_cli(*args, env=env)
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert set(result) >= {"key", "config", "test_accuracy", "history", "train_seconds", "from_cache"}
    assert result["from_cache"] is False and result["config"]["hidden_units"] == 8
    assert len(result["history"]["loss"]) == 2
    assert "epoch 2/2" in first.stderr
    second = json.loads(run_cli(*args, env=env).stdout)
    assert second["from_cache"] is True and second["key"] == result["key"]
    listing = json.loads(run_cli("cache", "list", "--json", env=env).stdout)
    assert [r["key"] for r in listing] == [result["key"]]
    assert run_cli("cache", "clear", env=env).returncode == 0
    assert json.loads(run_cli("cache", "list", "--json", env=env).stdout) == []


def test_missing_data_is_one_clear_line(tmp_path):
    env = {"FMNIST_DATA_DIR": str(tmp_path / "missing"), "FMNIST_CACHE_DIR": str(tmp_path)}
    out = run_cli("train", "--epochs", "1", env=env)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1].startswith("error: FMNIST_DATA_DIR=")
    assert "Traceback" not in out.stderr


def test_predict_json_mixes_results_and_errors(synthetic_dir, tmp_path):
    import numpy as np
    from PIL import Image

    from tests.support import make_synthetic

    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    _, _, x_test, y_test = make_synthetic()
    good = tmp_path / "garment.png"
    Image.fromarray(np.kron(x_test[0], np.ones((8, 8), np.uint8))).save(good)
    bad = tmp_path / "notes.txt"
    bad.write_text("not a picture")
    out = run_cli("predict", str(good), str(bad), str(tmp_path / "missing.png"), "--epochs", "3",
                  "--hidden-units", "16", "--json", env=env)
    assert out.returncode == 1, out.stderr
    results = json.loads(out.stdout)
    assert [r["file"] for r in results] == [str(good), str(bad), str(tmp_path / "missing.png")]
    assert set(results[0]) == {"file", "label", "class_index", "probabilities", "warning", "neighbours"}
    assert len(results[0]["probabilities"]) == 10 and abs(sum(results[0]["probabilities"]) - 1) < 1e-3
    assert results[0]["warning"] in (None, WARNING)
    assert results[1]["error"] == "This file is not an image we can read (PNG, JPEG, WebP, BMP or GIF)."
    assert "cannot be read" in results[2]["error"]
    ok = run_cli("predict", str(good), "--epochs", "3", "--hidden-units", "16", env=env)
    assert ok.returncode == 0 and ok.stdout.startswith(f"{good}: ")


def test_predict_gives_the_warning_and_the_nearest_training_images(synthetic_dir, tmp_path):
    from fmnist_core.data import CLASS_NAMES
    from tests.support import make_synthetic, smiley

    env = {"FMNIST_DATA_DIR": str(synthetic_dir), "FMNIST_CACHE_DIR": str(tmp_path / "cache")}
    _, y_train, _, _ = make_synthetic()
    face = tmp_path / "face.png"
    face.write_bytes(smiley())
    args = ("predict", str(face), "--epochs", "3", "--hidden-units", "16")
    out = run_cli(*args, "--json", env=env)
    assert out.returncode == 0, out.stderr
    row = json.loads(out.stdout)[0]
    assert row["warning"] == WARNING
    assert len(row["neighbours"]) == 5 and set(row["neighbours"][0]) == {"label", "class_index", "index", "distance"}
    for neighbour in row["neighbours"]:
        assert neighbour["class_index"] == y_train[neighbour["index"]]
        assert neighbour["label"] == CLASS_NAMES[neighbour["class_index"]]
    assert [n["distance"] for n in row["neighbours"]] == sorted(n["distance"] for n in row["neighbours"])
    plain = run_cli(*args, env=env)
    assert plain.returncode == 0 and plain.stdout.strip().endswith(f"; warning: {WARNING}")
    gone = run_cli(*args, "--json", env=env | {"FMNIST_DATA_DIR": str(tmp_path / "missing")})
    assert gone.returncode == 0, gone.stderr  # the stored run still answers, and says what it cannot
    row = json.loads(gone.stdout)[0]
    assert row["label"] and row["warning"] is None and row["neighbours"] is None
    assert gone.stderr.strip().splitlines()[-1].startswith("note: no nearest training images and no warning")


def test_predict_refuses_a_big_file_in_the_intakes_words(tmp_path):
    """The size check before reading is the intake's own (data.intake.check_size), not a copy of its sentence."""
    from fmnist_core.data.intake import MAX_BYTES, ImageError, check_size

    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * (MAX_BYTES + 1))
    with pytest.raises(ImageError) as refusal:
        check_size(MAX_BYTES + 1)
    out = run_cli("predict", str(big), "--json")
    assert out.returncode == 1 and json.loads(out.stdout) == [{"file": str(big), "error": str(refusal.value)}]
