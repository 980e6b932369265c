import numpy as np
import pytest

from fmnist_core.config import RunConfig
from fmnist_core.net import fitters
from fmnist_core.net.fast_fit import FastFitter
from fmnist_core.reports import TrainingCancelled, TrainingListener
from fmnist_core.runs.training import Resume, train
from tests.support import TINY


@pytest.fixture(autouse=True)
def nothing_kept():
    fitters.forget()
    yield
    fitters.forget()


@pytest.fixture
def built(monkeypatch):
    """Every FastFitter built from now on."""
    made = []

    def spy(*args, **kwargs):
        made.append(FastFitter(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(fitters, "FastFitter", spy)
    return made


def weights(result):
    return [array for layer in result.load_network().layers for array in layer]


def assert_same_run(a, b):
    assert a.history == b.history
    np.testing.assert_array_equal(a.test_probabilities, b.test_probabilities)
    for x, y in zip(weights(a), weights(b), strict=True):
        np.testing.assert_array_equal(x, y)


def test_a_run_of_a_kept_shape_trains_with_its_compiled_fitter_bit_for_bit(synthetic_data, built):
    config = TINY.with_(extra_layers=1, dropout=0.3)  # dropout: its seed's state is replaced too
    first = train(config.with_(seed=5), synthetic_data)
    train(config.with_(seed=6), synthetic_data)  # trains the kept fitter's weights further
    again = train(config.with_(seed=5), synthetic_data)
    assert len(built) == 1  # one fitter compiled, for all three runs
    assert_same_run(first, again)


def test_a_continued_run_on_a_kept_fitter_is_the_run_from_scratch(synthetic_data):
    config = TINY.with_(epochs=4)
    whole = train(config, synthetic_data)
    short = train(config.with_(epochs=2), synthetic_data)
    assert fitters.kept() == 1
    resume = Resume(short.history, short.epoch_seconds, short.state, short.snapshots, 2)
    assert_same_run(whole, train(config, synthetic_data, resume=resume))


def test_only_the_same_shape_shares_a_fitter(synthetic_data, built):
    train(TINY, synthetic_data)
    train(TINY.with_(seed=3, epochs=1, validation_split=0.1), synthetic_data)  # seed, epochs, split: one fitter
    assert len(built) == 1  # (the new split's batch shapes are traced in it)
    for other in (TINY.with_(hidden_units=17), TINY.with_(batch_size=16), TINY.with_(dropout=0.1),
                  TINY.with_(learning_rate=0.01), TINY.with_(normalize=False), TINY.with_(extra_layers=1)):
        train(other.with_(epochs=1), synthetic_data)
    assert len(built) == 7
    assert fitters.kept() == 7


def test_at_most_keep_fitters_the_oldest_going_first_and_no_big_network():
    shapes = [RunConfig(hidden_units=units) for units in range(1, fitters.KEEP + 2)]
    for config in shapes:
        fitters.give(config, f"fitter {config.hidden_units}")
    assert fitters.kept() == fitters.KEEP
    with fitters._lock:  # noqa: SLF001
        assert [kept for shelf in fitters._idle.values() for kept in shelf] == [  # noqa: SLF001
            f"fitter {units}" for units in range(2, fitters.KEEP + 2)]
    fitters.give(RunConfig(hidden_units=512), "a big one")  # 407,050 parameters
    assert fitters.kept() == fitters.KEEP
    assert "a big one" not in [kept for shelf in fitters._idle.values() for kept in shelf]  # noqa: SLF001


def test_a_cancelled_run_leaves_its_fitter_for_the_next_run_of_its_shape(synthetic_data, built):
    class StopAtOnce(TrainingListener):
        def should_stop(self):
            return True

    with pytest.raises(TrainingCancelled):
        train(TINY, synthetic_data, StopAtOnce())  # also a run that gives way or overruns
    assert fitters.holds(TINY)
    train(TINY.with_(seed=4), synthetic_data)
    assert len(built) == 1
