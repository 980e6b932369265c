"""Damaged and hostile input to fmnist_core.data: pictures cut, bit-flipped, animated or huge (``intake``), and
bit flips in the gzip data files (``sources``): each is read or refused with one sentence, never another exception."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from fmnist_core.data import sources as data_module
from fmnist_core.data.intake import MAX_DECODED_PIXELS, WORK_PIXELS, ImageError, prepare_image


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
