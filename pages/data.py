"""Data page: browse Fashion-MNIST, count the classes, see the average garment and the pixel values."""

from __future__ import annotations

import numpy as np
import streamlit as st

from fmnist_core.data.sources import CLASS_NAMES
from fmnist_core.data.statistics import class_counts, mean_images, most_alike, pixel_histogram
from fmnist_core.i18n import _, class_name, language, number, percent
from fmnist_core.views import charts
from pages.ui.data import get_data
from pages.ui.navigation import ensure_app_navigation

ensure_app_navigation()


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
        "means": charts.image_grid(means, [class_name(n) for n in CLASS_NAMES], zmax=means.max() or 1),
        "raw": charts.histogram_figure(raw.counts, raw.edges, _("raw pixels")),
        "normalised": charts.histogram_figure(norm.counts, norm.edges, _("after dividing by 255"), charts.PALETTE[1]),
    }


def browse_alt(split: str, n: int) -> str:
    """The image grid's alt text, one sentence per split ('20 training images with their index and label')."""
    if split == "training":
        # Translators: {n}: images shown, e.g. 20
        return _("{n} training images with their index and label").format(n=n)
    # Translators: {n}: images shown, e.g. 20
    return _("{n} test images with their index and label").format(n=n)


def browse_caption(split: str, n: int, total: int, classes: str, first: int, last: int) -> str:
    """The caption under the image grid, one sentence per split: '20 of the 6,000 training images of Coat, …'."""
    if split == "training":
        # Translators: {n}: images shown, e.g. 20; {total}: e.g. "6,000"; {classes}: a class name, e.g. "Coat", or
        # "all classes"; {first}, {last}: image numbers, e.g. 19, 402
        sentence = _("{n} of the {total} training images of {classes}, from #{first} to #{last}; each title is the "
                     "image's number and its label.")
    else:
        # Translators: as above, for the test images; {total}: e.g. "1,000"
        sentence = _("{n} of the {total} test images of {classes}, from #{first} to #{last}; each title is the "
                     "image's number and its label.")
    return sentence.format(n=n, total=number(total), classes=classes, first=first, last=last)


st.title(_("The data: Fashion-MNIST"))
data = get_data()
if data is None:
    st.stop()
st.markdown(data.describe() + ". " + _(
    "Each image is 28x28 grey pixels (0 = black, 255 = white) of one of ten kinds of clothing. The network learns "
    "from the training images and is graded on the test images, which it never sees while training."))
with st.spinner(_("Summarising the data set…")):
    facts = summaries(data.source, data.x_train, data.y_train, data.y_test)
    facts = facts | {"figures": figures(data.source, language(), facts)}

st.subheader(_("Browse the images"))
c1, c2, c3, c4 = st.columns([1, 2, 1, 1])
SPLIT_NAMES = {"training": _("training"), "test": _("test")}
split = c1.radio(_("Split"), list(SPLIT_NAMES), horizontal=True, key="data_split", format_func=SPLIT_NAMES.get)
names = [class_name(name) for name in CLASS_NAMES]
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
else:
    st.plotly_chart(charts.image_grid(images[shown], [f"#{i} {names[labels[i]]}" for i in shown]),
                    key="browse", alt=browse_alt(split, len(shown)))
    st.caption(browse_caption(split, len(shown), len(indices), chosen, shown[0], shown[-1]))

st.subheader(_("How many of each?"))
st.plotly_chart(facts["figures"]["counts"], key="counts",
                alt=_("Images per class in the training and test sets"))
balanced = len(set(facts["train_counts"].tolist())) == 1 and len(set(facts["test_counts"].tolist())) == 1
# Translators: {low}, {high}, {test_low}, {test_high}: image counts, e.g. "6,000", "1,000"
st.caption(_("Training: {low}–{high} per class; test: {test_low}–{test_high}.").format(
    low=number(facts["train_counts"].min()), high=number(facts["train_counts"].max()),
    test_low=number(facts["test_counts"].min()), test_high=number(facts["test_counts"].max()))
    # Translators: {share}: "10%"
    + (" " + _("Every class is equally common, so guessing gives {share} accuracy.").format(share=percent(0.1, 0))
       if balanced else ""))

st.subheader(_("The average garment of each class"))
st.plotly_chart(facts["figures"]["means"], key="means", alt=_("Mean training image of each class"))
alike = most_alike(facts["means"])
# Translators: {pairs}: e.g. "Shirt and T-shirt/top (31); Pullover and Coat (33)"
st.caption(_("Each picture is the pixel-by-pixel mean of all training images of that class. The most alike "
             "averages (root-mean-square difference of pixel values): {pairs}. Classes that look alike on average "
             "are the hard ones to tell apart.").format(pairs="; ".join(
                 # Translators: two classes and their difference; {a}, {b}: class names, e.g. "Shirt", "Coat"; {d}:
                 # e.g. 31
                 _("{a} and {b} ({d})").format(a=names[a], b=names[b], d=number(d)) for a, b, d in alike)))

st.subheader(_("Pixel values before and after normalisation"))
left, right = st.columns(2)
raw, norm = facts["raw"], facts["normalised"]
left.plotly_chart(facts["figures"]["raw"], key="hist_raw",
                  alt=_("Histogram of raw pixel values 0 to 255"))
left.metric(_("Range of raw values"), f"{raw.minimum:.0f} – {raw.maximum:.0f}")
right.plotly_chart(facts["figures"]["normalised"], key="hist_norm",
                   alt=_("Histogram of normalised pixel values 0 to 1"))
right.metric(_("Range after normalising"), f"{norm.minimum:.0f} – {norm.maximum:.0f}")
st.caption(_("Dividing by 255 changes only the scale, not the shape: the same histogram between 0 and 1. Most "
             "pixels are background (0)."))
