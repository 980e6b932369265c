"""RunResult: what a finished training run leaves behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .config import RunConfig
from .model import parameter_count, preprocess

if TYPE_CHECKING:
    import keras

HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


@dataclass(eq=False)
class RunResult:
    """History per epoch, test metrics, timing, the config, and the trained model (loaded lazily from cache)."""

    config: RunConfig
    history: dict[str, list[float]]
    test_loss: float
    test_accuracy: float
    train_seconds: float
    trained_at: str
    data_source: str
    test_probabilities: np.ndarray
    from_cache: bool = False
    stopped_early_at: int | None = None
    _model: Any = field(default=None, repr=False)
    _model_loader: Callable[[], Any] | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        """The config's stable key, which names the cache entry."""
        return self.config.key

    @property
    def epochs_run(self) -> int:
        """Epochs actually trained (fewer than configured when stopped early)."""
        return len(self.history.get("loss", []))

    @property
    def parameters(self) -> int:
        """Trainable parameter count."""
        return parameter_count(self.config)

    @property
    def model(self) -> keras.Model:
        """The trained Keras model (loaded from disk on first use for cached runs)."""
        if self._model is None and self._model_loader is not None:
            self._model = self._model_loader()
        return self._model

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities (N, 10) for uint8 images (N, 28, 28)."""
        images = np.asarray(images)
        if images.ndim == 2:
            images = images[None]
        return np.asarray(self.model.predict(preprocess(images, self.config), verbose=0), dtype=np.float32)

    def summary(self) -> dict[str, Any]:
        """JSON-safe description (everything but the model and the probabilities)."""
        return {
            "key": self.key,
            "config": self.config.to_dict(),
            "history": self.history,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "train_seconds": self.train_seconds,
            "trained_at": self.trained_at,
            "data_source": self.data_source,
            "parameters": self.parameters,
            "epochs_run": self.epochs_run,
            "stopped_early_at": self.stopped_early_at,
            "from_cache": self.from_cache,
        }
