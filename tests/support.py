"""Helpers the tests share: small synthetic data sets, a tiny config, AppTest shortcuts, garment pictures, the
command line, waiting for a state, threads started together, a process's children, a redis-server, a file nobody
may write."""

from __future__ import annotations

import array
import contextlib
import fcntl
import io
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from streamlit.testing.v1 import AppTest

from fmnist_core.config import RunConfig

ROOT = Path(__file__).resolve().parents[1]  # the project folder
APP = str(ROOT / "streamlit_app.py")
TINY = RunConfig(epochs=3, hidden_units=16, batch_size=32, validation_split=0.2)


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m fmnist_core ARGS`` from the project folder, with the test's environment plus ``env``."""
    env = os.environ | {"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"} | (env or {})
    return subprocess.run([sys.executable, "-m", "fmnist_core", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=timeout)


def until(condition: Callable[[], object], timeout: float = 300, every: float = 0.05) -> None:
    """Wait for a state (polling); fail only when it never comes."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the state never came"
        time.sleep(every)


def together(*calls: Callable[[], object], timeout: float = 300) -> list:
    """Run each call in a thread of its own, all let go at the same moment; their results in order (the first
    exception of any is raised here)."""
    start, results, errors = threading.Barrier(len(calls)), [None] * len(calls), []

    def run(i: int, call: Callable[[], object]) -> None:
        start.wait()
        try:
            results[i] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), f"a thread still runs after {timeout} s"
    if errors:
        raise errors[0]
    return results


def open_app(query: dict[str, str] | None = None, timeout: float = 120) -> AppTest:
    """The app under AppTest with these URL query parameters, after its first run."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    return at.run()


def open_page(path: str, query: dict[str, str] | None = None, timeout: float = 180) -> AppTest:
    """The app under AppTest switched to the page script ``path``, with these URL query parameters."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    at.switch_page(path)
    return at.run()


def finish(at: AppTest, timeout: float = 600) -> AppTest:
    """Run the page until no run is training any more (AppTest does not rerun the progress fragment by itself,
    as a browser does): waits on the page's state, whatever the speed of the machine."""
    import time

    at.run()
    deadline = time.monotonic() + timeout
    while any(b.label == "Stop training" for b in at.button) or at.get("progress"):
        assert time.monotonic() < deadline, "the run never finished"
        time.sleep(0.2)
        at.run()
    return at


def findings(at: AppTest) -> str:
    """The page's bullet sentences (an experiment's or a comparison's findings), joined."""
    return " ".join(m.value for m in at.markdown if m.value.startswith("- "))


def table_with(at: AppTest, column: str):
    """The page's table (a pandas DataFrame) that has ``column``."""
    return next(t for t in (d.value for d in at.dataframe) if column in t.columns)


def texts(elements) -> list[str]:
    """The values of AppTest elements (markdown, warnings, ...)."""
    return [e.value for e in elements]


def synthetic_images(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Images whose class decides which horizontal band is bright (learnable in a few epochs), plus noise."""
    images = rng.integers(0, 60, size=(len(labels), 28, 28)).astype(np.uint8)
    for i, label in enumerate(labels):
        top = 2 + 2 * int(label)
        images[i, top : top + 4, 4:24] = rng.integers(180, 255, size=(4, 20))
    return images


def make_synthetic(n_train: int = 400, n_test: int = 100, seed: int = 0):
    """(x_train, y_train, x_test, y_test) with balanced labels."""
    rng = np.random.default_rng(seed)
    y_train = (np.arange(n_train) % 10).astype(np.uint8)
    y_test = (np.arange(n_test) % 10).astype(np.uint8)
    rng.shuffle(y_train)
    return synthetic_images(y_train, rng), y_train, synthetic_images(y_test, rng), y_test


# --------------------------------------------------------------------------- garment pictures for the intake


def product_photo(garment: np.ndarray, rng: np.random.Generator, fmt: str = "JPEG") -> bytes:
    """A dark garment on light, slightly tinted, noisy, shaded paper, enlarged and off-centre."""
    scale = int(rng.integers(8, 14))
    side = 28 * scale
    big = np.asarray(Image.fromarray(255 - garment).resize((side, side), Image.Resampling.BICUBIC), np.float64)
    height, width = side + int(rng.integers(40, 160)), side + int(rng.integers(40, 160))
    paper = np.array([235, 228, 215]) + rng.normal(0, 3, 3)
    canvas = np.ones((height, width, 3)) * paper
    canvas *= (1 - 0.08 * np.linspace(0, 1, width))[None, :, None]  # a soft shadow across the page
    top, left = int(rng.integers(5, height - side - 5)), int(rng.integers(5, width - side - 5))
    canvas[top : top + side, left : left + side] *= big[..., None] / 255.0
    canvas += rng.normal(0, 6, canvas.shape)
    out = io.BytesIO()
    Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).save(out, fmt, **({"quality": 85} if fmt == "JPEG"
                                                                                  else {}))
    return out.getvalue()


def drawing(garment: np.ndarray, rng: np.random.Generator) -> bytes:
    """White on black, ten times enlarged, somewhere on a larger black canvas (PNG)."""
    canvas = Image.new("L", (400, 380), 0)
    canvas.paste(Image.fromarray(garment).resize((280, 280), Image.Resampling.NEAREST),
                 (int(rng.integers(0, 120)), int(rng.integers(0, 100))))
    out = io.BytesIO()
    canvas.save(out, "PNG")
    return out.getvalue()


# --------------------------------------------------------------------------- pictures that are not garments


def png_bytes(image: Image.Image) -> bytes:
    """A PIL image as PNG bytes, as an upload would bring it."""
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def smiley(dark_on_white: bool = True) -> bytes:
    """A drawn smiley face: a circle, two eyes and a smiling mouth."""
    background, pen = (255, 0) if dark_on_white else (0, 255)
    image = Image.new("L", (280, 280), background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((30, 30, 250, 250), outline=pen, width=12)
    draw.ellipse((90, 90, 120, 120), fill=pen)
    draw.ellipse((160, 90, 190, 120), fill=pen)
    draw.arc((80, 110, 200, 210), 20, 160, fill=pen, width=12)
    return png_bytes(image)


def printed_text(lines: tuple[str, ...] = ("Hello", "world"), size: int = 64) -> bytes:
    """Black text in PIL's default font on white paper."""
    image = Image.new("L", (700, int(len(lines) * size * 1.3) + 80), 255)
    ImageDraw.Draw(image).multiline_text((30, 40), "\n".join(lines), fill=0, font=ImageFont.load_default(size=size),
                                         spacing=size // 4)
    return png_bytes(image)


def black_square_on_white() -> bytes:
    """A black square in the middle of white paper (the intake inverts it to a white square)."""
    image = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(image).rectangle((70, 70, 210, 210), fill=0)
    return png_bytes(image)


def noise_on_black(cell: int = 1, seed: int = 0) -> bytes:
    """A square of uniform noise (``cell`` pixels a value) in the middle of a black picture."""
    values = np.random.default_rng(seed).integers(0, 256, (200 // cell, 200 // cell), dtype=np.uint8)
    picture = np.zeros((280, 280), np.uint8)
    side = values.shape[0] * cell
    picture[40 : 40 + side, 40 : 40 + side] = np.kron(values, np.ones((cell, cell), np.uint8))
    return png_bytes(Image.fromarray(picture))


def uniform_noise(seed: int = 0) -> bytes:
    """Uniform noise over the whole picture."""
    return png_bytes(Image.fromarray(np.random.default_rng(seed).integers(0, 256, (280, 280), dtype=np.uint8)))


def black() -> bytes:
    """A fully black picture."""
    return png_bytes(Image.new("L", (280, 280), 0))


# --------------------------------------------------------------------------- the nearest training images


def brute_force(train: np.ndarray, images: np.ndarray, k: int = 5, chunk: int = 10_000):
    """(rows, distances) of each image's k nearest training images, every row measured (float64, chunked)."""
    from fmnist_core.data.neighbours import network_pixels, standardise

    queries = standardise(network_pixels(images).astype(np.float64))[0]
    distances = np.concatenate([
        np.sqrt(np.maximum(2 - 2 * queries @ standardise(network_pixels(train[a : a + chunk]).astype(np.float64))[0].T,
                           0)) for a in range(0, len(train), chunk)], axis=1)
    rows = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return rows, np.take_along_axis(distances, rows, 1)


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (from ``/proc/*/stat``: those of any of its threads), e.g. an app's workers."""
    kids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
        except (OSError, IndexError, ValueError):  # a process that ended while we looked
            continue
    return kids


@contextlib.contextmanager
def redis_server(port: int | None = None, *options: str) -> Iterator[tuple[str, object]]:
    """A real redis-server on a free port (or ``port``, with more command-line ``options``) for the block (the test
    is skipped when it is not installed), stopped after it; yields its URL and a connection once it answers."""
    import pytest
    from redis import Redis

    from tests.browser.helpers import free_port

    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (make test installs it)")
    port = port or free_port()
    redis = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no", *options],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = Redis.from_url(url)
                connection.ping()
                break
            except Exception:  # noqa: BLE001 - not listening yet
                assert time.monotonic() < deadline, "redis-server never answered"
                time.sleep(0.05)
        yield url, connection
    finally:
        redis.terminate()
        redis.wait(10)


FS_IOC_GETFLAGS, FS_IOC_SETFLAGS, FS_IMMUTABLE_FL = 0x80086601, 0x40086602, 0x10  # linux/fs.h (chattr's)


@contextlib.contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """``path`` cannot be opened for writing by this process during the block: mode 0444, and when the tests run as
    root (whom modes do not stop; CI does) the file system's immutable flag too, as ``chattr +i`` sets it. The test
    is skipped where neither holds; both are undone after the block."""
    import pytest

    mode, flagged = path.stat().st_mode & 0o7777, False
    path.chmod(0o444)
    fd = os.open(path, os.O_RDONLY)
    try:
        if os.geteuid() == 0:
            flags = array.array("l", [0])
            with contextlib.suppress(OSError):  # a file system without the flag: tried below
                fcntl.ioctl(fd, FS_IOC_GETFLAGS, flags, True)
                flags[0] |= FS_IMMUTABLE_FL
                fcntl.ioctl(fd, FS_IOC_SETFLAGS, flags, True)
                flagged = True
        try:
            os.close(os.open(path, os.O_RDWR))
        except PermissionError:
            pass
        else:
            pytest.skip(f"this process may write {path.name} whatever its mode, and its file system has no "
                        "immutable flag")
        yield
    finally:
        if flagged:
            flags[0] &= ~FS_IMMUTABLE_FL
            fcntl.ioctl(fd, FS_IOC_SETFLAGS, flags, True)
        os.close(fd)
        path.chmod(mode)
