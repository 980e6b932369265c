"""Classify your own garment: draw it or upload a photo, see the 28x28 image the network gets and its answer."""

from __future__ import annotations

import pages.ui.preload  # noqa: F401 - first: a fresh server runs a linked page's file alone (preload.py)

# isort: split

from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

from fmnist_core.data import (
    CLASS_NAMES,
    LOW_CONFIDENCE,
    ImageError,
    Neighbours,
    class_label,
    distance_caption,
    neighbour_index,
    prepare_image,
)
from fmnist_core.i18n import _, class_name, percent
from fmnist_core.runs import top_k
from fmnist_core.views import charts
from pages.ui import canvas
from pages.ui.data import get_data
from pages.ui.lang import fragment
from pages.ui.navigation import in_app
from pages.ui.run_picker import choose_run
from pages.ui.stored_runs import shared_run
from pages.ui.text import plain

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "assets" / "examples").glob("*.*"))
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif"]


def example_label(filename: str) -> str:
    """'drawing-ankle-boot.png' -> 'drawing: Ankle boot' in the reader's language (the file name when unknown)."""
    kind, _sep, garment = filename.rsplit(".", 1)[0].partition("-")
    kinds = {"drawing": _("drawing"), "photo": _("photo"), "sketch": _("sketch")}
    classes = {name.lower().split("/")[0].replace(" ", "-"): name for name in CLASS_NAMES}
    if kind not in kinds or garment not in classes:
        return filename
    # Translators: an example picture's name; {kind}: "photo", "drawing" or "sketch"; {garment}: a class name, e.g.
    # "Dress"
    return _("{kind}: {garment}").format(kind=kinds[kind], garment=class_name(classes[garment]))


def show_prediction(source: bytes | Image.Image, key: str, name: str, where: str) -> None:
    """The preparation steps and the network's answer for one picture, or one sentence on what is wrong.

    ``where`` (draw, upload, example) keeps the element keys of the three tabs apart whatever the file names.
    """
    try:
        prepared = prepare_image(source)
    except ImageError as exc:
        st.warning(str(exc))
        return
    run = shared_run(key)
    if run is None:
        return
    probabilities = run.predict(prepared.final)[0]
    for note in prepared.notes:
        st.info(note)
    steps = st.columns(4)
    original = prepared.original.copy()
    original.thumbnail((280, 280))
    steps[0].image(original.convert("RGB") if original.mode not in ("RGB", "L") else original,
                   caption=f"1. {plain(name)}")
    steps[1].image(prepared.grey, caption="2. " + (_("grey, inverted to light on dark") if prepared.inverted
                                                   else _("grey (already light on dark)")))
    steps[2].image(prepared.cropped, caption="3. " + _("cropped to the garment"))
    steps[3].image(Image.fromarray(prepared.final).resize((140, 140), Image.Resampling.NEAREST),
                   caption="4. " + _("the 28x28 image the network sees"))
    best = top_k(probabilities, 3)
    # Translators: {answers}: the three likeliest classes, e.g. "Dress 81%, Coat 9%, Shirt 4%"
    st.markdown(_("**The network says:** {answers}.").format(
        answers=", ".join(f"{label} {percent(p, 0)}" for label, p in best)))
    found = nearest_training_images(prepared.final)
    if found is not None and found.unlike:
        st.warning(found.warning())
    if best[0][1] < LOW_CONFIDENCE:
        # Translators: {confidence}: e.g. "38%"
        st.warning(_("The network is unsure (its best guess has only {confidence}). The picture may not look like "
                     "the catalogue photos it learned from.").format(confidence=percent(best[0][1], 0)))
    st.plotly_chart(charts.prediction_bars(probabilities), key=f"bars-{where}",
                    alt=_("Probability of each of the ten classes"))
    if found is not None:
        show_neighbours(found)


def nearest_training_images(final: np.ndarray) -> Neighbours | None:
    """The five training images nearest to the prepared picture (None after a message when the data is missing);
    the index is built once per process, on first use, and shared by every session."""
    data = get_data()
    if data is None:
        return None
    with st.spinner(_("Finding the nearest training images…")):
        return neighbour_index(data).nearest(final, k=5)


