"""Compiled fitters kept for the next run of the same shape.

Compiling a network's training step with XLA takes most of a small run's time (about 0.9 s of a 1 s run here), and
TensorFlow keeps every program it compiled for as long as the process lives (its XLA cache is never emptied; about
10 MB for each network a worker trained, the main reason a worker grew). A class trains a few shapes many times
(the same units, layers, dropout and batch size; other seeds), so a worker keeps the fitters of the shapes it
trained, and the next run of a shape trains with that fitter's compiled programs: its variables (weights, the
dropout seed's state, adam's step and moments) are replaced by those a fresh build of the new run gives, so the run
is bit for bit what a new fitter would train (tested). Frankly: two runs of one shape at once each take a fitter
(the second compiles its own), a new validation split or data size compiles the calls of its new batch shapes, and
a shape whose fitter went (more than ``KEEP``) compiles again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from ..config import RunConfig, parameter_count
from .fast_fit import FastFitter, training_state
from .model import seeded_model

KEEP = 16  # idle fitters a process keeps (the experiment pages' runs have 11 shapes); the one unused longest goes
MAX_PARAMS = 250_000  # a bigger network is not kept: its variables, three times over with adam's moments, would stay
# in memory, and it trains long enough that its compilation matters less

_idle: OrderedDict[tuple, list[FastFitter]] = OrderedDict()
_lock = threading.Lock()


def shape(config: RunConfig) -> tuple:
    """What a compiled fitter depends on: everything ``build_model`` and the training step read, but the seed."""
    return (config.hidden_units, config.extra_layers, config.normalize, config.dropout, config.batch_size,
            config.learning_rate)


def take(config: RunConfig) -> FastFitter:
    """A fitter for ``config`` holding the seed's start weights: a kept one of the same shape, else a new one.

    Seeds are process-wide: call it holding ``KERAS_LOCK``."""
    model = seeded_model(config)
    with _lock:
        kept = _idle.get(shape(config))
        fitter = kept.pop() if kept else None
        if kept is not None and not kept:
            del _idle[shape(config)]
    if fitter is None:
        return FastFitter(model, normalize=config.normalize)
    fitter.load_state(training_state(model))
    return fitter


def give(config: RunConfig, fitter: FastFitter) -> None:
    """Keep ``fitter`` (done with) for the next run of ``config``'s shape, unless its network is big."""
    if parameter_count(config) > MAX_PARAMS:
        return
    with _lock:
        _idle.setdefault(shape(config), []).append(fitter)
        _idle.move_to_end(shape(config))
        while sum(map(len, _idle.values())) > KEEP:
            oldest = next(iter(_idle))
            _idle[oldest].pop(0)
            if not _idle[oldest]:
                del _idle[oldest]


def holds(config: RunConfig) -> bool:
    """Whether a fitter of ``config``'s shape is kept (its next run compiles nothing new, bar new batch shapes)."""
    with _lock:
        return shape(config) in _idle


def kept() -> int:
    """How many idle fitters this process keeps."""
    with _lock:
        return sum(map(len, _idle.values()))


def forget() -> None:
    """Keep none (tests; a process that wants its memory back ends instead: TensorFlow keeps the programs)."""
    with _lock:
        _idle.clear()
