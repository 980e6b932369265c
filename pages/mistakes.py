"""Common mistakes: each wrong network really built and trained through Keras, with what happened."""

import pages.ui.preload  # noqa: F401 - first: a fresh server runs a linked page's file alone (preload.py)

# isort: split

import streamlit as st

from fmnist_core.i18n import _
from fmnist_core.lessons import MISTAKES, Mistake
from fmnist_core.lessons.mistakes import accuracy_caption, introduction
from fmnist_core.queue import WorkerLost
from fmnist_core.reports import MistakeOutcome
from fmnist_core.views import charts
from pages.ui.data import get_data
from pages.ui.navigation import in_app
from pages.ui.runner import get_runner


def main() -> None:
    st.title(_("Common mistakes"))
    st.markdown(introduction())
    data = get_data()
    if data is None:
        return
    for name, mistake in MISTAKES.items():
        show_mistake(name, mistake, data.source)


@st.cache_data(show_spinner=False, max_entries=16)
def outcome(name: str, source: str) -> MistakeOutcome:
    """One mistake's outcome, trained by a worker process once per data source."""
    return get_runner().mistake(name)


def show_mistake(name: str, mistake: Mistake, source: str) -> None:
    """One mistake: its code, what Keras said or how it trained, and why."""
    title = _(mistake.title)
    st.subheader(title)
    st.code(mistake.code, language=None, wrap_lines=True)  # plain: the highlighter's colours fail contrast
    try:
        # Translators: {title}: the mistake's title, e.g. "Flatten layer missing"
        with st.spinner(_("Training “{title}” with Keras…").format(title=title)):
            result = outcome(name, source)
    except WorkerLost as exc:
        st.error(_(str(exc)))
        return
    if result.error:
        st.error(_("Keras refused to train it. Its own message:"))
        st.code(result.error, language=None, wrap_lines=True)
    else:
        st.plotly_chart(charts.training_curves(result.history), key=f"mistake_{name}",
                        # Translators: a chart's text alternative; {title}: the mistake's title, e.g. "Flatten layer
                        # missing"
                        alt=_("Loss and accuracy per epoch of: {title}").format(title=title))
        if result.test_accuracy is not None:
            st.caption(accuracy_caption(result.test_accuracy))
    # Translators: {explanation}: the mistake's explanation, sentences, e.g. "There are ten classes but only five
    # outputs: labels 5-9 have no output to go to."
    st.markdown(_("**Why:** {explanation}").format(explanation=_(mistake.explanation)))


in_app(main)
