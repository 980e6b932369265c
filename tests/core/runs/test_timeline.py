"""The epoch timeline: every epoch's weights kept (0 = before training), their answers, the sentence of what
changed, and the Train page's slider and Play under AppTest."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fmnist_core.config import RunConfig
from fmnist_core.data import load_fashion_mnist
from fmnist_core.i18n import percent
from fmnist_core.runs import Frame, RunUnavailable, Timeline, what_changed
from fmnist_core.runs.cache import RunCache
from fmnist_core.views.charts import BLUE, RED
from tests.support import open_app, table_with, texts, together

CONFIG = RunConfig(epochs=3, hidden_units=16)
QUERY = {"epochs": "3", "units": "16"}


@pytest.fixture
def trained(synthetic_env):
    cache = RunCache(synthetic_env)
    return cache, cache.get_or_train(CONFIG)


def test_a_run_keeps_every_epoch_and_its_start(trained):
    cache, fresh = trained
    stored = cache.load(CONFIG.key)
    assert stored.kept_epochs == (0, 1, 2, 3)
    data = load_fashion_mnist()
    timeline = Timeline(cache.epoch_networks(stored), data.x_test, data.y_test)
    assert timeline.epochs == (0, 1, 2, 3)
    last = timeline.frame(3)  # no early stopping: the last epoch is the run's own network
    np.testing.assert_allclose(last.probabilities, stored.test_probabilities, atol=1e-3)
    assert last.accuracy == pytest.approx(stored.test_accuracy)
    start = timeline.frame(0)
    assert not np.allclose(start.network.layers[0][0], last.network.layers[0][0])  # the weights moved
    assert timeline.frame(3) is last  # computed once
    assert timeline.previous(0) is None and timeline.previous(2) == 1
    assert cache.epoch_networks(fresh).keys() == {0, 1, 2, 3}  # a fresh run's own weights, no disk read


def test_a_run_read_off_a_longer_one_has_its_own_epochs(trained):
    cache, longer = trained
    shorter = cache.get_or_derive(CONFIG.with_(epochs=2)).run
    assert shorter.read_off_longer_run
    networks = cache.epoch_networks(cache.load(shorter.key))
    assert networks.keys() == {0, 1, 2}
    data = load_fashion_mnist()
    np.testing.assert_allclose(Timeline(networks, data.x_test, data.y_test).frame(2).probabilities,
                               shorter.test_probabilities, atol=1e-3)


def test_damaged_epoch_weights_are_reported_and_kept(trained):
    cache, _fresh = trained
    snapshots = cache.entry_dir(CONFIG) / "snapshots.npz"
    snapshots.write_bytes(snapshots.read_bytes()[:-100] + b"x" * 100)
    with pytest.raises(RunUnavailable, match="damaged"):
        cache.epoch_networks(cache.load(CONFIG.key))
    assert snapshots.exists()  # reading deletes nothing


def frame(epoch: int, matrix: np.ndarray) -> Frame:
    return Frame(epoch, None, np.zeros((int(matrix.sum()), 10), np.float16), matrix)


def test_what_changed_says_it_from_the_numbers():
    before = np.diag(np.full(10, 100))
    before[6, 6], before[6, 0] = 50, 50  # Shirt: half taken for T-shirt/top
    after = before.copy()
    after[6, 6], after[6, 0] = 80, 20
    after[5, 5], after[5, 7] = 96, 4  # Sandal: a little worse
    sentence = what_changed(frame(4, before), frame(5, after))
    assert sentence == ("Test accuracy rose from 95.0% to 97.6% since epoch 4. "
                        "Shirt taken for T-shirt/top fell from 50 to 20. Shirt is now 80% right (it was 50%).")
    assert what_changed(frame(5, after), frame(6, after)) == "Test accuracy stayed at 97.6% since epoch 5."
    chance = np.full((10, 10), 10)
    assert what_changed(None, frame(0, chance)).startswith("Before training the weights are random: the network "
                                                           "gets 10.0% of the test images right")
    assert what_changed(frame(0, chance), frame(1, before)).startswith(
        "In its first epoch the network went from 10.0% to 95.0% test accuracy.")


def test_what_changed_in_german():
    from fmnist_core.i18n import set_language

    before, after = np.diag(np.full(10, 100)), np.diag(np.full(10, 100))
    after[6, 6], after[6, 0] = 80, 20
    set_language("de")
    try:
        sentence = what_changed(frame(1, before), frame(2, after))
    finally:
        set_language("en")
    assert "98,0\xa0%" in sentence and "Test accuracy" not in sentence


def epoch_of(at) -> int:
    """The epoch of the frame shown, from its heading ('**epoch 2.** …', '**before training.** …')."""
    heading = next(m for m in texts(at.markdown) if m.startswith(("**epoch ", "**before training.**")))
    return 0 if heading.startswith("**before") else int(heading.split()[1].rstrip(".*"))


def test_train_page_timeline_moves_and_plays(trained):
    at = open_app(QUERY)
    assert not at.exception
    assert "Watch it learn" in texts(at.subheader)
    slider = at.select_slider(key="train_epoch")
    assert slider.options == ["before training", "epoch 1", "epoch 2", "epoch 3"]
    assert epoch_of(at) == 3  # the trained network first
    slider.set_value(0).run()
    assert any(m.startswith("**before training.** Before training the weights are random") for m in texts(at.markdown))
    assert {"train_tl_curves", "train_tl_weights", "train_tl_grid", "train_tl_confusion"} <= {
        c.key for c in at.get("plotly_chart")}
    at.select_slider(key="train_epoch").set_value(2).run()
    assert any(m.startswith("**epoch 2.** Test accuracy") for m in texts(at.markdown))

    # Play from the end starts again at the beginning, moves one epoch per rerun and stops at the last
    at.select_slider(key="train_epoch").set_value(3).run()
    at.button(key="train_play").click().run()
    seen = [epoch_of(at)]
    assert at.button(key="train_play").label == "Pause"
    assert "train_epoch" not in {w.key for w in at.select_slider} and at.get("progress")  # a progress bar instead
    while at.button(key="train_play").label == "Pause":
        assert len(seen) < 10, seen
        at.run()
        seen.append(epoch_of(at))
    assert seen[:4] == [0, 1, 2, 3] and seen[-1] == 3
    assert at.select_slider(key="train_epoch").value == 3  # the slider is back where Play stopped
    assert not at.exception


def test_timeline_units_on_request(trained):
    at = open_app(QUERY)
    units = at.multiselect(key="train_tl_units")
    assert len(units.value) == 16  # the strongest 16 by default
    units.set_value([3]).run()
    assert not at.exception and at.multiselect(key="train_tl_units").value == [3]


def test_inside_the_network_has_the_timeline(trained):
    from tests.support import open_page

    at = open_page("pages/concepts.py")
    assert not at.exception
    assert "Watch it learn" in texts(at.subheader)
    at.select_slider(key="concepts_epoch").set_value(1).run()
    assert any(m.startswith("**epoch 1.** In its first epoch") for m in texts(at.markdown))
    # the words say blue pushes a unit's sum up: both pictures of weights draw positive weights blue
    charts = {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    for key in ("weights", "concepts_tl_weights"):
        heatmap = next(t for t in charts[key]["data"] if t["type"] == "heatmap")
        scale = heatmap["colorscale"]
        assert scale[0][1] == RED and scale[-1][1] == BLUE, (key, scale)


def test_compare_moves_every_run_to_one_epoch(trained):
    from tests.support import open_page

    cache, longer = trained
    shorter = cache.get_or_train(CONFIG.with_(epochs=2, hidden_units=8))
    at = open_page("pages/compare.py", {"runs": f"{longer.key},{shorter.key}"})
    assert not at.exception
    at.select_slider(key="compare_epoch").set_value(3).run()
    table = table_with(at, "validation accuracy")
    data = load_fashion_mnist()
    expected = Timeline(cache.epoch_networks(longer), data.x_test, data.y_test).frame(3).accuracy
    assert list(table["test accuracy"]) == [percent(expected), "—"]  # the 2-epoch run did not get that far
    assert table["validation accuracy"][0] == percent(longer.history["val_accuracy"][2])
    at.select_slider(key="compare_epoch").set_value(1).run()
    table = table_with(at, "validation accuracy")
    assert table["test accuracy"][1] == percent(
        Timeline(cache.epoch_networks(shorter), data.x_test, data.y_test).frame(1).accuracy)


def test_damaged_epoch_weights_are_one_sentence_on_the_page(trained):
    cache, _fresh = trained
    snapshots = cache.entry_dir(CONFIG) / "snapshots.npz"
    snapshots.write_bytes(b"not a zip file")
    at = open_app(QUERY)
    assert not at.exception and not at.error
    assert any("kept of its epochs are damaged" in w for w in texts(at.warning))
    assert snapshots.exists() and cache.load(CONFIG.key) is not None  # the run itself is still shown, nothing deleted


def test_sessions_at_once_share_each_epoch_computed_once(trained):

    cache, run = trained
    data = load_fashion_mnist()
    timeline = Timeline(cache.epoch_networks(run), data.x_test, data.y_test)
    found: list[Frame] = together(*[lambda: timeline.frame(2)] * 6)
    assert len(found) == 6 and all(f is found[0] for f in found)
