"""The drawing canvas, wrapped in one small function so tests can replace it (AppTest cannot drive it)."""

from __future__ import annotations

import numpy as np


def draw_canvas(stroke_width: int, key: str) -> np.ndarray | None:
    """Show a 280x280 black canvas with a white pen; return the drawing as RGBA pixels (None before any stroke)."""
    from streamlit_drawable_canvas import st_canvas

    result = st_canvas(
        stroke_width=stroke_width,
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=280,
        width=280,
        drawing_mode="freedraw",
        return_image_data=True,
        key=key,
    )
    return result.image_data
