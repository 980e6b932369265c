"""RunConfig: what decides a training run, each field described once in ``FIELDS``.

``FIELDS`` is the one table of every knob (in the spirit of scikit-learn's ``_parameter_constraints``): its
type, range, default, URL name, CLI flag, help text and the lessons' value. Validation, the URL codec, the
command line and the page widgets all read it, so adding a knob is one line here. Beside it sit the two
facts every layer needs without TensorFlow: how pixels are scaled and how many parameters a network has.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np


class ConfigError(ValueError):
    """A run configuration value is out of range; the message names the field."""


@dataclass(frozen=True)
class Field:
    """One knob of a run: its type and range, and how people meet it (URL, CLI flag, widget, help)."""

    name: str
    type: type
    low: float
    high: float
    default: Any
    url: str
    label: str  # widget label
    help: str
    lessons: Any = None  # the value the lesson notes use, where they use one
    high_open: bool = False  # the range excludes ``high``
    low_open: bool = False  # the range excludes ``low``
    step: float | None = None  # widget step for floats
    choices: tuple[Any, ...] = ()  # a widget offers these (plus the current value) instead of a slider
    short: str = ""  # how describe() writes a non-default value, e.g. "batch {}"

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. '--hidden-units'."""
        return "--" + self.name.replace("_", "-")

    @property
    def range_text(self) -> str:
        """'1-100', '0 to below 1', 'above 0 up to 1' — the range in words."""
        if self.type is bool:
            return "true or false"
        low, high = f"{self.low:g}", f"{self.high:g}"
        if self.low_open:
            return f"above {low} up to {high}"
        return f"{low} to below {high}" if self.high_open else f"{low}-{high}"

    @property
    def widget_low(self) -> float:
        """The smallest value a slider offers (one step above an open lower bound)."""
        return self.low + (self.step or 1) if self.low_open else self.low

    @property
    def widget_high(self) -> float:
        """The largest value a slider offers (one step below an open upper bound)."""
        return self.high - (self.step or 1) if self.high_open else self.high

    def check(self, value: Any) -> Any:
        """The value, normalised (ints as int, floats as float, -0.0 as 0.0); raises ConfigError if out of range."""
        if self.type is bool:
            if not isinstance(value, (bool, np.bool_)):
                raise ConfigError(f"{self.name} must be true or false, got {value!r}")
            return bool(value)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ConfigError(f"{self.name} must be a number ({self.range_text}), got {value!r}")
        if not math.isfinite(value):
            raise ConfigError(f"{self.name} must be a number ({self.range_text}), got {value!r}")
        if self.type is int:
            if value != int(value):
                raise ConfigError(f"{self.name} must be a whole number ({self.range_text}), got {value!r}")
            value = int(value)
        else:
            value = float(value) + 0.0  # + 0.0 turns -0.0 into 0.0, so both give one key
        too_low = value <= self.low if self.low_open else value < self.low
        too_high = value >= self.high if self.high_open else value > self.high
        if too_low or too_high:
            raise ConfigError(f"{self.name} must be {self.range_text}, got {value:g}")
        return value

    def parse(self, text: str) -> Any:
        """A value from its text (URL or form), checked; raises ConfigError."""
        text = str(text).strip()
        if self.type is bool:
            truth = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
            if text.lower() not in truth:
                raise ConfigError(f"{self.name} must be true or false")
            return truth[text.lower()]
        try:
            number = float(text) if self.type is float else int(text)
        except ValueError:
            kind = "a whole number" if self.type is int else "a number"
            raise ConfigError(f"{self.name} must be {kind} ({self.range_text})") from None
        return self.check(number)

    def format(self, value: Any) -> str:
        """The value as URL text: '1'/'0' for booleans, the shortest form for floats."""
        if self.type is bool:
            return "1" if value else "0"
        return f"{value:g}" if self.type is float else str(value)


