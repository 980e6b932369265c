"""Common mistakes: each wrong network really built and trained through Keras, with what happened."""

import streamlit as st

from fmnist_core.data.sources import Dataset
from fmnist_core.net.mistakes import MISTAKES, MistakeOutcome, run_mistake
from fmnist_core.views import charts
from pages.ui.data import get_data
from pages.ui.navigation import ensure_app_navigation
from pages.ui.text import plain

ensure_app_navigation()

st.title("Common mistakes")
st.markdown("Four small slips that every learner makes once. Each is built and trained **live through Keras** "
            "(plain `model.fit`, 6,000 training images, 3 epochs), next to the correct network, and you see what "
            "Keras really says or does.")


@st.cache_data(show_spinner=False, max_entries=16)
def outcome(name: str, source: str, _data: Dataset) -> MistakeOutcome:
    """One mistake's outcome, computed once per data source."""
    return run_mistake(name, _data)


data = get_data()
if data is not None:
    for name, mistake in MISTAKES.items():
        st.subheader(mistake.title)
        st.code(mistake.code, language=None, wrap_lines=True)  # plain: the highlighter's colours fail contrast
        with st.spinner(f"Training “{mistake.title}” with Keras…"):
            result = outcome(name, data.source, data)
        if result.error:
            st.error(f"Keras refused to train it: {plain(result.error)}")
        else:
            st.plotly_chart(charts.training_curves(result.history), key=f"mistake_{name}",
                            alt=f"Loss and accuracy per epoch of: {mistake.title}")
            if result.test_accuracy is not None:
                st.caption(f"Test accuracy after 3 epochs on 6,000 images: {result.test_accuracy:.2%}.")
        st.markdown(f"**Why:** {mistake.explanation}")
