import numpy as np

from fmnist_core.config import RunConfig, model_inputs, parameter_count
from fmnist_core.net.model import build_model


def test_default_model_layers_and_parameters():
    model = build_model(RunConfig())
    assert [type(layer).__name__ for layer in model.layers] == ["Flatten", "Dense", "Dense"]
    assert model.layers[1].units == 128 and model.layers[1].activation.__name__ == "relu"
    assert model.layers[2].units == 10 and model.layers[2].activation.__name__ == "softmax"
    assert model.output_shape == (None, 10)
    assert model.count_params() == 101_770 == parameter_count(RunConfig())
    assert model.loss == "sparse_categorical_crossentropy"


def test_extra_layers_and_dropout():
    config = RunConfig(hidden_units=32, extra_layers=2, dropout=0.2)
    model = build_model(config)
    assert [type(layer).__name__ for layer in model.layers] == ["Flatten", "Dense", "Dense", "Dense", "Dropout",
                                                                "Dense"]
    assert model.count_params() == parameter_count(config) == 784 * 32 + 32 + 2 * (32 * 32 + 32) + 32 * 10 + 10


def test_model_inputs_normalise_only_when_asked():
    images = np.full((1, 28, 28), 255, dtype=np.uint8)
    assert model_inputs(images, RunConfig()).max() == 1.0
    assert model_inputs(images, RunConfig(normalize=False)).max() == 255.0
    assert model_inputs(images, RunConfig()).dtype == np.float32
