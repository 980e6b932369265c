"""Pictures for the intake tests: product photos and drawings made from 28x28 garments."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


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
