"""Runs: training a RunConfig, its result, the run cache on disk (entry format, store, reuse), lineage, exports,
evaluation.

TensorFlow is imported only when a run is really trained or its Keras model loaded (through ``net``).
"""

from . import export
from .cache import RunCache
from .evaluation import (
    SELECTIONS,
    class_reports,
    confused_indices,
    confusion_matrix,
    correct_count,
    hardest_class,
    most_confused,
    select_examples,
    top_k,
)
from .results import Origin, RunResult, RunUnavailable, curve_of, history_key
from .store import Lookup, default_cache_dir
from .timeline import Frame, Timeline, what_changed

__all__ = ["SELECTIONS", "Frame", "Lookup", "Origin", "RunCache", "RunResult", "RunUnavailable", "Timeline",
           "class_reports", "confused_indices", "confusion_matrix", "correct_count", "curve_of", "default_cache_dir",
           "export", "hardest_class", "history_key", "most_confused", "select_examples", "top_k", "what_changed"]
