"""fmnist_core: the UI-free heart of Fashion-MNIST Lab.

Data loading, the dense network, fast cached training with progress callbacks, evaluation, image intake,
experiment sweeps. Importing this package does not import TensorFlow; training and model loading do.

    >>> from fmnist_core import RunConfig, RunCache
    >>> result = RunCache().get_or_train(RunConfig(epochs=5))
    >>> result.test_accuracy
"""

from .config import ConfigError, RunConfig
from .data.sources import CLASS_NAMES, DataError, Dataset, load_fashion_mnist
from .reports import TrainingCancelled, TrainingListener
from .runs.cache import RunCache
from .runs.results import RunResult
from .runs.training import train

__all__ = [
    "CLASS_NAMES",
    "ConfigError",
    "DataError",
    "Dataset",
    "RunCache",
    "RunConfig",
    "RunResult",
    "TrainingCancelled",
    "TrainingListener",
    "load_fashion_mnist",
    "train",
]
