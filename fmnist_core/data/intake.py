"""From any picture of a garment to the 28x28 image the network expects.

Fashion-MNIST was made by trimming each product photo to the garment, resizing its longest edge to 28
pixels, centring it, and inverting it: a light garment on a black background. ``prepare_image`` does the
same to an upload or a drawing and keeps every intermediate step for display:

1. open: size and format checks, first frame of an animation, EXIF rotation applied;
2. grey: alpha composited onto a background that contrasts with the content, converted to 8-bit grey;
3. polarity: a light border (paper, a product photo) is inverted, so the garment ends up light on dark;
4. find the garment: a threshold robust to JPEG noise, paper tint and soft shadows (median filter, then
   a floor above the border's level and noise), cropped to the garment's bounding box;
5. contrast: background to 0, the garment's brightest pixels to 255;
6. fit: longest edge to 28 pixels, aspect ratio kept, centred on a 28x28 black square.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from ..i18n import _, number

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # JPEG: decoded at a reduced scale (``draft``), so even this many costs little memory
MAX_DECODED_PIXELS = 16_000_000  # other formats are decoded at full size first: at most 64 MB as RGBA
PIXEL_LIMITS = {"JPEG": MAX_PIXELS, "MPO": MAX_PIXELS, "WEBP": 8_000_000}  # libwebp holds two copies while decoding
WORK_PIXELS = 1_000_000  # everything after opening works on at most about this many pixels (the result is 28x28)
WORK_SIDE = 4096  # ... and on at most this many on a side
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "MPO")
LOW_CONFIDENCE = 0.5
_REDUCIBLE = ("L", "RGB", "RGBA", "LA", "I", "F")


class ImageError(ValueError):
    """The input cannot become a garment image; the message is one sentence for the person."""


@dataclass
class PreparedImage:
    """The 28x28 result and each step on the way, for display."""

    final: np.ndarray  # (28, 28) uint8, light garment on black
    original: Image.Image  # RGB(A) as opened (EXIF-rotated, shrunk to the working size), for display
    grey: np.ndarray  # uint8, light garment on dark background
    cropped: np.ndarray  # uint8, the garment's bounding box after contrast stretching
    inverted: bool  # True when the background was light and the picture was inverted
    box: tuple[int, int, int, int]  # left, top, right, bottom in the grey image
    notes: list[str] = field(default_factory=list)  # e.g. "first frame of an animation used"


# --------------------------------------------------------------------------- 1. open


def check_size(size: int) -> None:
    """Raise ImageError when a file of ``size`` bytes is over ``MAX_BYTES`` (before reading it, where possible)."""
    if size > MAX_BYTES:
        # Translators: {size}: the upload's size in MB, e.g. "12.5"; {limit}: e.g. 10
        raise ImageError(_("The file is {size} MB; the limit is {limit} MB.").format(
            size=number(size / 2**20, 1), limit=MAX_BYTES // 2**20))


def open_image(source: bytes | Image.Image) -> tuple[Image.Image, list[str]]:
    """Open bytes (or take a PIL image) with the size, format and animation checks, shrunk to the working size.

    Returns (image, notes). Any failure of the decoder is an ImageError: hostile or damaged files make Pillow
    raise much more than its own errors (IndexError, struct.error, zlib.error, EOFError, SyntaxError, ...).
    """
    if not isinstance(source, Image.Image):
        if not source:
            raise ImageError(_("The file is empty."))
        check_size(len(source))
    try:
        return _open(source)
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError(_("The image has too many pixels to be safe to open.")) from None
    except UnidentifiedImageError:
        raise ImageError(_("This file is not an image we can read (PNG, JPEG, WebP, BMP or GIF).")) from None
    except MemoryError:
        raise ImageError(_("The image needs too much memory to open.")) from None
    except Exception:  # noqa: BLE001 - whatever a decoder raises on damaged bytes, it is one sentence here
        raise ImageError(_("The image file is truncated or damaged.")) from None


def _open(source: bytes | Image.Image) -> tuple[Image.Image, list[str]]:
    notes: list[str] = []
    if isinstance(source, Image.Image):
        image = source
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                image = Image.open(io.BytesIO(source))
            except Image.DecompressionBombWarning:
                raise ImageError(_("The image has too many pixels to be safe to open.")) from None
        if image.format not in FORMATS:
            # Translators: {format}: the image format Pillow found, e.g. "TIFF"
            raise ImageError(_("{format} images are not supported; use PNG, JPEG, WebP, BMP or GIF.").format(
                format=image.format))
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageError(_("The image has no pixels."))
    limit = PIXEL_LIMITS.get(image.format, MAX_DECODED_PIXELS)
    if width * height > limit:
        # Translators: {size}: e.g. "48"; {format}: e.g. "PNG"; {limit}: e.g. 40
        raise ImageError(_("The image is {size} megapixels; the limit for {format} is {limit} megapixels.").format(
            size=number(width * height / 1e6), format=image.format, limit=limit // 1_000_000))
    frames = getattr(image, "n_frames", 1)
    if frames > 1:
        image.seek(0)
        # Translators: {n}: frames of an animated GIF or WebP, e.g. 12
        notes.append(_("This is an animated image with {n} frames; only the first frame is used.").format(n=frames))
    if image.format in ("JPEG", "MPO"):  # decode at 1/2, 1/4 or 1/8 scale: big photos never exist at full size
        k = math.sqrt(width * height / WORK_PIXELS)
        if k > 1:
            image.draft(image.mode, (math.ceil(width / k), math.ceil(height / k)))
    image.load()
    image = shrink(image)
    image = ImageOps.exif_transpose(image) or image
    return image, notes


def shrink(image: Image.Image) -> Image.Image:
    """The image reduced by whole factors to at most about ``WORK_PIXELS`` pixels and ``WORK_SIDE`` on a side.

    Box averaging (``reduce``) where Pillow can; palette and other modes are first sampled down (nearest pixel,
    no copy at full size), then converted.
    """
    width, height = image.size
    factor = max(math.ceil(math.sqrt(width * height / WORK_PIXELS)), math.ceil(max(width, height) / WORK_SIDE))
    if factor <= 1:
        return image
    fx, fy = min(factor, width), min(factor, height)
    if image.mode.startswith("I;16"):
        image = image.convert("I")
    if image.mode not in _REDUCIBLE:
        image = image.resize((max(1, width // fx), max(1, height // fy)), Image.Resampling.NEAREST)
        return image.convert("RGBA" if "transparency" in image.info or image.mode in ("PA", "P", "LA") else "RGB")
    return image.reduce((fx, fy))


# --------------------------------------------------------------------------- 2. grey


def to_grey(image: Image.Image) -> np.ndarray:
    """8-bit grey (H, W) uint8; 16-bit and float modes rescaled, alpha composited onto a contrasting background."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return np.zeros(values.shape, np.uint8)
        lo, hi = float(finite.min()), float(finite.max())
        if mode.startswith("I;16") and lo >= 0:
            lo, hi = 0.0, 65535.0 if hi > 255 else 255.0
        scaled = (np.nan_to_num(values, nan=lo) - lo) / max(hi - lo, 1e-12) * 255
        return np.clip(scaled, 0, 255).astype(np.uint8)
    has_alpha = mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info) or (
        mode in ("RGB", "L") and "transparency" in image.info)
    if not has_alpha:
        return np.asarray(image.convert("L"), dtype=np.uint8)
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float64)
    alpha = rgba[..., 3:4] / 255.0
    grey = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])
    opaque = alpha[..., 0] > 0.5
    # put the content on the background that contrasts with it: light strokes on black, dark ones on white
    content_light = grey[opaque].mean() > 127 if opaque.any() else False
    background = 0.0 if content_light else 255.0
    return np.clip(grey * alpha[..., 0] + background * (1 - alpha[..., 0]), 0, 255).round().astype(np.uint8)