def show_neighbours(found: Neighbours) -> None:
    """The nearest training images with their classes, in which space they are nearest and why."""
    st.markdown("**" + _("The five nearest training images") + "**")
    st.caption(_("Compared pixel by pixel after the same preparation the network gets (with brightness and contrast "
                 "evened out), not inside the network: so they do not depend on the model chosen, you see what is "
                 "compared, and a network's insides are exactly what cannot be trusted for a picture unlike its "
                 "training data."))
    for column, image, label in zip(st.columns(len(found.indices)), found.images, found.labels, strict=True):
        column.image(Image.fromarray(image).resize((84, 84), Image.Resampling.NEAREST),
                     caption=class_label(int(label)))
    st.caption(distance_caption(found))


def main() -> None:
    st.title(_("Classify your own garment"))
    st.markdown(_("Draw a garment or upload a photo of one. The app turns it into what the network was trained on — a "
                  "28x28 grey image of a light garment, centred on black — and shows you each step."))
    chosen = choose_run(_("Model"))
    if chosen is None:
        return
    draw_tab, upload_tab, examples_tab = st.tabs([_("Draw"), _("Upload a photo"), _("Examples")])
    with draw_tab:
        draw_section(chosen.key)
    with upload_tab:
        upload_section(chosen.key)
    with examples_tab:
        examples_section(chosen.key)


@fragment
def draw_section(key: str) -> None:
    """The canvas and its prediction; a stroke reruns only this part of the page."""
    left, right = st.columns([1, 1])
    with right:
        width = st.slider(_("Pen width"), 4, 48, 20, key="pen_width")
        if st.button(_("Clear the canvas"), key="clear_canvas"):
            st.session_state["canvas_round"] = st.session_state.get("canvas_round", 0) + 1
        st.caption(_("Draw one garment with a light pen on the black square, like the training images: the network "
                     "knows T-shirts, trousers, pullovers, dresses, coats, sandals, shirts, sneakers, bags and ankle "
                     "boots. Drawing needs a mouse, pen or finger; with a keyboard or a screen reader, use the "
                     "**Upload a photo** tab (or the **Examples**) instead."))
        st.caption(_("Colour the garment in: the training images are filled photos, so an outline alone looks unlike "
                     "them."))
    with left:
        try:
            pixels = canvas.draw_canvas(width, key=f"canvas-{st.session_state.get('canvas_round', 0)}")
        except Exception as exc:  # noqa: BLE001 - a broken component must not take the page down
            # Translators: {reason}: a Python error name, e.g. "ImportError"
            st.error(_("The drawing canvas could not be shown ({reason}); upload a picture instead.").format(
                reason=type(exc).__name__))
            return
    if pixels is None or np.ptp(np.asarray(pixels)[..., :3]) == 0:
        st.info(_("The canvas is empty: draw a garment to see what the network thinks."))
        return
    show_prediction(Image.fromarray(np.asarray(pixels, dtype=np.uint8)), key, _("your drawing"), "draw")


def upload_section(key: str) -> None:
    """A photo or picture the learner uploads."""
    upload = st.file_uploader(_("A photo or picture of one garment"), type=UPLOAD_TYPES, key="upload",
                              help=_("PNG, JPEG, WebP, BMP or GIF, up to 10 MB. Phone photos are turned upright."))
    if upload is not None:
        show_prediction(upload.getvalue(), key, upload.name, "upload")


def examples_section(key: str) -> None:
    """The example pictures in assets/examples."""
    if not EXAMPLES:
        st.info(_("No example pictures found in assets/examples."))
        return
    names = [p.name for p in EXAMPLES]
    picked = st.radio(_("Example"), names, horizontal=True, key="example", format_func=example_label)
    show_prediction(EXAMPLES[names.index(picked)].read_bytes(), key, example_label(picked), "example")


in_app(main)