FIELDS: tuple[Field, ...] = (
    Field("epochs", int, 1, 100, 10, "epochs", "Epochs",
          "One epoch is one pass over all training images. More epochs: the network sees each image more often; "
          "training accuracy keeps rising, validation accuracy stops improving at some point.", lessons=5),
    Field("hidden_units", int, 1, 4096, 128, "units", "Hidden units per layer",
          "Neurons in each hidden Dense layer. Every one of them looks at all 784 pixels (the 28x28 image "
          "flattened into one long vector) and adds up what it sees.", lessons=128,
          choices=(8, 16, 32, 64, 128, 256, 512, 1024, 2048)),
    Field("extra_layers", int, 0, 5, 0, "extra", "Extra hidden layers",
          "Hidden Dense(relu) layers after the first one. ReLU (max(0, x)) lets stacked layers model "
          "non-linear patterns.", lessons=0),
    Field("normalize", bool, 0, 1, True, "normalize", "Normalise pixels to 0-1",
          "Divide pixel values by 255 so inputs lie in 0-1 instead of 0-255. Smaller, similar-sized inputs make "
          "training steadier.", lessons=True),
    Field("dropout", float, 0.0, 1.0, 0.0, "dropout", "Dropout",
          "During training, randomly silence this share of hidden units at each step, so the network cannot rely "
          "on any single one (0 = no dropout; the lessons try 0.2).", lessons=0.2, high_open=True, step=0.05,
          short="dropout {:g}"),
    Field("batch_size", int, 1, 65536, 32, "batch", "Batch size",
          "Images per weight update. Smaller batches: more, noisier updates per epoch.", lessons=32,
          choices=(16, 32, 64, 128, 256, 512), short="batch {}"),
    Field("validation_split", float, 0.0, 1.0, 0.2, "val", "Validation split",
          "Share of the 60,000 training images held back to check the network on images it does not train on "
          "(the lessons use 0.2).", lessons=0.2, high_open=True, step=0.05, short="val {:g}"),
    Field("learning_rate", float, 0.0, 1.0, 0.001, "lr", "Learning rate",
          "How big a step adam takes on each update (Keras's default is 0.001).", lessons=0.001, low_open=True,
          step=0.0001, short="lr {:g}"),
    Field("seed", int, 0, 2**31 - 1, 0, "seed", "Seed",
          "Fixes the random start weights and shuffling: the same seed gives the same run.", short="seed {}"),
    Field("target_accuracy", float, 0.0, 1.0, 0.0, "target", "Stop when training accuracy reaches",
          "Stop training once an epoch's training accuracy reaches this (0 = off).", step=0.01,
          short="stop at train acc {:g}"),
    Field("patience", int, 0, 100, 0, "patience", "Stop after epochs without a better validation loss",
          "Stop when validation loss has not improved for this many epochs and keep the best epoch's weights "
          "(0 = off).", short="patience {}"),
)
FIELD = {f.name: f for f in FIELDS}


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a run's outcome (ranges and defaults: ``FIELDS``).

    The network is Flatten(28x28) -> Dense(hidden_units, relu) x (1 + extra_layers) [-> Dropout]
    -> Dense(10, softmax), trained with adam on sparse categorical cross-entropy.
    """

    epochs: int = FIELD["epochs"].default
    hidden_units: int = FIELD["hidden_units"].default
    extra_layers: int = FIELD["extra_layers"].default
    normalize: bool = FIELD["normalize"].default
    dropout: float = FIELD["dropout"].default
    batch_size: int = FIELD["batch_size"].default
    validation_split: float = FIELD["validation_split"].default
    learning_rate: float = FIELD["learning_rate"].default
    seed: int = FIELD["seed"].default
    target_accuracy: float = FIELD["target_accuracy"].default
    patience: int = FIELD["patience"].default

    def __post_init__(self) -> None:
        for spec in FIELDS:
            object.__setattr__(self, spec.name, spec.check(getattr(self, spec.name)))
        if self.patience and not self.validation_split:
            raise ConfigError("patience needs a validation split above 0 (it watches validation loss)")

    @property
    def key(self) -> str:
        """Stable short name: the same values give the same key in every process."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def hidden_layers(self) -> int:
        """Number of Dense relu layers (1 + extra_layers)."""
        return 1 + self.extra_layers

    @property
    def parameters(self) -> int:
        """Trainable parameters of this network."""
        return parameter_count(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (JSON-safe)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> RunConfig:
        """Build from a dict, rejecting unknown fields with a clear error."""
        if not isinstance(values, Mapping):
            raise ConfigError("a configuration must be a mapping of field names to values")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown config field(s): {', '.join(map(str, unknown))}")
        return cls(**values)

    def with_(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def describe(self) -> str:
        """Short human summary, e.g. '128 units x 1 layer, 10 epochs, normalised, dropout 0.2'."""
        parts = [
            f"{self.hidden_units} units x {self.hidden_layers} layer{'s' if self.hidden_layers > 1 else ''}",
            f"{self.epochs} epoch{'s' if self.epochs > 1 else ''}",
            "normalised" if self.normalize else "raw 0-255",
        ]
        parts += [spec.short.format(getattr(self, spec.name)) for spec in FIELDS
                  if spec.short and getattr(self, spec.name) != spec.default]
        return ", ".join(parts)


# --------------------------------------------------------------------------- network facts without TensorFlow


def parameter_count(config: RunConfig) -> int:
    """Trainable parameters of the network ``config`` describes."""
    units, total, inputs = config.hidden_units, 0, 28 * 28
    for _ in range(config.hidden_layers):
        total += inputs * units + units
        inputs = units
    return total + inputs * 10 + 10


def scale_pixels(pixels: Any, normalize: bool) -> Any:
    """The network's input from float pixels 0-255: divided by 255 when ``normalize``.

    The one place inputs are scaled: training (on TensorFlow tensors), prediction and the Inside-the-network
    views (on NumPy arrays) all call it.
    """
    return pixels / 255.0 if normalize else pixels


def model_inputs(images: np.ndarray, config: RunConfig) -> np.ndarray:
    """uint8 images (N, 28, 28) or one (28, 28) to the float32 input the model of ``config`` was trained on."""
    return scale_pixels(np.asarray(images, dtype=np.float32), config.normalize)


# --------------------------------------------------------------------------- URL query parameters


def config_from_query(params: Mapping[str, str], base: RunConfig | None = None) -> tuple[RunConfig, list[str]]:
    """Read a RunConfig from URL query parameters; each bad value falls back to the default with a message.

    Messages quote the link's text as plain words; pages show them with ``st.text`` or as code, never as markdown.
    """
    config, problems = base or RunConfig(), []
    for spec in FIELDS:
        if spec.url not in params:
            continue
        raw = str(params[spec.url])
        try:
            config = config.with_(**{spec.name: spec.parse(raw)})
        except ConfigError as exc:
            problems.append(f"The link's {spec.url}={raw[:40]} is not usable ({exc}); using the default "
                            f"{spec.format(getattr(config, spec.name))} instead.")
    return config, problems


def config_to_query(config: RunConfig) -> dict[str, str]:
    """The URL query parameters that differ from the defaults."""
    return {spec.url: spec.format(getattr(config, spec.name)) for spec in FIELDS
            if getattr(config, spec.name) != spec.default}
