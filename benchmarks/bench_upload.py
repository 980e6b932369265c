"""Benchmark: what the worst uploads we can construct cost `python -m fmnist_core predict`, against a small image.

Prints, per picture, the peak memory (max RSS) of the whole command and the intake's own time for it, and
the difference to the same command on a small good picture. The goal (issue 11): at most 150 MB above the
small picture, and under 1 s of work per upload. Run: .venv/bin/python benchmarks/bench_upload.py
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fmnist_core.data.intake import MAX_DECODED_PIXELS, MAX_PIXELS, prepare_image  # noqa: E402


def picture(width: int, height: int, fmt: str, mode: str = "RGBA") -> bytes:
    """A mostly empty picture with a dark garment in the middle: cheap to store, expensive to decode."""
    image = Image.new(mode, (width, height), (0, 0, 0, 0) if mode == "RGBA" else 255)
    box = (width // 3, height // 3, 2 * width // 3, 2 * height // 3)
    image.paste((40, 40, 40, 255) if mode == "RGBA" else 40, box)
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 30} if fmt == "JPEG" else {}))
    return out.getvalue()


def worst_uploads() -> dict[str, bytes]:
    side = int(MAX_DECODED_PIXELS**0.5)
    jpeg_side = int(MAX_PIXELS**0.5) - 8
    return {
        "small good PNG (280x280)": picture(280, 280, "PNG"),
        f"PNG {side}x{side} RGBA (the largest accepted)": picture(side, side, "PNG"),
        "PNG 6300x6300 RGBA (refused: too many pixels)": picture(6300, 6300, "PNG"),
        f"PNG {MAX_DECODED_PIXELS}x1 (a line)": picture(MAX_DECODED_PIXELS, 1, "PNG", "L"),
        f"JPEG {jpeg_side}x{jpeg_side} (decoded at 1/8)": picture(jpeg_side, jpeg_side, "JPEG", "L"),
        f"GIF {side}x{side}": picture(side, side, "GIF", "L"),
        "WebP 2828x2828 RGBA (the largest accepted)": picture(2828, 2828, "WEBP"),
        f"WebP {side}x{side} RGBA (refused)": picture(side, side, "WEBP"),
        "BMP 3200x3200 grey (just under 10 MB)": picture(3200, 3200, "BMP", "L"),
        f"BMP {side}x{side} grey (refused: over 10 MB)": picture(side, side, "BMP", "L"),
    }


def peak_rss_mib(args: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Max RSS of one child process in MiB, its exit status and its stdout.

    Linux gives a child the max RSS of its parent at fork as a floor, so this parent stays small: the pictures
    are made and the intake is timed in children (``--make``, ``--intake``).
    """
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    return usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), out


def make(folder: Path) -> None:
    """Write the synthetic data set and the pictures into ``folder``; print their names, one per line."""
    from fmnist_core.data.sources import write_idx_folder
    from tests.support import make_synthetic

    write_idx_folder(folder / "data", *make_synthetic())
    for i, (name, raw) in enumerate(worst_uploads().items()):
        (folder / f"upload-{i}").write_bytes(raw)
        print(name)


def intake(path: str) -> None:
    """Prepare one picture; print the seconds it took and the outcome."""
    start = time.perf_counter()
    try:
        prepare_image(Path(path).read_bytes())
        result = "classified"
    except ValueError as exc:
        result = f"refused: {exc}"
    print(f"{time.perf_counter() - start:.2f}\t{result}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {"FMNIST_DATA_DIR": str(Path(tmp) / "data"), "FMNIST_CACHE_DIR": str(Path(tmp) / "cache"),
                            "TF_CPP_MIN_LOG_LEVEL": "3"}
        names = peak_rss_mib([sys.executable, __file__, "--make", tmp], env)[2].splitlines()
        files = {name: Path(tmp) / f"upload-{i}" for i, name in enumerate(names)}
        base = [sys.executable, "-m", "fmnist_core", "predict", "--epochs", "1", "--hidden-units", "8", "--json"]
        peak_rss_mib([*base, str(files[names[0]])], env)  # train the tiny model once
        print("peak: max RSS of the whole predict command (TensorFlow included); intake: of a process that only "
              "prepares the picture")
        print(f"{'upload':<48} {'file KB':>8} {'peak MiB':>9} {'+ vs small':>10} {'intake MiB':>10} "
              f"{'+ vs small':>10} {'intake s':>9}  result")
        small = small_intake = None
        for name, path in files.items():
            peak, code, _ = peak_rss_mib([*base, str(path)], env)
            alone, _, out = peak_rss_mib([sys.executable, __file__, "--intake", str(path)], env)
            seconds, result = out.strip().split("\t", 1)
            small = peak if small is None else small
            small_intake = alone if small_intake is None else small_intake
            print(f"{name:<48} {path.stat().st_size / 1024:>8.0f} {peak:>9.0f} {peak - small:>+10.0f} "
                  f"{alone:>10.0f} {alone - small_intake:>+10.0f} {float(seconds):>9.2f}  {result} (exit {code})")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--make"]:
        make(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["--intake"]:
        intake(sys.argv[2])
    else:
        main()
