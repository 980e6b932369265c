"""AppTest tests of the Data and Concepts pages on synthetic data."""

from __future__ import annotations

from fmnist_core.config import RunConfig
from fmnist_core.data.sources import CLASS_NAMES
from fmnist_core.runs.cache import RunCache
from tests.support import make_synthetic, open_page, texts


def test_data_page_renders_counts_means_and_histograms(synthetic_env):
    at = open_page("pages/data.py")
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 5  # browse grid, counts, means, two histograms
    ranges = {m.label: m.value for m in at.metric}
    x_train = make_synthetic()[0]
    sample = x_train[:: max(1, len(x_train) // 10_000)]
    assert ranges["Range of raw values"].replace(" ", "") == f"{sample.min()}–{sample.max()}"
    assert ranges["Range after normalising"].replace(" ", "") == "0–1"
    assert any("40 per class" in c.value for c in at.caption)  # 400 synthetic training images, 10 classes
    at.selectbox(key="data_class").set_value(CLASS_NAMES.index("Coat")).run()
    assert any("of the 40 training images of Coat" in c.value for c in at.caption)
    at.number_input(key="data_start").set_value(1000).run()
    assert "No more images: this selection has 40." in texts(at.info)


def test_concepts_page_without_a_model_offers_training(synthetic_env):
    at = open_page("pages/concepts.py")
    assert not at.exception
    assert [b.label for b in at.button] == ["Train the default model"]


def test_concepts_page_with_a_model(synthetic_env):
    RunCache(synthetic_env).get_or_train(RunConfig(epochs=2, hidden_units=16))
    at = open_page("pages/concepts.py")
    assert not at.exception and not at.error
    assert len(at.tabs) == 5
    assert len(at.get("plotly_chart")) >= 7
    relu_text = next(m.value for m in at.markdown if "first-layer units have a negative sum" in m.value)
    assert "of 16**" in relu_text
    at.slider(key="concept_nudge").set_value(5.0).run()
    assert any("multiplies its exp(score) by 148" in c.value for c in at.caption)
    labels = next(m.value for m in at.markdown if "sparse_categorical_crossentropy" in m.value)
    sparse, categorical = [float(part.split("**")[0]) for part in labels.split("= **")[1:3]]
    assert sparse == categorical
