"""Benchmark (not a test): does training two runs at once pay on this machine?

    .venv/bin/python benchmarks/bench_parallel.py

Trains two different default-sized runs (5 epochs each) as two `python -m fmnist_core train` processes,
first one after the other, then both at the same time, each into its own empty cache. Prints the wall time
of both ways and of each run. Two at once pays only if the pair finishes clearly sooner than in turn.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start(seed: int, cache: Path) -> subprocess.Popen:
    env = os.environ | {"FMNIST_CACHE_DIR": str(cache), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, "-m", "fmnist_core", "train", "--epochs", "5", "--seed", str(seed)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(procs: list[subprocess.Popen]) -> list[float]:
    start_time, ends = time.monotonic(), {}
    while len(ends) < len(procs):
        for i, proc in enumerate(procs):
            if i not in ends and proc.poll() is not None:
                ends[i] = time.monotonic() - start_time
        time.sleep(0.05)
    return [ends[i] for i in range(len(procs))]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        one = timed([start(1, tmp / "a")])[0]
        two = timed([start(2, tmp / "b")])[0]
        together = timed([start(3, tmp / "c"), start(4, tmp / "d")])
    print(f"in turn: {one:.1f} s + {two:.1f} s = {one + two:.1f} s for the pair")
    print(f"at once: {together[0]:.1f} s and {together[1]:.1f} s, the pair done after {max(together):.1f} s "
          f"({(one + two) / max(together):.2f}x as fast; each run {max(together) / ((one + two) / 2):.2f}x slower)")


if __name__ == "__main__":
    main()
