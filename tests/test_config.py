import subprocess
import sys

import pytest

from fmnist_core.config import ConfigError, RunConfig


def test_defaults_are_the_seeds():
    c = RunConfig()
    assert (c.epochs, c.hidden_units, c.extra_layers, c.normalize, c.dropout) == (10, 128, 0, True, 0.0)
    assert (c.batch_size, c.validation_split, c.seed) == (32, 0.2, 0)


@pytest.mark.parametrize(
    "field,value",
    [("epochs", 0), ("epochs", 101), ("hidden_units", 0), ("hidden_units", 4097), ("extra_layers", 6),
     ("extra_layers", -1), ("dropout", 1.0), ("dropout", -0.1), ("validation_split", 1.0), ("batch_size", 0),
     ("learning_rate", 0.0), ("epochs", 2.5), ("normalize", "yes"), ("seed", -1)],
)
def test_out_of_range_names_the_field(field, value):
    with pytest.raises(ConfigError, match=field):
        RunConfig(**{field: value})


def test_key_is_stable_and_distinguishes_configs():
    assert RunConfig().key == RunConfig().key
    assert RunConfig(epochs=5).key != RunConfig().key
    assert RunConfig(normalize=False).key != RunConfig().key
    assert RunConfig(dropout=0).key == RunConfig(dropout=0.0).key
    code = "from fmnist_core.config import RunConfig; print(RunConfig(epochs=7, hidden_units=64).key)"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == RunConfig(epochs=7, hidden_units=64).key
    assert len(other) == 16


def test_round_trip_and_unknown_fields():
    c = RunConfig(epochs=3, dropout=0.2)
    assert RunConfig.from_dict(c.to_dict()) == c
    with pytest.raises(ConfigError, match="unknown config field"):
        RunConfig.from_dict({"epochs": 3, "colour": "red"})


def test_frozen():
    with pytest.raises(AttributeError):
        RunConfig().epochs = 3  # type: ignore[misc]


def test_fields_are_built_by_keyword_only():
    from fmnist_core.config import Field

    with pytest.raises(TypeError):
        Field("epochs", int, 1, 100, 10, "epochs", "Epochs", "help")  # type: ignore[misc]
    made = Field(name="epochs", type=int, low=1, high=100, default=10, url="epochs", label_text="Epochs",
                 help_text="help")
    assert made.check(7) == 7 and made.flag == "--epochs"
