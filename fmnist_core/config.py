"""RunConfig: one frozen dataclass that describes a training run, and its stable key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any


class ConfigError(ValueError):
    """A run configuration value is out of range; the message names the field."""


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a run's outcome.

    The network is Flatten(28x28) -> Dense(hidden_units, relu) x (1 + extra_layers) [-> Dropout]
    -> Dense(10, softmax), trained with adam on sparse categorical cross-entropy.
    """

    epochs: int = 10
    hidden_units: int = 128
    extra_layers: int = 0
    normalize: bool = True
    dropout: float = 0.0
    batch_size: int = 32
    validation_split: float = 0.2
    learning_rate: float = 0.001
    seed: int = 0
    target_accuracy: float = 0.0  # stop once training accuracy reaches this (0 = off)
    patience: int = 0  # stop when validation loss has not improved for this many epochs (0 = off)

    def __post_init__(self) -> None:
        _check_int(self, "epochs", 1, 100)
        _check_int(self, "hidden_units", 1, 4096)
        _check_int(self, "extra_layers", 0, 5)
        _check_int(self, "batch_size", 1, 65536)
        _check_int(self, "seed", 0, 2**31 - 1)
        _check_int(self, "patience", 0, 100)
        _check_float(self, "target_accuracy", 0.0, 1.0 + 1e-9)
        if not isinstance(self.normalize, bool):
            raise ConfigError(f"normalize must be true or false, got {self.normalize!r}")
        _check_float(self, "dropout", 0.0, 1.0)
        _check_float(self, "validation_split", 0.0, 1.0)
        if not (isinstance(self.learning_rate, (int, float)) and 0 < self.learning_rate <= 1):
            raise ConfigError(f"learning_rate must be in (0, 1], got {self.learning_rate!r}")
        object.__setattr__(self, "dropout", float(self.dropout))
        object.__setattr__(self, "validation_split", float(self.validation_split))
        object.__setattr__(self, "target_accuracy", float(self.target_accuracy))
        if self.patience and not self.validation_split:
            raise ConfigError("patience needs a validation split above 0 (it watches validation loss)")
        object.__setattr__(self, "learning_rate", float(self.learning_rate))

    @property
    def key(self) -> str:
        """Stable short name: the same values give the same key in every process."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def hidden_layers(self) -> int:
        """Number of Dense relu layers (1 + extra_layers)."""
        return 1 + self.extra_layers

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (JSON-safe)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunConfig:
        """Build from a dict, rejecting unknown fields with a clear error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown config field(s): {', '.join(unknown)}")
        return cls(**values)

    def with_(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def describe(self) -> str:
        """Short human summary, e.g. '128 units x 1 layer, 10 epochs, normalised'."""
        parts = [
            f"{self.hidden_units} units x {self.hidden_layers} layer{'s' if self.hidden_layers > 1 else ''}",
            f"{self.epochs} epoch{'s' if self.epochs > 1 else ''}",
            "normalised" if self.normalize else "raw 0-255",
        ]
        if self.dropout:
            parts.append(f"dropout {self.dropout:g}")
        if self.batch_size != 32:
            parts.append(f"batch {self.batch_size}")
        if self.validation_split != 0.2:
            parts.append(f"val {self.validation_split:g}")
        if self.learning_rate != 0.001:
            parts.append(f"lr {self.learning_rate:g}")
        if self.target_accuracy:
            parts.append(f"stop at train acc {self.target_accuracy:g}")
        if self.patience:
            parts.append(f"patience {self.patience}")
        if self.seed:
            parts.append(f"seed {self.seed}")
        return ", ".join(parts)


def _check_int(config: RunConfig, name: str, low: int, high: int) -> None:
    value = getattr(config, name)
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            object.__setattr__(config, name, int(value))
            value = int(value)
        else:
            raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be from {low} to {high}, got {value}")


def _check_float(config: RunConfig, name: str, low: float, high_exclusive: float) -> None:
    value = getattr(config, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ConfigError(f"{name} must be a number from {low:g} to below {high_exclusive:g}, got {value!r}")
    if not low <= value < high_exclusive:
        raise ConfigError(f"{name} must be from {low:g} to below {high_exclusive:g}, got {value:g}")


# --------------------------------------------------------------------------- URL query parameters

QUERY_FIELDS = {  # short URL name -> (field, parser)
    "epochs": ("epochs", int),
    "units": ("hidden_units", int),
    "extra": ("extra_layers", int),
    "normalize": ("normalize", lambda v: {"1": True, "true": True, "0": False, "false": False}[v.lower()]),
    "dropout": ("dropout", float),
    "batch": ("batch_size", int),
    "val": ("validation_split", float),
    "lr": ("learning_rate", float),
    "seed": ("seed", int),
}


def config_from_query(params: Mapping[str, str], base: RunConfig | None = None) -> tuple[RunConfig, list[str]]:
    """Read a RunConfig from URL query parameters; bad values fall back to the default, each with a message."""
    config, problems = base or RunConfig(), []
    for name, (field_name, parse) in QUERY_FIELDS.items():
        if name not in params:
            continue
        raw = str(params[name])
        try:
            config = config.with_(**{field_name: parse(raw)})
        except (ValueError, KeyError, ConfigError) as exc:
            reason = exc if isinstance(exc, ConfigError) else "not a valid value"
            problems.append(f"The link's `{name}={raw}` is not usable ({reason}); using the default "
                            f"{getattr(config, field_name)} instead.")
    return config, problems


def config_to_query(config: RunConfig) -> dict[str, str]:
    """The URL query parameters that differ from the defaults."""
    default, out = RunConfig(), {}
    for name, (field_name, _) in QUERY_FIELDS.items():
        value = getattr(config, field_name)
        if value != getattr(default, field_name):
            out[name] = ("1" if value else "0") if isinstance(value, bool) else f"{value:g}" if isinstance(
                value, float) else str(value)
    return out
