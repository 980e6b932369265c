"""RunConfig: what decides a training run, each field described once in ``FIELDS``.

``FIELDS`` is the one table of every knob (in the spirit of scikit-learn's ``_parameter_constraints``): its
type, range, default, URL name, CLI flag and help text. Validation, the URL codec, the command line and the
page widgets all read it, so adding a knob is one entry here. Beside it sit the two facts every layer needs
without TensorFlow: how pixels are scaled and how many parameters a network has.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal
from typing import Any

import numpy as np

from .i18n import N_, _, decimal, ngettext


class ConfigError(ValueError):
    """A run configuration value is out of range; the message names the field."""


@dataclass(frozen=True, kw_only=True)
class Field:
    """One knob of a run: its type and range, and how people meet it (URL, CLI flag, widget, help)."""

    name: str
    type: type
    low: float
    high: float
    default: Any
    url: str
    label_text: str  # widget label (English; ``label`` is it in the reader's language)
    help_text: str
    high_open: bool = False  # the range excludes ``high``
    low_open: bool = False  # the range excludes ``low``
    step: float | None = None  # widget step for floats
    choices: tuple[Any, ...] = ()  # a widget offers these (plus the current value) instead of a slider
    short: str = ""  # how describe() writes a non-default value, e.g. "batch {value}"
    word: str = ""  # the setting's name in a run's label, e.g. "units" in "units 256" (English, translated)

    @property
    def name_in_label(self) -> str:
        """The setting's short name in the reader's language ('units' in 'units 256')."""
        return _(self.word) if self.word else self.url

    @property
    def label(self) -> str:
        """The widget label in the reader's language."""
        return _(self.label_text)

    @property
    def help(self) -> str:
        """The help text in the reader's language."""
        return _(self.help_text)

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. '--hidden-units'."""
        return "--" + self.name.replace("_", "-")

    @property
    def range_text(self) -> str:
        """'1-100', '0 to below 1', 'above 0 up to 1' — the range in words."""
        if self.type is bool:
            return _("true or false")
        low, high = decimal(self.low), decimal(self.high)
        if self.low_open:
            # Translators: a setting's range in an error message; {low}, {high}: its bounds, e.g. "above 0 up to 1"
            return _("above {low} up to {high}").format(low=low, high=high)
        # Translators: a setting's range in an error message; {low}, {high}: its bounds, e.g. "0 to below 1"
        return _("{low} to below {high}").format(low=low, high=high) if self.high_open else f"{low}-{high}"

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
                # Translators: {name}: a setting's name in links and the CLI, e.g. "normalize"; {value}: what was
                # given, e.g. "'yes'"
                raise ConfigError(_("{name} must be true or false, got {value}").format(name=self.name,
                                                                                         value=repr(value)))
            return bool(value)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            # Translators: {name}: a setting's name in links, e.g. "units"; {range}: its range, e.g. "1-4096";
            # {value}: what was given, e.g. "'many'"
            raise ConfigError(self._wrong(_("{name} must be a number ({range}), got {value}"), repr(value)))
        if isinstance(value, (float, np.floating)) and not math.isfinite(value):  # ints are finite, of any size
            # Translators: as above; {value}: e.g. "nan"
            raise ConfigError(self._wrong(_("{name} must be a number ({range}), got {value}"), repr(value)))
        if self.type is int and value != int(value):
            # Translators: {name}: e.g. "epochs"; {range}: e.g. "1-100"; {value}: e.g. "2.5"
            raise ConfigError(self._wrong(_("{name} must be a whole number ({range}), got {value}"), repr(value)))
        if self.type is int:
            value = int(value)
        # Compared before any conversion to float: an int of 310 digits is out of range, not an OverflowError.
        too_low = value <= self.low if self.low_open else value < self.low
        too_high = value >= self.high if self.high_open else value > self.high
        if too_low or too_high:
            # Translators: {name}: e.g. "dropout"; {range}: e.g. "0 to below 1"; {value}: e.g. "1.5"
            raise ConfigError(self._wrong(_("{name} must be {range}, got {value}"), _short_number(value)))
        return value if self.type is int else float(value) + 0.0  # + 0.0 turns -0.0 into 0.0: both give one key

    def _wrong(self, sentence: str, value: str) -> str:
        return sentence.format(name=self.name, range=self.range_text, value=value)

    def parse(self, text: str) -> Any:
        """A value from its text (URL or form), checked; raises ConfigError."""
        text = str(text).strip()
        if self.type is bool:
            truth = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
            if text.lower() not in truth:
                # Translators: {name}: a setting's name in links, e.g. "normalize"
                raise ConfigError(_("{name} must be true or false").format(name=self.name))
            return truth[text.lower()]
        try:
            number = float(text) if self.type is float else int(text)
        except ValueError:
            # Translators: {name}: a setting's name in links, e.g. "units"; {range}: its range, e.g. "1-4096"
            sentence = (_("{name} must be a whole number ({range})") if self.type is int else
                        # Translators: {name}: e.g. "dropout"; {range}: e.g. "0 to below 1"
                        _("{name} must be a number ({range})"))
            raise ConfigError(sentence.format(name=self.name, range=self.range_text)) from None
        return self.check(number)

    def value_text(self, value: Any) -> str:
        """The value as a reader sees it in a label or sentence: '0,2' in German, whole numbers as they are, a
        switch as on/off in the reader's language."""
        if self.type is bool:
            return _("on") if value else _("off")
        return decimal(value) if self.type is float else str(value)

    def shown(self, value: Any) -> str:
        """The setting with a value as run labels write it, in the reader's language: 'dropout 0.2', 'patience 3'
        (``short``; fields without one have no such label)."""
        return _(self.short).format(value=self.value_text(value))

    def format(self, value: Any) -> str:
        """The value as URL text: '1'/'0' for booleans, the shortest form for floats."""
        if self.type is bool:
            return "1" if value else "0"
        return f"{value:g}" if self.type is float else str(value)


