"""Data page: browse Fashion-MNIST, count the classes, see the average garment and the pixel values."""

from __future__ import annotations

import pages.ui.preload  # noqa: F401 - first: a fresh server runs a linked page's file alone (preload.py)

# isort: split

import numpy as np
import streamlit as st

from fmnist_core.data import (
    alike_caption,
    browse_alt,
    browse_caption,
    class_counts,
    class_names,
    counts_caption,
    mean_images,
    most_alike,
    pixel_histogram,
)
from fmnist_core.i18n import _, language, number
from fmnist_core.views import charts
from pages.ui.data import get_data
from pages.ui.navigation import in_app


@st.cache_resource(show_spinner=False, max_entries=4)
def summaries(source: str, _x_train: np.ndarray, _y_train: np.ndarray, _y_test: np.ndarray) -> dict:
    """Counts, class means and pixel histograms (read-only), computed once per data source, in any language."""
    sample = _x_train[:: max(1, len(_x_train) // 10_000)]  # 10,000 images are plenty for a histogram
    return {
        "train_counts": class_counts(_y_train),
        "test_counts": class_counts(_y_test),
        "means": mean_images(_x_train, _y_train),
        "raw": pixel_histogram(sample, normalize=False),
        "normalised": pixel_histogram(sample, normalize=True),
    }


@st.cache_resource(show_spinner=False, max_entries=12)
def figures(source: str, lang: str, _facts: dict) -> dict:
    """The figures of ``summaries``, once per data source and language (their words are in it)."""
    raw, norm, means = _facts["raw"], _facts["normalised"], _facts["means"]
    return {
        "counts": charts.class_count_figure(_facts["train_counts"], _facts["test_counts"]),
        "means": charts.image_grid(means, class_names(), zmax=means.max() or 1),
        "raw": charts.histogram_figure(raw.counts, raw.edges, _("raw pixels")),
        "normalised": charts.histogram_figure(norm.counts, norm.edges, _("after dividing by 255"), charts.PALETTE[1]),
    }



def main() -> None:
    st.title(_("The data: Fashion-MNIST"))
    data = get_data()
    if data is None:
        return
    st.markdown(data.describe() + ". " + _(
        "Each image is 28x28 grey pixels (0 = black, 255 = white) of one of ten kinds of clothing. The network "
        "learns from the training images and is graded on the test images, which it never sees while training."))
    with st.spinner(_("Summarising the data set…")):
        facts = summaries(data.source, data.x_train, data.y_train, data.y_test)
        shown = figures(data.source, language(), facts)
    browse(data)
    class_counts_section(facts, shown)
    average_garments(facts, shown)
    pixel_values(facts, shown)


def browse(data) -> None:
    """A page of images of one split and class."""
    st.subheader(_("Browse the images"))
    c1, c2, c3, c4 = st.columns([1, 2, 1, 1])
    split_names = {"training": _("training"), "test": _("test")}
    split = c1.radio(_("Split"), list(split_names), horizontal=True, key="data_split", format_func=split_names.get)
    names = class_names()
    class_index = c2.selectbox(_("Class"), [-1, *range(10)], key="data_class",
                               format_func=lambda i: _("all classes") if i < 0 else names[i])
    n = c3.slider(_("Images"), 5, 40, 20, step=5, key="data_n")
    start = c4.number_input(_("Start at"), 0, 100_000, 0, step=n, key="data_start",
                            help=_("Skip this many images of the chosen class: the next page of images."))
    images, labels = (data.x_train, data.y_train) if split == "training" else (data.x_test, data.y_test)
    indices = np.arange(len(labels)) if class_index < 0 else np.flatnonzero(labels == class_index)
    shown = indices[int(start) : int(start) + n]
    chosen = _("all classes") if class_index < 0 else names[class_index]
    if len(shown) == 0:
        # Translators: {n}: images of the chosen class and split, e.g. "6,000"
        st.info(_("No more images: this selection has {n}.").format(n=number(len(indices))))
        return
    st.plotly_chart(charts.image_grid(images[shown], [f"#{i} {names[labels[i]]}" for i in shown]),
                    key="browse", alt=browse_alt(split, len(shown)))
    st.caption(browse_caption(split, len(shown), len(indices), chosen, shown[0], shown[-1]))


def class_counts_section(facts: dict, shown: dict) -> None:
    st.subheader(_("How many of each?"))
    st.plotly_chart(shown["counts"], key="counts", alt=_("Images per class in the training and test sets"))
    st.caption(counts_caption(facts["train_counts"], facts["test_counts"]))


def average_garments(facts: dict, shown: dict) -> None:
    st.subheader(_("The average garment of each class"))
    st.plotly_chart(shown["means"], key="means", alt=_("Mean training image of each class"))
    st.caption(alike_caption(most_alike(facts["means"]), class_names()))


def pixel_values(facts: dict, shown: dict) -> None:
    st.subheader(_("Pixel values before and after normalisation"))
    left, right = st.columns(2)
    raw, norm = facts["raw"], facts["normalised"]
    left.plotly_chart(shown["raw"], key="hist_raw", alt=_("Histogram of raw pixel values 0 to 255"))
    left.metric(_("Range of raw values"), f"{raw.minimum:.0f} – {raw.maximum:.0f}")
    right.plotly_chart(shown["normalised"], key="hist_norm", alt=_("Histogram of normalised pixel values 0 to 1"))
    right.metric(_("Range after normalising"), f"{norm.minimum:.0f} – {norm.maximum:.0f}")
    st.caption(_("Dividing by 255 changes only the scale, not the shape: the same histogram between 0 and 1. Most "
                 "pixels are background (0)."))


in_app(main)
