"""The data set for the pages: loaded once per process, or one clear error in the page."""

from __future__ import annotations

import numpy as np
import streamlit as st

from fmnist_core.data import DataError, Dataset, load_fashion_mnist
from fmnist_core.i18n import _
from fmnist_core.runs import RunResult


def get_data() -> Dataset | None:
    """The data set, or None after showing a clear error in the page."""
    try:
        return load_fashion_mnist()
    except DataError as exc:
        # Translators: {reason}: a whole sentence, e.g. "/data/train-images-idx3-ubyte.gz: file is missing"
        st.error(_("**The Fashion-MNIST data could not be loaded.** {reason}").format(reason=exc))
        return None


def test_set_of(data: Dataset, result: RunResult) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(images, labels, probabilities) of the test set the run was evaluated on, or None with a message."""
    if not result.evaluated_on(data.y_test):
        st.error(_("This stored run was evaluated on a different test set than the one loaded now; train it "
                   "again to see its predictions."))
        return None
    return data.x_test, data.y_test, result.test_probabilities
