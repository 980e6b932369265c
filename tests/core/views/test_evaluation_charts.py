import numpy as np
import pytest

from fmnist_core.data.sources import CLASS_NAMES
from fmnist_core.runs.evaluation import (
    confusion_matrix,
    describe_prediction,
    most_confused,
    per_class_accuracy,
    select_examples,
    top_k,
)
from fmnist_core.views import charts


def one_hot_probs(predicted, n=10, confidence=0.9):
    p = np.full((len(predicted), n), (1 - confidence) / (n - 1), dtype=np.float32)
    p[np.arange(len(predicted)), predicted] = confidence
    return p


def test_confusion_matrix_and_per_class_accuracy():
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0, 2])
    m = confusion_matrix(y_true, y_pred)
    assert m.sum() == 6 and m[0, 1] == 1 and m[1, 0] == 1 and m[1, 1] == 2
    acc = per_class_accuracy(m)
    assert acc[0] == 0.5 and acc[1] == pytest.approx(2 / 3) and acc[2] == 1.0 and np.isnan(acc[3])
    assert most_confused(m, top=5) == [(1, 0, 1), (0, 1, 1)] or most_confused(m, top=5) == [(0, 1, 1), (1, 0, 1)]


def test_select_examples_modes():
    y = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9] * 3)
    predicted = y.copy()
    predicted[[3, 7, 11]] = 0
    probs = one_hot_probs(predicted)
    assert set(select_examples(y, probs, 10, "mistakes")) == {3, 7, 11}
    assert all(y[i] == 4 for i in select_examples(y, probs, 10, "class", class_index=4))
    assert len(select_examples(y, probs, 5, "random")) == 5
    assert not np.array_equal(select_examples(y, probs, 5, seed=0), select_examples(y, probs, 5, seed=1))
    with pytest.raises(ValueError):
        select_examples(y, probs, 5, "class")


def test_prediction_label_in_tutorial_words():
    p = one_hot_probs([7], confidence=0.97)[0]
    assert describe_prediction(p, 5).label == "Sneaker 97% (Sandal)"
    assert not describe_prediction(p, 5).correct and describe_prediction(p, 7).correct
    assert (describe_prediction(p, 5).mark, describe_prediction(p, 7).mark, describe_prediction(p).mark) == (
        "✗", "✓", "")
    assert top_k(p, 2)[0] == ("Sneaker", pytest.approx(0.97))


def test_bar_colours_blue_true_red_wrong():
    wrong = charts.prediction_bars(one_hot_probs([7])[0], true=5)
    colors = list(wrong.data[0].marker.color)
    assert colors[7] == charts.RED and colors[5] == charts.BLUE
    assert colors.count(charts.GREY) == 8
    right = list(charts.prediction_bars(one_hot_probs([5])[0], true=5).data[0].marker.color)
    assert right[5] == charts.BLUE and charts.RED not in right
    assert list(wrong.data[0].x) == list(CLASS_NAMES)


def test_grid_has_an_image_and_bars_per_example_with_coloured_titles():
    images = np.zeros((4, 28, 28), np.uint8)
    probs = one_hot_probs([0, 1, 2, 9])
    labels = np.array([0, 1, 2, 3])
    fig = charts.prediction_grid(images, probs, labels, indices=[10, 11, 12, 13])
    kinds = [t.type for t in fig.data]
    assert kinds.count("heatmap") == 4 and kinds.count("bar") == 4
    titles = [a.text for a in fig.layout.annotations if a.text]
    assert sum(charts.BLUE in t for t in titles) == 3 and sum(charts.RED in t for t in titles) == 1
    assert "Ankle boot 90% (Dress)" in titles[-1]
    assert sum("✓" in t for t in titles) == 3 and "✗" in titles[-1]  # a mark besides the colour


def test_curves_have_train_and_validation():
    fig = charts.training_curves({"loss": [1, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8],
                                  "val_accuracy": [0.4, 0.7]})
    assert [t.name for t in fig.data] == ["training", "validation", "training", "validation"]
    assert list(fig.data[1].y) == [1.1, 0.7]


def test_own_picture_answer_is_blue_not_red():
    colors = list(charts.prediction_bars(one_hot_probs([3])[0]).data[0].marker.color)
    assert colors[3] == charts.BLUE and charts.RED not in colors
