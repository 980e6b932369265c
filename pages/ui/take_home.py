"""'Get the code': downloads that take a run home (plain Keras script and notebook, model, history, summary)."""

from __future__ import annotations

import streamlit as st

from fmnist_core.i18n import _
from fmnist_core.runs import RunResult, export


def _model_file(result: RunResult) -> bytes:
    """The .keras file, written by a worker process (the web process never imports TensorFlow)."""
    from pages.ui.runner import get_runner

    return get_runner().keras_file(result.key)


def get_the_code(result: RunResult, key: str, saved: bool = True) -> None:
    """Download buttons for ``result``: .py, .ipynb, .keras (for a run ``saved`` in the cache), history .csv,
    summary .json."""
    st.markdown(_("Rebuild this run in plain Keras on your own machine (no Fashion-MNIST Lab needed): the script "
                  "and the notebook build the same network, train it with `model.fit`, evaluate it on the test set "
                  "and draw the blue/red predictions."))
    name = f"fmnist-{result.key}"
    cols = st.columns(5)
    cols[0].download_button(_("Keras script (.py)"), export.keras_script(result.config), f"{name}.py", "text/x-python",
                            key=f"{key}_py", icon=":material/code:")
    cols[1].download_button(_("Notebook (.ipynb)"), lambda: export.notebook(result.config), f"{name}.ipynb",
                            "application/x-ipynb+json", key=f"{key}_ipynb", icon=":material/book:")
    cols[2].download_button(_("Trained model (.keras)"), lambda: _model_file(result), f"{name}.keras",
                            "application/octet-stream", key=f"{key}_keras", icon=":material/neurology:",
                            disabled=not saved)  # a worker writes it from the stored run
    cols[3].download_button(_("History (.csv)"), export.history_csv(result), f"{name}-history.csv", "text/csv",
                            key=f"{key}_csv", icon=":material/table:")
    cols[4].download_button(_("Summary (.json)"), export.summary_json(result), f"{name}.json", "application/json",
                            key=f"{key}_json", icon=":material/data_object:")
    with st.expander(_("Read the script here")):
        st.code(export.keras_script(result.config), language=None, wrap_lines=True)  # plain: contrast