def _short_number(value: float) -> str:
    """A number as an error message quotes it: '1.5', '1000', and '1e+309' for an int no float can hold."""
    try:
        return f"{value:g}"
    except OverflowError:
        return f"{Decimal(int(value)).normalize():.6g}"


FIELDS: tuple[Field, ...] = (
    Field(name="epochs", type=int, low=1, high=100, default=10, url="epochs",
          label_text=N_("Epochs"),
          help_text=N_("One epoch is one pass over all training images. More epochs: the network sees each image more "
                       "often; training accuracy keeps rising, validation accuracy stops improving at some point."),
          word=N_("epochs")),
    Field(name="hidden_units", type=int, low=1, high=4096, default=128, url="units",
          label_text=N_("Hidden units per layer"),
          help_text=N_("Neurons in each hidden Dense layer. Every one of them looks at all 784 pixels (the 28x28 image "
                       "flattened into one long vector) and adds up what it sees."),
          choices=(8, 16, 32, 64, 128, 256, 512, 1024, 2048), word=N_("units")),
    Field(name="extra_layers", type=int, low=0, high=5, default=0, url="extra",
          label_text=N_("Extra hidden layers"),
          help_text=N_("Hidden Dense(relu) layers after the first one. ReLU (max(0, x)) lets stacked layers model "
                       "non-linear patterns."),
          word=N_("extra layers")),
    Field(name="normalize", type=bool, low=0, high=1, default=True, url="normalize",
          label_text=N_("Normalise pixels to 0-1"),
          help_text=N_("Divide pixel values by 255 so inputs lie in 0-1 instead of 0-255. Smaller, similar-sized "
                       "inputs make training steadier."),
          word=N_("normalize")),
    Field(name="dropout", type=float, low=0.0, high=1.0, default=0.0, url="dropout",
          label_text=N_("Dropout"),
          help_text=N_("During training, randomly silence this share of hidden units at each step, so the network "
                       "cannot rely on any single one (0 = no dropout; the lessons try 0.2)."),
          # Translators: a run label's part; {value}: the dropout rate, e.g. "0.2" ("dropout 0.2")
          high_open=True, step=0.05, short=N_("dropout {value}"), word=N_("dropout")),
    Field(name="batch_size", type=int, low=1, high=65536, default=32, url="batch",
          label_text=N_("Batch size"),
          help_text=N_("Images per weight update. Smaller batches: more, noisier updates per epoch."),
          # Translators: a run label's part; {value}: the batch size, e.g. 64 ("batch 64")
          choices=(16, 32, 64, 128, 256, 512), short=N_("batch {value}"), word=N_("batch")),
    Field(name="validation_split", type=float, low=0.0, high=1.0, default=0.2, url="val",
          label_text=N_("Validation split"),
          help_text=N_("Share of the 60,000 training images held back to check the network on images it does not train "
                       "on (the lessons use 0.2)."),
          # Translators: a run label's part; {value}: the validation split, e.g. "0.1" ("val 0.1")
          high_open=True, step=0.05, short=N_("val {value}"), word=N_("val split")),
    Field(name="learning_rate", type=float, low=0.0, high=1.0, default=0.001, url="lr",
          label_text=N_("Learning rate"),
          help_text=N_("How big a step adam takes on each update (Keras's default is 0.001)."),
          # Translators: a run label's part; {value}: the learning rate, e.g. "0.01" ("lr 0.01")
          low_open=True, step=0.0001, short=N_("lr {value}"), word=N_("lr")),
    Field(name="seed", type=int, low=0, high=2**31 - 1, default=0, url="seed",
          label_text=N_("Seed"),
          help_text=N_("Fixes the random start weights and shuffling: the same seed gives the same run."),
          # Translators: a run label's part; {value}: the random seed, e.g. 7 ("seed 7")
          short=N_("seed {value}"), word=N_("seed")),
    Field(name="target_accuracy", type=float, low=0.0, high=1.0, default=0.0, url="target",
          label_text=N_("Stop when training accuracy reaches"),
          help_text=N_("Stop training once an epoch's training accuracy reaches this (0 = off)."),
          # Translators: a run label's part; {value}: the training accuracy that stops training, e.g. "0.9"
          step=0.01, short=N_("stop at train acc {value}"), word=N_("target")),
    Field(name="patience", type=int, low=0, high=100, default=0, url="patience",
          label_text=N_("Stop after epochs without a better validation loss"),
          help_text=N_("Stop when validation loss has not improved for this many epochs and keep the best epoch's "
                       "weights (0 = off)."),
          # Translators: a run label's part; {value}: Keras EarlyStopping patience in epochs, e.g. 3
          short=N_("patience {value}"), word=N_("patience")),
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
            raise ConfigError(_("patience needs a validation split above 0 (it watches validation loss)"))

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
            raise ConfigError(_("a configuration must be a mapping of field names to values"))
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            # Translators: {names}: the unknown field names, comma-separated, e.g. "colour, size"
            raise ConfigError(ngettext("unknown config field: {names}", "unknown config fields: {names}",
                                       len(unknown)).format(names=", ".join(map(str, unknown))))
        return cls(**values)

    def with_(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def describe(self) -> str:
        """Short human summary, e.g. '128 units x 1 layer, 10 epochs, normalised, dropout 0.2'."""
        parts = [
            # Translators: the start of a run's label; {units}: hidden units per layer, e.g. 128; {layers}: hidden
            # layers, e.g. 2 -> "128 units x 2 layers, 10 epochs, normalised, dropout 0.2"
            ngettext("{units} units x {layers} layer", "{units} units x {layers} layers", self.hidden_layers)
            .format(units=self.hidden_units, layers=self.hidden_layers),
            # Translators: part of a run's label; {n}: epochs, e.g. 10
            ngettext("{n} epoch", "{n} epochs", self.epochs).format(n=self.epochs),
            _("normalised") if self.normalize else _("raw 0-255"),
        ]
        parts += [spec.shown(getattr(self, spec.name)) for spec in FIELDS
                  if spec.short and getattr(self, spec.name) != spec.default]
        return ", ".join(parts)


# --------------------------------------------------------------------------- network facts without TensorFlow


def parameter_count(config: RunConfig) -> int:
    """Trainable parameters of the network ``config`` describes."""
    units, total, inputs = config.hidden_units, 0, 28 * 28
    for _layer in range(config.hidden_layers):
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
            # Translators: {name}: a setting's name in the link, e.g. "units"; {value}: the link's text, e.g. "lots";
            # {reason}: why, e.g. "units must be a whole number (1-4096)"; {default}: the value used, e.g. "128" or "on"
            problems.append(_("The link's {name}={value} is not usable ({reason}); using the default {default} "
                              "instead.").format(name=spec.url, value=raw[:40], reason=exc,
                                                 default=spec.value_text(getattr(config, spec.name))))
    return config, problems


def config_to_query(config: RunConfig) -> dict[str, str]:
    """The URL query parameters that differ from the defaults."""
    return {spec.url: spec.format(getattr(config, spec.name)) for spec in FIELDS
            if getattr(config, spec.name) != spec.default}
