"""Image intake: from any picture to the 28x28 light-on-black garment."""

import contextlib
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from fmnist_core.data.intake import MAX_BYTES, ImageError, light_on_dark, prepare_image, to_grey
from tests.support import drawing, product_photo


def encode(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def block_garment() -> np.ndarray:
    """A 28x28 'garment': a bright rectangle 28 tall, 14 wide, centred (like a Fashion-MNIST dress)."""
    g = np.zeros((28, 28), np.uint8)
    g[:, 7:21] = 200
    g[:, 7:9] = 255
    return g


def test_drawing_on_black_is_recovered_exactly():
    rng = np.random.default_rng(0)
    garment = block_garment()
    prepared = prepare_image(drawing(garment, rng))
    assert not prepared.inverted
    np.testing.assert_array_equal(prepared.final, garment)


def test_product_photo_is_inverted_cropped_and_centred():
    rng = np.random.default_rng(1)
    garment = block_garment()
    prepared = prepare_image(product_photo(garment, rng, "JPEG"))
    assert prepared.inverted
    final = prepared.final.astype(int)
    assert final.shape == (28, 28) and prepared.final.dtype == np.uint8
    assert final[:, :5].max() < 30 and final[:, 23:].max() < 30  # background black either side
    assert final[3:25, 10:18].mean() > 150  # the garment light, where it belongs
    assert np.abs(final - garment).mean() < 20


def test_alpha_strokes_on_transparent_background():
    # white strokes on a transparent background (a canvas default): must end up light on black
    rgba = np.zeros((200, 200, 4), np.uint8)
    rgba[40:160, 80:120] = (255, 255, 255, 255)
    prepared = prepare_image(encode(Image.fromarray(rgba, "RGBA")))
    assert prepared.final.max() == 255 and prepared.final[0, 0] == 0
    # dark strokes on transparent: composited on white, then inverted
    rgba[40:160, 80:120] = (0, 0, 0, 255)
    prepared = prepare_image(encode(Image.fromarray(rgba, "RGBA")))
    assert prepared.inverted and prepared.final.max() == 255 and prepared.final[0, 0] == 0


def test_sixteen_bit_palette_and_grey_modes():
    base = np.zeros((60, 40), np.uint16)
    base[10:50, 10:30] = 60000
    assert to_grey(Image.fromarray(base).convert("I;16")).max() == 233
    grey = Image.fromarray((base // 256).astype(np.uint8), "L")
    for image in (grey, grey.convert("P"), grey.convert("RGB"), grey.convert("LA"), grey.convert("1")):
        prepared = prepare_image(encode(image))
        assert prepared.final.shape == (28, 28) and prepared.final.max() > 200


def test_exif_rotation_is_applied():
    tall = np.zeros((100, 40), np.uint8)
    tall[5:95, 5:35] = 255
    image = Image.fromarray(tall)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    prepared = prepare_image(encode(image, "JPEG", exif=exif.tobytes()))
    assert prepared.original.size == (100, 40)  # shown upright: now wide
    assert prepared.cropped.shape[1] > prepared.cropped.shape[0]


def test_animated_gif_uses_first_frame_and_says_so():
    frames = [Image.fromarray(np.pad(np.full((20, 10), v, np.uint8), 10)) for v in (255, 120)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    prepared = prepare_image(data)
    assert any("animated" in note and "first frame" in note for note in prepared.notes)
    assert prepared.final.max() > 200


@pytest.mark.parametrize("data,message", [
    (b"", "The file is empty."),
    (b"this is not an image at all", "not an image we can read"),
    (b"\x00" * (MAX_BYTES + 1), "the limit is 10 MB"),
])
def test_bad_bytes_get_one_sentence(data, message):
    with pytest.raises(ImageError, match=message):
        prepare_image(data)


def test_truncated_jpeg():
    data = encode(Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 300), np.uint8)), "JPEG")
    with pytest.raises(ImageError, match="truncated or damaged"):
        prepare_image(data[: len(data) // 2])


def test_decompression_bomb_is_refused_before_decoding():
    data = encode(Image.new("1", (8000, 6000)), "PNG")  # 48 megapixels, tiny file
    assert len(data) < MAX_BYTES
    with pytest.raises(ImageError, match="megapixels|too many pixels"):
        prepare_image(data)


@pytest.mark.parametrize("value", [0, 128, 255])
def test_blank_picture_has_no_garment(value):
    with pytest.raises(ImageError, match="No garment found"):
        prepare_image(encode(Image.new("L", (120, 90), value)))


def test_polarity():
    light = np.full((50, 50), 240, np.uint8)
    light[20:30, 20:30] = 10
    flipped, inverted = light_on_dark(light)
    assert inverted and flipped[0, 0] == 15 and flipped[25, 25] == 245


MODES = ["1", "L", "P", "RGB", "RGBA", "LA", "I;16", "I", "F", "CMYK", "PA"]
FORMATS = ["PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mode=st.sampled_from(MODES), fmt=st.sampled_from(FORMATS), width=st.integers(1, 120),
       height=st.integers(1, 120), seed=st.integers(0, 2**32 - 1), blocky=st.booleans())
def test_any_image_becomes_28x28_or_a_clear_error(mode, fmt, width, height, seed, blocky):
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
    if blocky:  # a shape on a plain background, more like a real picture
        noise[:] = rng.integers(0, 256, 4, dtype=np.uint8)
        noise[height // 4 : 3 * height // 4 + 1, width // 4 : 3 * width // 4 + 1] = rng.integers(0, 256, 4)
    image = Image.fromarray(noise, "RGBA").convert(mode) if mode not in ("I;16", "I", "F") else \
        Image.fromarray(noise[..., 0]).convert(mode)
    try:
        data = encode(image, fmt)
    except (OSError, ValueError, KeyError):
        return  # this format cannot store this mode; nothing to test
    for source in (data, image):
        try:
            prepared = prepare_image(source)
        except ImageError as exc:
            assert str(exc) and "\n" not in str(exc)
            continue
        assert prepared.final.shape == (28, 28) and prepared.final.dtype == np.uint8


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash(data):
    try:
        prepared = prepare_image(data)
    except ImageError:
        return
    assert prepared.final.shape == (28, 28)


@settings(max_examples=60, deadline=None)
@given(prefix=st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"BM", b"RIFF"]),
       rest=st.binary(max_size=500))
def test_corrupt_files_with_real_headers(prefix, rest):
    with contextlib.suppress(ImageError):
        prepare_image(prefix + rest)
