"""Benchmark: fmnist_core's training against the plain tutorial script, on the real data.

Prints seconds per epoch and test accuracy of both (same model, data, batch size, seed), their ratio,
the cache-hit latency and peak memory. A benchmark, not a test: figures vary with the machine.
"""

from __future__ import annotations

import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from .config import RunConfig
from .data.sources import load_fashion_mnist
from .reports import TrainingListener
from .runs.cache import RunCache
from .runs.results import Origin


class EpochTimer(TrainingListener):
    """Records the wall time of every epoch."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._last = time.perf_counter()

    def on_run_start(self, config: RunConfig, steps_per_epoch: int) -> None:
        self._last = time.perf_counter()

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        now = time.perf_counter()
        self.seconds.append(now - self._last)
        self._last = now


def run_benchmark(epochs: int = 10, as_json: bool = False) -> int:
    """Measure and print; returns exit status 0."""
    from .net.tutorial import tutorial_fit

    load_start = time.perf_counter()
    data = load_fashion_mnist()
    load_seconds = time.perf_counter() - load_start
    with tempfile.TemporaryDirectory() as tmp:
        cache = RunCache(tmp)
        # Same workload as the tutorial (all 60,000 images, no validation), then the app's default run.
        same = RunConfig(epochs=epochs, validation_split=0.0)
        default = RunConfig(epochs=epochs)
        same_timer, default_timer = EpochTimer(), EpochTimer()
        core_same = cache.get_or_train(same, data, same_timer)
        core_default = cache.get_or_train(default, data, default_timer)
        tutorial = tutorial_fit(data, epochs)
        hit_start = time.perf_counter()
        found = cache.fetch(default, data)
        hit_seconds = time.perf_counter() - hit_start
        assert found.from_cache
        hit = found.run
        load_model_start = time.perf_counter()
        hit.predict(data.x_test[:1])
        model_load_seconds = time.perf_counter() - load_model_start
        predict_seconds = []
        for image in data.x_test[:200]:  # one image at a time, the call the Classify page makes
            start = time.perf_counter()
            hit.predict(image)
            predict_seconds.append(time.perf_counter() - start)
    figures = {
        "epochs": epochs,
        "data_source": data.source,
        "data_load_seconds": round(load_seconds, 3),
        "tutorial_seconds_per_epoch": round(tutorial["seconds_per_epoch"], 3),
        "tutorial_test_accuracy": round(tutorial["test_accuracy"], 4),
        "core_seconds_per_epoch": round(core_same.train_seconds / epochs, 3),
        "tutorial_median_epoch_seconds": round(tutorial["median_epoch"], 3),
        "core_median_epoch_seconds": round(float(np.median(same_timer.seconds)), 3),
        "core_test_accuracy": round(core_same.test_accuracy, 4),
        "speedup": round(tutorial["seconds_per_epoch"] / (core_same.train_seconds / epochs), 2),
        "accuracy_gap_points": round(100 * (core_same.test_accuracy - tutorial["test_accuracy"]), 2),
        "steady_speedup": round(tutorial["median_epoch"] / float(np.median(same_timer.seconds)), 2),
        "default_run_seconds_per_epoch": round(core_default.train_seconds / epochs, 3),
        "default_run_median_epoch_seconds": round(float(np.median(default_timer.seconds)), 3),
        "default_run_test_accuracy": round(core_default.test_accuracy, 4),
        "cache_hit_seconds": round(hit_seconds, 4),
        "cached_model_load_seconds": round(model_load_seconds, 4),
        "one_prediction_ms": round(1000 * float(np.median(predict_seconds)), 4),
        "peak_memory_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if as_json:
        print(json.dumps(figures))
        return 0
    rows = [
        ("tutorial model.fit (60k, no validation)", figures["tutorial_seconds_per_epoch"],
         figures["tutorial_median_epoch_seconds"], figures["tutorial_test_accuracy"]),
        ("fmnist_core (60k, no validation)", figures["core_seconds_per_epoch"],
         figures["core_median_epoch_seconds"], figures["core_test_accuracy"]),
        ("fmnist_core default (48k + 12k validation)", figures["default_run_seconds_per_epoch"],
         figures["default_run_median_epoch_seconds"], figures["default_run_test_accuracy"]),
    ]
    print(f"Fashion-MNIST Lab benchmark: {epochs} epochs, batch 32, seed 0; data from {data.source}")
    print(f"{'path':<44} {'s/epoch':>8} {'median':>8} {'test acc':>9}")
    for name, sec, median, acc in rows:
        print(f"{name:<44} {sec:>8.2f} {median:>8.2f} {acc:>9.4f}")
    print("s/epoch: whole fit (XLA compile included) / epochs; median: the median single epoch.")
    print(f"speed-up vs tutorial: {figures['speedup']:.1f}x per epoch overall, {figures['steady_speedup']:.1f}x "
          f"median epoch; accuracy difference: {figures['accuracy_gap_points']:+.2f} points")
    print(f"cache hit: {1000 * hit_seconds:.1f} ms (+{1000 * model_load_seconds:.0f} ms to load the model on first "
          f"prediction); one prediction: {figures['one_prediction_ms']:.3f} ms; data load: {load_seconds:.2f} s; "
          f"peak memory: {figures['peak_memory_mib']:.0f} MiB")
    return 0


def _timed_sweep(configs: list[RunConfig], cache: RunCache, data) -> float:
    start = time.perf_counter()
    cache.run_sweep(sorted(configs, key=lambda c: -c.epochs), data)
    return time.perf_counter() - start


def run_sharing_benchmark(as_json: bool = False) -> int:
    """Figures of runs sharing their beginnings: cold experiment pages and a continued run, against one default
    10-epoch run timed in the same process. Returns exit status 0."""
    from .lessons.experiments import EXPERIMENTS

    data = load_fashion_mnist()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        RunCache(Path(tmp) / "one").get_or_train(RunConfig(), data)
        one = figures["one_default_run_seconds"] = round(time.perf_counter() - start, 2)
        pages = ["epochs", "units", "layers", "normalisation", "early_stopping"]
        configs = list(dict.fromkeys(c for name in pages for c in EXPERIMENTS[name].configs()))
        figures["six_pages_runs"] = len(configs)
        figures["six_pages_seconds"] = round(_timed_sweep(configs, RunCache(Path(tmp) / "six"), data), 1)
        figures["six_pages_ratio"] = round(figures["six_pages_seconds"] / one, 1)
        figures["dropout_page_seconds"] = round(_timed_sweep(EXPERIMENTS["dropout"].configs(),
                                                             RunCache(Path(tmp) / "six"), data), 1)
        figures["epochs_page_seconds"] = round(_timed_sweep(EXPERIMENTS["epochs"].configs(),
                                                            RunCache(Path(tmp) / "epochs"), data), 1)
        figures["epochs_page_ratio"] = round(figures["epochs_page_seconds"] / one, 1)
        cache = RunCache(Path(tmp) / "continue")
        cache.get_or_train(RunConfig(epochs=10), data)
        start = time.perf_counter()
        continued = cache.get_or_train(RunConfig(epochs=15), data)
        figures["fifteen_after_ten_seconds"] = round(time.perf_counter() - start, 2)
        figures["fifteen_after_ten_ratio"] = round(figures["fifteen_after_ten_seconds"] / one, 2)
        assert continued.origin == Origin("continued", 10)
    if as_json:
        print(json.dumps(figures))
        return 0
    print(f"one default run (10 epochs, compile included): {one:.1f} s")
    print(f"cold experiment pages epochs, units, layers, normalisation, early stopping ({figures['six_pages_runs']} "
          f"runs): {figures['six_pages_seconds']:.1f} s = {figures['six_pages_ratio']:.1f}x one run")
    print(f"  + then the dropout page (3 runs of 30 epochs; dropout 0 is the Epochs page's run): "
          f"{figures['dropout_page_seconds']:.1f} s")
    print(f"Epochs page alone (1, 5, 10, 30 epochs): {figures['epochs_page_seconds']:.1f} s = "
          f"{figures['epochs_page_ratio']:.1f}x one run")
    print(f"15 epochs after a stored 10-epoch run: {figures['fifteen_after_ten_seconds']:.1f} s = "
          f"{figures['fifteen_after_ten_ratio']:.2f}x one 10-epoch run (5 epochs would be about 0.5x)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(run_benchmark())
