"""Make the example pictures of the Classify page (run once; the results are committed).

Drawn with PIL from simple outlines, so no data set image is shipped: pen drawings on paper, white-on-black
sketches, and photo-like pictures (a textured garment on tinted, shaded, noisy paper, saved as JPEG).
    python assets/make_examples.py
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

OUT = Path(__file__).parent / "examples"
SHAPES = {  # outlines on a 100x100 grid
    "t-shirt": [(30, 10), (42, 14), (58, 14), (70, 10), (92, 28), (82, 42), (72, 36), (72, 92), (28, 92), (28, 36),
                (18, 42), (8, 28)],
    "trouser": [(30, 6), (70, 6), (74, 94), (56, 94), (50, 34), (44, 94), (26, 94)],
    "dress": [(38, 6), (62, 6), (60, 30), (80, 94), (20, 94), (40, 30)],
    "sneaker": [(6, 52), (26, 50), (44, 60), (80, 66), (94, 74), (94, 84), (6, 84)],
    "bag": [(12, 36), (88, 36), (92, 90), (8, 90)],
    "ankle-boot": [(30, 8), (62, 8), (64, 52), (90, 66), (94, 80), (94, 92), (28, 92)],
}


def outline(name: str, size: int) -> list[tuple[float, float]]:
    return [(x * size / 100, y * size / 100) for x, y in SHAPES[name]]


def pen_drawing(name: str) -> Image.Image:
    image = Image.new("RGB", (300, 300), "white")
    draw = ImageDraw.Draw(image)
    draw.polygon(outline(name, 300), outline="black", width=7)
    if name == "bag":
        draw.arc((90, 20, 210, 150), 180, 360, fill="black", width=7)
    return image


def sketch_on_black(name: str) -> Image.Image:
    image = Image.new("L", (280, 280), 0)
    draw = ImageDraw.Draw(image)
    draw.polygon(outline(name, 280), fill=190, outline=255, width=5)
    return image


def photo(name: str, rng: np.random.Generator) -> Image.Image:
    size, width, height = 360, 520, 460
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).polygon(outline(name, size), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(1.5))
    paper = np.ones((height, width, 3)) * np.array([238, 232, 220])
    paper *= (1 - 0.1 * np.linspace(0, 1, width))[None, :, None]
    texture = 60 + 25 * np.sin(np.arange(size)[:, None] / 3.0) + rng.normal(0, 8, (size, size))
    colour = np.array([0.55, 0.6, 0.8])  # denim blue
    garment = texture[..., None] * colour * 2.2
    alpha = np.asarray(mask, np.float64)[..., None] / 255
    top, left = 50, 110
    region = paper[top : top + size, left : left + size]
    paper[top : top + size, left : left + size] = region * (1 - alpha) + garment * alpha
    paper += rng.normal(0, 5, paper.shape)
    return Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8))


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        pen_drawing(shape).save(OUT / f"drawing-{shape}.png", optimize=True)
    for shape in ("t-shirt", "trouser", "sneaker"):
        sketch_on_black(shape).save(OUT / f"sketch-{shape}.png", optimize=True)
    for shape in ("t-shirt", "dress", "bag", "ankle-boot"):
        photo(shape, rng).save(OUT / f"photo-{shape}.jpg", quality=85)
    print(f"wrote {len(list(OUT.iterdir()))} examples to {OUT}")
