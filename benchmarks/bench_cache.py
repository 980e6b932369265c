"""Benchmark: the run cache with many stored runs, as a busy classroom leaves it.

Trains one tiny run on synthetic data, copies it into N entries (each a valid entry of its own configuration,
checksums included), then times what every page rerun does: list the cache (Compare, Inside the network,
Classify), load one run, and miss (an experiment page asking for a run that is not stored, which looks for a
longer run of its family). Prints milliseconds; run it with `python -m benchmarks.bench_cache [N ...]`.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from fmnist_core.config import RunConfig
from fmnist_core.data.sources import load_idx_folder, write_idx_folder
from fmnist_core.runs.cache import RunCache
from tests.support import TINY, make_synthetic


def fill(cache: RunCache, template: Path, n: int) -> None:
    """``n`` entries copied from ``template``, each under its own config (seed 1..n) and key."""
    meta = json.loads((template / "run.json").read_text())
    for seed in range(1, n + 1):
        config = RunConfig.from_dict(meta["config"]).with_(seed=seed)
        folder = cache.runs_dir / config.key
        shutil.copytree(template, folder)
        (folder / "run.json").write_text(json.dumps(meta | {"config": config.to_dict()}))
        an_hour_ago = time.time() - 3600  # as in a classroom's cache: runs written earlier, not this second
        for path in folder.iterdir():
            os.utime(path, (an_hour_ago, an_hour_ago))


def timed(action, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main(sizes: list[int]) -> None:
    root = Path(tempfile.mkdtemp())
    data = load_idx_folder(write_idx_folder(root / "data", *make_synthetic(n_test=10_000)))  # real-sized test set
    template_cache = RunCache(root / "template")
    run = template_cache.get_or_train(TINY, data)
    template = template_cache.entry_dir(run.config)
    missing = TINY.with_(hidden_units=24)  # not stored, same family rules: the miss scans for a longer run
    print(f"{'entries':>8} {'list ms':>9} {'load ms':>9} {'miss ms':>9}")
    for n in sizes:
        cache = RunCache(root / f"cache-{n}")
        cache.runs_dir.mkdir(parents=True)
        fill(cache, template, n)
        assert len(cache.list()) == n
        key = next(iter(cache.runs_dir.iterdir())).name
        print(f"{n:>8} {timed(cache.list):>9.1f} {timed(partial(cache.load, key)):>9.2f} "
              f"{timed(partial(cache.get_or_derive, missing, data)):>9.2f}")
    shutil.rmtree(root)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 100, 300])