# --------------------------------------------------------------------------- 3. polarity


def border_pixels(grey: np.ndarray) -> np.ndarray:
    """The pixels of a frame around the image, about 3% of its size wide."""
    h, w = grey.shape
    k = max(1, round(0.03 * min(h, w)))
    return np.concatenate([grey[:k].ravel(), grey[-k:].ravel(), grey[:, :k].ravel(), grey[:, -k:].ravel()])


def light_on_dark(grey: np.ndarray) -> tuple[np.ndarray, bool]:
    """Invert when the border (the background) is light; returns (image, inverted)."""
    if np.median(border_pixels(grey)) > 127:
        return 255 - grey, True
    return grey, False


# --------------------------------------------------------------------------- 4. find the garment


@dataclass(frozen=True)
class Background:
    """The background's level and noise (robust standard deviation), measured on the border."""

    level: float
    noise: float

    @property
    def floor(self) -> float:
        """Brightness above which a pixel is garment, clear of paper tint, soft shadows and JPEG noise."""
        return self.level + max(4 * self.noise, 5.0)


def smoothed(grey: np.ndarray) -> np.ndarray:
    """3x3 median filter: removes JPEG and sensor speckle, keeps edges."""
    if min(grey.shape) < 3:
        return grey
    return np.asarray(Image.fromarray(grey).filter(ImageFilter.MedianFilter(3)), dtype=np.uint8)


