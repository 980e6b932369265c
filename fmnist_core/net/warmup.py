"""TensorFlow ready before the first click: import it and build a model once, in the background.

Importing TensorFlow and building the first Keras model cost about three seconds. The app starts this after
its first page has painted, so neither the first paint nor the first Train click waits for it.
``FMNIST_WARM_UP=0`` switches it off.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from ..config import RunConfig

WARM_UP_ENV = "FMNIST_WARM_UP"
DELAY_SECONDS = 1.5  # importing TensorFlow holds the GIL for long stretches: let the page reach the browser first
log = logging.getLogger(__name__)
_started = threading.Lock()
_thread: threading.Thread | None = None


def warm_up_in_background() -> threading.Thread | None:
    """Start the warm-up once per process (later calls return the same thread); None when switched off."""
    global _thread
    if os.environ.get(WARM_UP_ENV, "1") == "0":
        return None
    with _started:
        if _thread is None:
            _thread = threading.Thread(target=_warm_up, name="tensorflow-warm-up", daemon=True)
            _thread.start()
        return _thread


def _warm_up() -> None:
    time.sleep(DELAY_SECONDS)
    try:
        from .fast_fit import FastFitter
        from .model import KERAS_LOCK, build_model

        with KERAS_LOCK:
            FastFitter(build_model(RunConfig()), normalize=True)
    except Exception:  # noqa: BLE001 - a failed warm-up only means the first run waits as before
        log.exception("TensorFlow warm-up failed")
