"""The format of one run-cache entry on disk, and its validation as a table of run.json's fields.

An entry ``<root>/runs/<key>/`` holds ``weights.npz`` (the trained network), ``test_probabilities.npy``, for
trained runs ``snapshots.npz`` (weights of kept epochs) and ``state.npz`` (the training state, to go on from),
and ``run.json``: the config, history, metrics, and the SHA-256 of every other file.

``FIELDS`` lists what each field of run.json must be, as ``config.FIELDS`` does for the knobs (and scikit-learn's
``_param_validation`` for parameters): ``read_meta`` checks every one and gives RunResult's fields, and damage is a
``DamagedEntry`` with one sentence of plain English for the log. No state, no writes: ``store`` does those.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..config import RunConfig
from ..forward import DenseNetwork
from . import lineage
from .results import HISTORY_KEYS, Origin, RunResult

FORMAT_VERSION = 4  # 3: NumPy weights, snapshots, state, (seed, epoch) shuffles; 4: Philox dropout. Older: retrained
WEIGHTS, RUN_FILE, PROBS_FILE = "weights.npz", "run.json", "test_probabilities.npy"
SNAPSHOTS, STATE = "snapshots.npz", "state.npz"
OUR_FILES = {WEIGHTS, RUN_FILE, PROBS_FILE, SNAPSHOTS, STATE}
_KEY = re.compile(r"[0-9a-f]{16}")


class DamagedEntry(ValueError):
    """The content of a cache entry is damaged (the write path discards it)."""


def is_key(name: str) -> bool:
    """True when ``name`` has the form of a config key (16 lowercase hex digits)."""
    return isinstance(name, str) and _KEY.fullmatch(name) is not None


def is_ours(folder: Path) -> bool:
    """A run entry: a key-shaped name, a folder (not a link) holding nothing but the cache's own files."""
    try:
        return is_key(folder.name) and folder.is_dir() and not folder.is_symlink() and \
            {f.name for f in folder.iterdir()} <= OUR_FILES
    except OSError:
        return False


def sha256(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- run.json, field by field

_REQUIRED = object()


@dataclass(frozen=True)
class EntryField:
    """One field of run.json: ``read`` turns the stored value into RunResult's (ValueError or TypeError when it is
    not one), ``problem`` says what is wrong in the log's words, ``default`` stands in when it is missing."""

    name: str
    read: Callable[[Any], Any]
    problem: str  # may name "{value}" (the stored value, cut short) and "{error}" (what ``read`` said)
    default: Any = _REQUIRED

    def value(self, meta: Mapping[str, Any]) -> Any:
        """This field of ``meta`` as RunResult holds it; DamagedEntry when it is missing (and required) or wrong."""
        stored = meta.get(self.name, None if self.default is _REQUIRED else self.default)
        try:
            if stored is None and self.default is _REQUIRED:
                raise ValueError("missing")
            return self.read(stored)
        except DamagedEntry:
            raise
        except (ValueError, TypeError) as exc:
            raise DamagedEntry(self.problem.format(value=repr(stored)[:40], error=exc)) from None


def _of(kind: type) -> Callable[[Any], Any]:
    """A reader that takes a value of ``kind`` as it is."""

    def read(value: Any) -> Any:
        if not isinstance(value, kind):
            raise TypeError(kind.__name__)
        return value
    return read


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)  # NaN is a real loss


def _number(value: Any) -> float:
    if not _is_number(value):
        raise TypeError("not a number")
    return float(value)


def _numbers(value: Any) -> list[float]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return [_number(v) for v in value]


def _epoch(value: Any) -> int | None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ValueError("not an epoch")
    return value


def _epochs(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(e, int) and not isinstance(e, bool) for e in value):
        raise TypeError("not a list of epochs")
    return tuple(value)


def _date(value: Any) -> str:
    datetime.fromisoformat(_of(str)(value))
    return value


def _config(value: Any) -> RunConfig:
    return RunConfig.from_dict(_of(dict)(value))


def _history(raw: Any) -> dict[str, list[float]]:
    """The history, checked: loss and accuracy present, known keys only, equal lengths, numbers."""
    if not isinstance(raw, dict):
        raise TypeError("not a dict")
    if not {"loss", "accuracy"} <= set(raw) or not set(raw) <= set(HISTORY_KEYS):
        raise DamagedEntry("the history lacks loss/accuracy or has unknown entries")
    history = {}
    for name, values in raw.items():
        if not isinstance(values, list) or not values or not all(map(_is_number, values)):
            raise DamagedEntry(f"the history's {name} is not a list of numbers")
        history[name] = [float(v) for v in values]
    if len({len(v) for v in history.values()}) != 1:
        raise DamagedEntry("the history's lists have different lengths")
    return history