def measure_background(smooth: np.ndarray) -> Background:
    """Level and noise of the border of a light-on-dark image."""
    border = border_pixels(smooth).astype(np.float64)
    level = float(np.median(border))
    return Background(level, float(np.median(np.abs(border - level))) * 1.4826)


def garment_mask(smooth: np.ndarray, background: Background) -> np.ndarray:
    """Boolean mask of garment pixels: brighter than the background floor (a uniform picture has none)."""
    return smooth > background.floor


def bounding_box(mask: np.ndarray, keep: float = 0.999) -> tuple[int, int, int, int] | None:
    """Box (left, top, right, bottom) holding ``keep`` of the mask's pixels, ignoring stray specks at the edges."""
    total = mask.sum()
    if total == 0:
        return None
    cut = (1 - keep) / 2 * total

    def span(profile: np.ndarray) -> tuple[int, int]:
        cumulative = np.cumsum(profile)
        start = int(np.searchsorted(cumulative, cut, side="right"))
        end = int(np.searchsorted(cumulative, total - cut, side="left")) + 1
        return start, max(end, start + 1)

    left, right = span(mask.sum(axis=0))
    top, bottom = span(mask.sum(axis=1))
    return left, top, right, bottom


# --------------------------------------------------------------------------- 5-6. contrast and fit


def stretch(crop: np.ndarray, smooth_crop: np.ndarray, background: Background) -> np.ndarray:
    """Background (plus its noise) to 0, the garment's brightest area to 255."""
    values = crop.astype(np.float64)
    low = background.level + 2 * background.noise
    high = float(smooth_crop.max())
    if high - low < 1:
        return np.where(smooth_crop > background.floor, 255, 0).astype(np.uint8)
    return np.clip((values - low) / (high - low) * 255, 0, 255).round().astype(np.uint8)


def fit_to_28(crop: np.ndarray) -> np.ndarray:
    """Longest edge to 28 pixels (aspect kept), centred on a black 28x28 square."""
    h, w = crop.shape
    scale = 28 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # shrinking: average each source area (faithful, no ringing); enlarging a tiny picture: smooth
    method = Image.Resampling.BOX if scale <= 1 else Image.Resampling.BILINEAR
    resized = np.asarray(Image.fromarray(crop).resize(size, method), dtype=np.uint8)
    out = np.zeros((28, 28), np.uint8)
    top, left = (29 - size[1]) // 2, (29 - size[0]) // 2  # odd margins: the extra pixel on top/left
    out[top : top + size[1], left : left + size[0]] = resized
    return out


def prepare_image(source: bytes | Image.Image) -> PreparedImage:
    """Any picture of a garment -> the 28x28 uint8 image the model expects, with the steps. Raises ImageError."""
    image, notes = open_image(source)
    try:
        grey = to_grey(image)
    except (OSError, ValueError, MemoryError) as exc:
        # Translators: {reason}: a Python error name, e.g. "OSError"
        raise ImageError(_("The image could not be converted to grey ({reason}).").format(
            reason=type(exc).__name__)) from None
    grey, inverted = light_on_dark(grey)
    smooth = smoothed(grey)
    background = measure_background(smooth)
    box = bounding_box(garment_mask(smooth, background))
    if box is None:
        raise ImageError(_("No garment found: the picture is blank or has too little contrast."))
    left, top, right, bottom = box
    crop = stretch(grey[top:bottom, left:right], smooth[top:bottom, left:right], background)
    if crop.max() == 0:
        raise ImageError(_("No garment found: the picture is blank or has too little contrast."))
    return PreparedImage(final=fit_to_28(crop), original=image, grey=grey, cropped=crop, inverted=inverted,
                         box=box, notes=notes)
