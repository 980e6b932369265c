from pathlib import Path

import pytest

from fmnist_core.lessons.mistakes import MISTAKES
from fmnist_core.net.mistakes import run_mistake

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("name,expected", [
    ("no_flatten", "output.shape=(32, 28, 10)"),
    ("five_outputs", "InvalidArgumentError: Received a label value of"),
    ("categorical_loss", "target.shape=(32,), output.shape=(32, 10)"),
])
def test_broken_networks_give_the_real_keras_error(synthetic_data, name, expected):
    outcome = run_mistake(name, synthetic_data, epochs=1, n_train=320)
    assert outcome.error is not None and expected in outcome.error
    assert "Traceback" not in outcome.error and outcome.history == {}


def test_correct_and_no_softmax_train_and_differ(synthetic_data):
    good = run_mistake("correct", synthetic_data, epochs=3, n_train=400)
    bad = run_mistake("no_softmax", synthetic_data, epochs=3, n_train=400)
    assert good.error is None and bad.error is None
    assert len(good.history["loss"]) == 3 and good.test_accuracy is not None
    assert good.test_accuracy > bad.test_accuracy


# Each mistake's slip: what its title names, what its code shows (and the correct network's code does not), and
# what its explanation says of it.
SLIPS = {
    "correct": ("correct", "loss='sparse_categorical_crossentropy'", "the sparse loss takes the integer labels"),
    "no_flatten": ("Flatten", "# no Flatten()", "Without Flatten"),
    "five_outputs": ("5 units", "Dense(5, 'softmax')", "only five outputs"),
    "categorical_loss": ("categorical_crossentropy", "loss='categorical_crossentropy'",
                         "categorical_crossentropy expects one-hot labels"),
    "no_softmax": ("Softmax", "Dense(10)   # no softmax", "Without softmax"),
}


def test_every_mistake_is_explained():
    """Each mistake's title, code and explanation name its own slip, and no other mistake's explanation does."""
    assert set(SLIPS) == set(MISTAKES)
    correct_code = MISTAKES["correct"].code
    for name, (title, code, explanation) in SLIPS.items():
        mistake = MISTAKES[name]
        assert title in mistake.title and code in mistake.code and explanation in mistake.explanation, name
        assert name == "correct" or code not in correct_code, name
        others = [other for other, (_, _, said) in SLIPS.items() if other != name and said in mistake.explanation]
        assert others == [], f"{name}'s explanation names the slip of {others}"


def test_the_page_says_how_the_mistakes_really_train(english):
    """The page's numbers are the ones run_mistake trains by (reports.MISTAKE_*), not typed on the page."""
    import inspect

    from fmnist_core.lessons.mistakes import accuracy_caption, introduction
    from fmnist_core.reports import MISTAKE_EPOCHS, MISTAKE_IMAGES

    defaults = inspect.signature(run_mistake).parameters
    assert (defaults["epochs"].default, defaults["n_train"].default) == (MISTAKE_EPOCHS, MISTAKE_IMAGES)
    assert "(plain `model.fit`, 6,000 training images, 3 epochs)" in introduction()
    assert accuracy_caption(0.8412) == "Test accuracy after 3 epochs on 6,000 images: 84.12%."
    assert "st.caption(accuracy_caption(" in (ROOT / "pages" / "mistakes.py").read_text(encoding="utf-8")
