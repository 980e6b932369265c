"""AppTest tests of the Classify page: uploads, bad input, the (replaced) canvas, examples, no model yet."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from fmnist_core import i18n
from fmnist_core.config import RunConfig
from fmnist_core.data import CLASS_NAMES, load_fashion_mnist, neighbour_index, prepare_image
from fmnist_core.i18n import class_name
from fmnist_core.runs.cache import RunCache
from tests.support import APP, open_page, smiley, texts

PAGE = "pages/classify.py"
TINY = RunConfig(epochs=2, hidden_units=16)


@pytest.fixture
def trained(synthetic_env):
    """A tiny run in the page's cache."""
    RunCache(synthetic_env).get_or_train(TINY)
    return synthetic_env


def open_classify() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(PAGE)
    return at.run()


def png(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, "PNG")
    return out.getvalue()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    """Upload a file through the page's real file uploader."""
    return at.file_uploader(key="upload").upload(name, data, "image/png").run()


def garment_png() -> bytes:
    g = np.zeros((28, 28), np.uint8)
    g[6:10, 4:24] = 230
    return png(np.kron(g, np.ones((8, 8), np.uint8)))


def test_no_model_offers_to_train_the_default(synthetic_env):
    at = open_classify()
    assert not at.exception
    assert any("No trained model yet" in t for t in texts(at.info))
    assert [b.label for b in at.button] == ["Train the default model"]


def test_upload_shows_steps_and_probabilities(trained):
    at = upload(open_classify(), "shirt.png", garment_png())
    assert not at.exception
    assert at.selectbox[0].value == TINY.key
    said = [m.value for m in at.markdown if m.value.startswith("**The network says:**")]
    assert said and said[-1].count("%") == 3  # the top three, in words
    assert len(at.get("image")) >= 4
    assert len(at.get("plotly_chart")) >= 1


@pytest.mark.parametrize("data,sentence", [
    (b"", "The file is empty."),
    (b"%PDF-1.4 not an image", "not an image we can read"),
    (b"\0" * (10 * 1024 * 1024 + 5), "the limit is 10 MB"),
    (png(np.full((50, 50), 255, np.uint8)), "No garment found"),
])
def test_bad_uploads_get_one_sentence(trained, data, sentence):
    at = upload(open_classify(), "upload.png", data)
    assert not at.exception
    assert any(sentence in t for t in texts(at.warning))


def test_canvas_drawing_and_blank_canvas(trained, monkeypatch):
    from pages.ui import canvas

    drawing = np.zeros((280, 280, 4), np.uint8)
    drawing[..., 3] = 255
    monkeypatch.setattr(canvas, "draw_canvas", lambda width, key: drawing)
    at = open_classify()
    assert any("canvas is empty" in t for t in texts(at.info))
    drawing[40:240, 100:180, :3] = 255
    at.run()
    assert not at.exception
    assert any(m.value.startswith("**The network says:**") for m in at.markdown)


def test_broken_canvas_is_a_message(trained, monkeypatch):
    from pages.ui import canvas

    def broken(width, key):
        raise RuntimeError("component failed to load")

    monkeypatch.setattr(canvas, "draw_canvas", broken)
    at = open_classify()
    assert not at.exception
    assert any("canvas could not be shown" in t for t in texts(at.error))


def test_examples_are_classified(trained, monkeypatch):
    from pages.ui import canvas

    monkeypatch.setattr(canvas, "draw_canvas", lambda width, key: None)
    at = open_classify()
    names = at.radio(key="example").options
    assert len(names) >= 6
    at.radio(key="example").set_value(names[-1]).run()
    assert not at.exception
    assert any(m.value.startswith("**The network says:**") for m in at.markdown)


