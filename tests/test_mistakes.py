import pytest

from fmnist_core.lessons.mistakes import MISTAKES
from fmnist_core.net.mistakes import run_mistake


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


def test_every_mistake_is_explained():
    for mistake in MISTAKES.values():
        assert mistake.explanation and mistake.code and mistake.title
