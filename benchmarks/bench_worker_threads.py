"""Benchmark (not a test): two runs at once in two worker processes, or in one process as two threads.

    .venv/bin/python benchmarks/bench_worker_threads.py [--runs 4]

The app trained two runs at once on this 2-core machine in two worker processes, each holding its own copy of
TensorFlow (about 840 MB RSS at the start). ``training.train`` already lets several runs train at once in one
process (only seeding and building take turns, under ``KERAS_LOCK``). This measured whether that would keep the
speed and the numbers while holding TensorFlow once (issue 29; since built: ``FMNIST_WORKER_THREADS``):

- ``one after another``: one process trains the runs in turn (the baseline of results and time);
- ``two processes``: two processes at once, each half of the runs (the app's pool before, or with
  ``FMNIST_WORKER_THREADS=1``);
- ``two threads``: one process, two runs at a time in two threads.

Each way starts in fresh processes (warmed up as a worker is), trains the same runs (3 epochs, 64, 96, ... units,
every second one with dropout) on the real data when installed, into a cache of its own, and prints the wall time,
the peak RSS of its processes together (sampled every 50 ms) and whether every run's weights are bit for bit those
of ``one after another``. Run it on a quiet machine: the times mean nothing beside other work.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks.bench_worker_memory import data_dir  # noqa: E402
from fmnist_core.config import RunConfig  # noqa: E402
from fmnist_core.queue.limits import rss_mb  # noqa: E402


def configs(n: int) -> list[RunConfig]:
    return [RunConfig(epochs=3, hidden_units=64 + 32 * i, dropout=0.2 if i % 2 else 0.0) for i in range(n)]


def child(indices: list[int], threads: bool, n: int, data: str, cache: str) -> None:
    """Warm up as a worker does, say so, wait for a line on stdin, then train ``indices`` (two at a time in
    threads, or in turn) and print the seconds it took."""
    from fmnist_core.data.sources import load_fashion_mnist
    from fmnist_core.queue.work import train_run, warm_up

    warm_up()
    load_fashion_mnist(data or None)
    print("ready", flush=True)
    sys.stdin.readline()
    chosen = [configs(n)[i] for i in indices]

    def one(config: RunConfig) -> None:
        train_run(config, cache, lambda report: None, lambda: False, data or None)

    start = time.perf_counter()
    if threads:
        for pair in (chosen[i : i + 2] for i in range(0, len(chosen), 2)):
            running = [threading.Thread(target=one, args=(config,)) for config in pair]
            for thread in running:
                thread.start()
            for thread in running:
                thread.join()
    else:
        for config in chosen:
            one(config)
    print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)


def weights_digest(cache: str, config: RunConfig) -> str:
    from fmnist_core.runs.cache import RunCache

    run = RunCache(cache).load(config.key)
    if run is None:
        return "missing"
    network = run.load_network()
    return hashlib.sha256(b"".join(k.tobytes() + b.tobytes() for k, b in network.layers)).hexdigest()


def way(name: str, groups: list[list[int]], threads: bool, n: int, data: str, cache: str) -> dict:
    """Start one child per group, wait until all are warm, let them train at once; wall time and peak RSS."""
    procs = [subprocess.Popen([sys.executable, __file__, "--runs", str(n), "--child", json.dumps(group),
                               "threads" if threads else "turn", data, cache], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for group in groups]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready", name
    peak, stop = [0.0], threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            peak[0] = max(peak[0], sum(rss_mb(p.pid) or 0.0 for p in procs))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        proc.wait()
    stop.set()
    sampler.join()
    return {"seconds": time.perf_counter() - start, "peak": peak[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4, help="runs in all (even)")
    parser.add_argument("--child", nargs=4, metavar=("INDICES", "MODE", "DATA", "CACHE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child[0]), args.child[1] == "threads", args.runs, args.child[2], args.child[3])
        return
    n = args.runs
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(Path(tmp))
        print(f"data: {'real (Debian package)' if not data else 'synthetic'}; {n} runs of 3 epochs, "
              f"units 64-{64 + 32 * (n - 1)}, every second one with dropout 0.2")
        ways = {"one after another": ([list(range(n))], False),
                "two processes": ([list(range(0, n, 2)), list(range(1, n, 2))], False),
                "two threads": ([list(range(n))], True)}
        digests: dict[str, list[str]] = {}
        for name, (groups, threads) in ways.items():
            cache = str(Path(tmp) / name.replace(" ", "-"))
            figures = way(name, groups, threads, n, data, cache)
            digests[name] = [weights_digest(cache, config) for config in configs(n)]
            same = "same" if digests[name] == digests["one after another"] else "DIFFERENT"
            print(f"{name:18} {figures['seconds']:6.1f} s wall   peak RSS of its processes "
                  f"{figures['peak']:6.0f} MB   weights {same} as one after another")


if __name__ == "__main__":
    main()