def test_model_list_defaults_to_the_most_accurate_run(trained):
    cache = RunCache(trained)
    other = cache.get_or_train(RunConfig(epochs=6, hidden_units=32))
    best = max(cache.list(), key=lambda r: r.test_accuracy)
    at = open_classify()
    assert not at.exception
    assert set(at.selectbox[0].options) >= {f"{r.config.describe()} — test accuracy {r.test_accuracy:.1%}"
                                            for r in (other, cache.get(TINY))}
    assert at.selectbox[0].value == best.key


def test_upload_named_like_the_chosen_example_does_not_collide(trained):
    at = open_classify()
    at = upload(at, at.radio(key="example").value, garment_png())
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2  # the upload's bars and the example's bars


def test_file_names_are_shown_as_plain_text(trained):
    at = upload(open_classify(), "**bold** ![x](http://evil.example/x).png", garment_png())
    assert not at.exception
    captions = [img.caption for image in at.get("image") for img in image.proto.imgs]
    shown = next(c for c in captions if "bold" in c)
    assert "**bold**" not in shown and "![x](" not in shown


def test_a_model_damaged_in_place_is_a_sentence_not_an_exception(trained):
    cache = RunCache(trained)
    run = cache.list()[0]
    model = cache.entry_dir(run.config) / "weights.npz"
    model.write_bytes(np.random.default_rng(1).bytes(model.stat().st_size))
    at = open_classify()  # the Examples tab asks the model at once
    assert not at.exception
    assert any("is damaged; train it again" in t for t in texts(at.error))
    at = upload(at, "shirt.png", garment_png())  # the page only reads: the entry stays, and says so again
    assert not at.exception and any("is damaged" in t for t in texts(at.error)) and model.exists()
    assert "checksum" in cache.get_or_derive(run.config).damage  # asked for again (the Train page): discarded
    at = open_classify()  # the page offers to train again
    assert not at.exception and any("No trained model yet" in t for t in texts(at.info))


# --------------------------------------------------------------------------- the nearest training images, the warning

WARNING = "This does not look like the clothes I learned from; my answer is a guess."


def upload_tab_images(at: AppTest) -> list[str]:
    """The captions of the Upload tab's images, in order (the four steps, then the nearest training images)."""
    return [img.caption for image in at.tabs[1].get("image") for img in image.proto.imgs]


def test_a_picture_unlike_clothes_is_warned_and_shows_its_nearest_training_images(trained):
    at = upload(open_classify(), "face.png", smiley())
    assert not at.exception
    tab = at.tabs[1]
    assert WARNING in texts(tab.warning)
    found = neighbour_index(load_fashion_mnist()).nearest(prepare_image(smiley()).final)
    assert upload_tab_images(at)[4:] == [class_name(CLASS_NAMES[label]) for label in found.labels]
    assert len(found.labels) == 5
    assert any("pixel by pixel after the same preparation the network gets" in t for t in texts(tab.caption))


def test_a_picture_within_the_threshold_is_not_warned(trained, monkeypatch):
    at = open_classify()
    index = neighbour_index(load_fashion_mnist())
    assert index.nearest(prepare_image(smiley()).final).unlike
    monkeypatch.setattr(index, "threshold", 2.0)  # the largest distance there is: every picture passes
    at = upload(at, "face.png", smiley())
    assert not at.exception
    assert WARNING not in texts(at.tabs[1].warning)
    assert len(upload_tab_images(at)) == 9  # the four steps and the five nearest training images


@pytest.fixture
def speaking():
    """Set this thread's language too (AppTest formats the widgets' options here), English again afterwards."""
    yield i18n.set_language
    i18n.set_language(i18n.DEFAULT)


@pytest.mark.parametrize("code", ["ko", "de"])
def test_the_warning_is_said_in_every_language(trained, speaking, code):
    speaking(code)
    at = upload(open_page(PAGE, {"lang": code}), "face.png", smiley())
    assert not at.exception
    assert i18n.catalog(code).gettext(WARNING) in texts(at.tabs[1].warning)  # the catalog's words (English until
    # the sentence is translated)
    assert len(upload_tab_images(at)) == 9
