"""Data page: browse Fashion-MNIST, count the classes, see the average garment and the pixel values."""

from __future__ import annotations

import numpy as np
import streamlit as st

from fmnist_core.data.sources import CLASS_NAMES
from fmnist_core.data.statistics import class_counts, mean_images, most_alike, pixel_histogram
from fmnist_core.views import charts
from pages.ui.data import get_data
from pages.ui.navigation import ensure_app_navigation

ensure_app_navigation()


@st.cache_resource(show_spinner="Summarising the data set…", max_entries=4)
def summaries(source: str, _x_train: np.ndarray, _y_train: np.ndarray, _y_test: np.ndarray) -> dict:
    """Counts, class means, pixel histograms and their (read-only) figures, computed once per data source."""
    sample = _x_train[:: max(1, len(_x_train) // 10_000)]  # 10,000 images are plenty for a histogram
    facts = {
        "train_counts": class_counts(_y_train),
        "test_counts": class_counts(_y_test),
        "means": mean_images(_x_train, _y_train),
        "raw": pixel_histogram(sample, normalize=False),
        "normalised": pixel_histogram(sample, normalize=True),
    }
    raw, norm = facts["raw"], facts["normalised"]
    facts["figures"] = {
        "counts": charts.class_count_figure(facts["train_counts"], facts["test_counts"]),
        "means": charts.image_grid(facts["means"], list(CLASS_NAMES), zmax=facts["means"].max() or 1),
        "raw": charts.histogram_figure(raw.counts, raw.edges, "raw pixels"),
        "normalised": charts.histogram_figure(norm.counts, norm.edges, "after dividing by 255", charts.PALETTE[1]),
    }
    return facts


st.title("The data: Fashion-MNIST")
data = get_data()
if data is None:
    st.stop()
st.markdown(f"{data.describe()}. Each image is 28x28 grey pixels (0 = black, 255 = white) of one of ten kinds "
            "of clothing. The network learns from the training images and is graded on the test images, "
            "which it never sees while training.")
facts = summaries(data.source, data.x_train, data.y_train, data.y_test)

st.subheader("Browse the images")
c1, c2, c3, c4 = st.columns([1, 2, 1, 1])
split = c1.radio("Split", ["training", "test"], horizontal=True, key="data_split")
class_choice = c2.selectbox("Class", ["all classes", *CLASS_NAMES], key="data_class")
n = c3.slider("Images", 5, 40, 20, step=5, key="data_n")
start = c4.number_input("Start at", 0, 100_000, 0, step=n, key="data_start",
                        help="Skip this many images of the chosen class: the next page of images.")
images, labels = (data.x_train, data.y_train) if split == "training" else (data.x_test, data.y_test)
indices = np.arange(len(labels)) if class_choice == "all classes" else \
    np.flatnonzero(labels == CLASS_NAMES.index(class_choice))
shown = indices[int(start) : int(start) + n]
if len(shown) == 0:
    st.info(f"No more images: this selection has {len(indices):,}.")
else:
    st.plotly_chart(charts.image_grid(images[shown], [f"#{i} {CLASS_NAMES[labels[i]]}" for i in shown]),
                    key="browse", alt=f"{len(shown)} {split} images with their index and label")
    st.caption(f"{len(shown)} of the {len(indices):,} {split} images of {class_choice}, from #{shown[0]} to "
               f"#{shown[-1]}; each title is the image's number and its label.")

st.subheader("How many of each?")
st.plotly_chart(facts["figures"]["counts"], key="counts",
                alt="Images per class in the training and test sets")
balanced = len(set(facts["train_counts"].tolist())) == 1 and len(set(facts["test_counts"].tolist())) == 1
st.caption(f"Training: {facts['train_counts'].min():,}–{facts['train_counts'].max():,} per class; test: "
           f"{facts['test_counts'].min():,}–{facts['test_counts'].max():,}."
           + (" Every class is equally common, so guessing gives 10% accuracy." if balanced else ""))

st.subheader("The average garment of each class")
st.plotly_chart(facts["figures"]["means"], key="means", alt="Mean training image of each class")
alike = most_alike(facts["means"])
st.caption("Each picture is the pixel-by-pixel mean of all training images of that class. The most alike averages "
           "(root-mean-square difference of pixel values): "
           + "; ".join(f"{CLASS_NAMES[a]} and {CLASS_NAMES[b]} ({d:.0f})" for a, b, d in alike)
           + ". Classes that look alike on average are the hard ones to tell apart.")

st.subheader("Pixel values before and after normalisation")
left, right = st.columns(2)
raw, norm = facts["raw"], facts["normalised"]
left.plotly_chart(facts["figures"]["raw"], key="hist_raw",
                  alt="Histogram of raw pixel values 0 to 255")
left.metric("Range of raw values", f"{raw.minimum:.0f} – {raw.maximum:.0f}")
right.plotly_chart(facts["figures"]["normalised"], key="hist_norm", alt="Histogram of normalised pixel values 0 to 1")
right.metric("Range after normalising", f"{norm.minimum:.0f} – {norm.maximum:.0f}")
st.caption("Dividing by 255 changes only the scale, not the shape: the same histogram between 0 and 1. Most "
           "pixels are background (0).")
