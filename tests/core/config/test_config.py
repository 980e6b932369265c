"""RunConfig and its field table; the invalid values are generated from FIELDS, as scikit-learn generates
invalid parameters from its ``_parameter_constraints``, and every way in (RunConfig, a link, the experiment
pages' value lists, the command line) must refuse each one in one sentence naming the field."""

import math
import subprocess
import sys
from typing import Any

import pytest

from fmnist_core import cli
from fmnist_core.config import FIELDS, ConfigError, Field, RunConfig, config_from_query
from fmnist_core.lessons.experiments import parse_values


def test_defaults_are_the_seeds():
    c = RunConfig()
    assert (c.epochs, c.hidden_units, c.extra_layers, c.normalize, c.dropout) == (10, 128, 0, True, 0.0)
    assert (c.batch_size, c.validation_split, c.seed) == (32, 0.2, 0)


def _below(spec: Field) -> float:
    """The value just outside the lower end of the range."""
    if spec.low_open:
        return spec.low
    return spec.low - 1 if spec.type is int else math.nextafter(spec.low, -math.inf)


def _above(spec: Field) -> float:
    """The value just outside the upper end of the range."""
    if spec.high_open:
        return spec.high
    return spec.high + 1 if spec.type is int else math.nextafter(spec.high, math.inf)


HUGE = 10**309  # a link's "1" and 309 zeros: larger than any float


def invalid_values(spec: Field) -> dict[str, Any]:
    """Python values ``spec`` must refuse, by what is wrong with them, generated from its description."""
    if spec.type is bool:
        return {"a word": "yes", "the int 1": 1, "the int 0": 0, "a float": 1.0, "None": None, "a huge int": HUGE}
    out = {"below the range": _below(spec), "above the range": _above(spec), "a word": "many", "None": None,
           "True": True, "False": False, "a list": [spec.default], "nan": math.nan, "inf": math.inf,
           "-inf": -math.inf, "a huge int": HUGE, "a huge negative int": -HUGE}
    if spec.type is int:
        out["a fraction"] = spec.low + 0.5
    return out


def invalid_texts(spec: Field) -> list[str]:
    """Texts (a link's value, a CLI argument, an experiment page's list) ``spec`` must refuse."""
    if spec.type is bool:
        return ["maybe", "2", "-1", "0.5", "", str(HUGE)]
    texts = [repr(_below(spec)), repr(_above(spec)), "many", "", "true", "nan", "inf", "-inf", "1e400", str(HUGE),
             str(-HUGE), "1" + "0" * 5000]  # 310 digits: no float holds it; 5001: beyond Python's int parsing
    return texts + ([repr(spec.low + 0.5), "1e3"] if spec.type is int else [])


def valid_values(spec: Field) -> list[Any]:
    """The values just inside each end of the range, and the default (all must be accepted)."""
    if spec.type is bool:
        return [True, False]
    step = 1 if spec.type is int else None
    low = (spec.low + step if step else math.nextafter(spec.low, math.inf)) if spec.low_open else spec.low
    high = (spec.high - step if step else math.nextafter(spec.high, -math.inf)) if spec.high_open else spec.high
    return [spec.type(low), spec.type(high), spec.default]


def cases(generate) -> list:
    return [pytest.param(spec, value, id=f"{spec.name}-{what}")
            for spec in FIELDS for what, value in _named(generate(spec))]


def _named(generated) -> list[tuple[str, Any]]:
    if isinstance(generated, dict):
        return list(generated.items())
    return [(repr(v) if len(repr(v)) < 30 else f"{v[:2]}...{len(v)} characters", v) for v in generated]


def one_sentence(message: str) -> bool:
    return "\n" not in message.strip() and "Traceback" not in message


@pytest.mark.parametrize("spec,value", cases(invalid_values))
def test_validation_refuses_generated_invalid_values(spec, value):
    with pytest.raises(ConfigError) as refused:
        RunConfig(**{spec.name: value})
    assert str(refused.value).startswith(f"{spec.name} must") and one_sentence(str(refused.value))


@pytest.mark.parametrize("spec,text", cases(invalid_texts))
def test_a_link_refuses_generated_invalid_texts(spec, text):
    config, problems = config_from_query({spec.url: text})
    assert getattr(config, spec.name) == spec.default  # the default is used instead
    (problem,) = problems
    assert problem.startswith(f"The link's {spec.url}=") and f"({spec.name} must" in problem
    assert one_sentence(problem)


@pytest.mark.parametrize("spec,text", [c for c in cases(invalid_texts) if c.values[1].strip()])
def test_an_experiment_pages_list_refuses_generated_invalid_texts(spec, text):
    with pytest.raises(ConfigError) as refused:
        parse_values(spec.name, text)
    assert f"is not usable: {spec.name} must" in str(refused.value) and one_sentence(str(refused.value))


def cli_config(spec: Field, text: str) -> RunConfig:
    """What ``python -m fmnist_core train --<flag>=<text>`` would train (it exits 2 with usage on a bad value)."""
    args = cli.build_parser().parse_args(["train", f"{spec.flag}={text}"])
    return cli.config_or_exit(args)


@pytest.mark.parametrize("spec,text", cases(invalid_texts))
def test_the_command_line_refuses_generated_invalid_texts(spec, text, capsys):
    with pytest.raises(SystemExit) as refused:
        cli_config(spec, text)
    assert refused.value.code == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("python -m fmnist_core train: error: ")
    assert f"argument {spec.flag}" in line or f"error: {spec.name} must" in line


@pytest.mark.parametrize("spec,value", cases(valid_values))
def test_every_way_in_accepts_the_ends_of_each_range(spec, value):
    text = ("1" if value else "0") if spec.type is bool else repr(value)
    assert getattr(RunConfig(**{spec.name: value}), spec.name) == value
    config, problems = config_from_query({spec.url: text})
    assert not problems and getattr(config, spec.name) == value
    assert parse_values(spec.name, text) == (value,)
    if spec.type is not bool:  # a boolean flag takes no value: --normalize / --no-normalize
        assert getattr(cli_config(spec, text), spec.name) == value


def test_choices_are_offers_not_limits():
    """A widget offers ``choices``; any value in the range is still a valid run (the units page uses 10)."""
    for spec in FIELDS:
        for value in {spec.type(spec.widget_low), spec.type(spec.widget_high)} - set(spec.choices):
            assert getattr(RunConfig(**{spec.name: value}), spec.name) == value


@pytest.mark.parametrize("field,value", [("epochs", 0), ("hidden_units", 0), ("batch_size", 0), ("dropout", 1.0),
                                         ("validation_split", 1.0), ("learning_rate", 0.0)])
def test_the_table_keeps_the_ends_that_make_a_run_possible(field, value):
    """What the generated cases cannot know: no epoch, unit or image per batch, every unit silenced, nothing left
    to train on, or no step at all is not a run."""
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
    with pytest.raises(TypeError):
        Field("epochs", int, 1, 100, 10, "epochs", "Epochs", "help")  # type: ignore[misc]
    made = Field(name="epochs", type=int, low=1, high=100, default=10, url="epochs", label_text="Epochs",
                 help_text="help")
    assert made.check(7) == 7 and made.flag == "--epochs"


def test_minus_zero_is_zero():
    assert RunConfig(dropout=-0.0).key == RunConfig().key
    assert config_from_query({"val": "-0"})[0] == RunConfig(validation_split=0.0)
    assert config_from_query({"val": "-0"})[0].key == RunConfig(validation_split=0.0).key