FIELDS: tuple[EntryField, ...] = (
    EntryField("config", _config, "config is not a run configuration ({error})"),
    EntryField("files", _of(dict), "files is missing or not a dict"),
    EntryField("trained_at", _date, "trained_at {value} is not a date"),
    EntryField("stopped_early_at", _epoch, "stopped_early_at is not an epoch", default=None),
    EntryField("kept_epochs", _epochs, "kept_epochs is not a list of epochs", default=[]),
    EntryField("origin", Origin.parse, "origin is not an origin", default=None),  # also the English of 2026-11
    EntryField("epoch_seconds", _numbers, "epoch_seconds is not a list of numbers", default=[]),
    EntryField("history", _history, "history is missing or not a dict"),
    EntryField("test_loss", _number, "test_loss is missing or not a number"),
    EntryField("test_accuracy", _number, "test_accuracy is missing or not a number"),
    EntryField("train_seconds", _number, "train_seconds is missing or not a number"),
    EntryField("data_source", _of(str), "data_source is missing or not a str"),
)


@dataclass(frozen=True)
class Meta:
    """run.json, checked: RunResult's fields, the file table (checksums), and the family it belongs to."""

    fields: dict[str, Any]
    files: dict[str, Any]
    family: str | None


def read_meta(raw: bytes, key: str) -> Meta:
    """run.json's bytes of the entry ``key``, every field checked (DamagedEntry names the first that fails)."""
    try:
        meta = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise DamagedEntry(f"run.json is not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise DamagedEntry("run.json is not a JSON object")
    if meta.get("format") != FORMAT_VERSION:
        raise DamagedEntry(f"format {meta.get('format')!r}, expected {FORMAT_VERSION}")
    fields = {f.name: f.value(meta) for f in FIELDS}
    if fields["config"].key != key:
        raise DamagedEntry("its config does not match its key")
    files = fields.pop("files")
    fields["kept_epochs"] = fields["kept_epochs"] if SNAPSHOTS in files else ()
    fields["continuable"] = STATE in files
    family = meta.get("family")
    return Meta(fields, files, family if isinstance(family, str) else None)


def peek_family(raw: bytes) -> str | None:
    """The family of an entry that kept weights of its epochs, read from run.json unchecked (None: none, or not
    readable): enough to pass over the entries of other families without checking them."""
    try:
        meta = json.loads(raw)
        return meta.get("family") if meta.get("kept_epochs") else None
    except (ValueError, AttributeError, RecursionError):
        return None


def check_files(folder: Path, files: Mapping[str, Any]) -> None:
    """The probabilities against their checksum and the weights' size (their checksum when they are loaded)."""
    if not isinstance(files.get(WEIGHTS), dict) or files.get(PROBS_FILE, {}).get("sha256") != sha256(
            folder / PROBS_FILE):
        raise DamagedEntry("test probabilities do not match their checksum")
    weights = folder / WEIGHTS
    if not weights.is_file() or weights.stat().st_size != files[WEIGHTS].get("bytes"):
        raise DamagedEntry("the weights file is missing or has the wrong size")


def verify(folder: Path, files: Mapping[str, Any], name: str) -> None:
    """DamagedEntry when an entry's file ``name`` does not match its checksum in ``files`` (or is missing); an
    OSError when it cannot be read."""
    if not isinstance(files.get(name), dict) or sha256(folder / name) != files[name].get("sha256"):
        raise DamagedEntry(f"{name} does not match its checksum")


def write_files(folder: Path, result: RunResult) -> None:
    """A finished run's files into ``folder``: its arrays, then run.json with their checksums."""
    np.savez(folder / WEIGHTS, **result.load_network().arrays())
    np.save(folder / PROBS_FILE, np.asarray(result.test_probabilities, np.float32))
    if result.snapshots:
        np.savez(folder / SNAPSHOTS, **{f"e{epoch}_{name}": array for epoch, network in result.snapshots.items()
                                        for name, array in network.arrays().items()})
    if result.state is not None:
        np.savez(folder / STATE, **{f"v{i}": array for i, array in enumerate(result.state)})
    files = {f.name: {"sha256": sha256(f), "bytes": f.stat().st_size} for f in folder.iterdir()}
    meta = result.to_dict() | {"format": FORMAT_VERSION, "files": files, "family": lineage.family(result.config),
                               "kept_epochs": sorted(result.snapshots)}
    (folder / RUN_FILE).write_text(json.dumps(meta, indent=1))


def epoch_weights(arrays, config: RunConfig, epochs: Iterable[int]) -> dict[int, DenseNetwork]:
    """The networks of ``epochs`` from a snapshots.npz (arrays named ``e<epoch>_kernel_0``, ...), by epoch."""
    return {e: DenseNetwork.from_arrays(arrays, config, prefix=f"e{e}_") for e in epochs}


def training_state(arrays) -> list[np.ndarray]:
    """The training state from a state.npz (arrays named ``v0``, ``v1``, ...), in order."""
    return [arrays[f"v{i}"] for i in range(len(arrays.files))]
