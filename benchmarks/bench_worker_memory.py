"""Benchmark (not a test): one worker's resident memory (RSS) after start, after 5 and after 20 different small runs.

    .venv/bin/python benchmarks/bench_worker_memory.py [--runs 20]

Each run is new (2 epochs, units 16, 24, 32, ...: a new model and a new XLA program each), on the real data set
when installed (else the synthetic one). Three ways, each in fresh processes:

- ``kept``: a worker's code path without this change's release (``warm_up``, then ``train_run`` one after another);
- ``released``: the same, with ``limits.release_memory()`` after each run (Keras's ``clear_session``,
  ``gc.collect``, ``malloc_trim``), as a local worker now does;
- ``pool``: the app's own ``WorkerPool`` with one worker and the default limits (``FMNIST_WORKER_MAX_RUNS=20``,
  ``FMNIST_WORKER_MAX_MB=600``): whichever worker is current after each run, the peak of any, how many were
  replaced.

- ``class``: a class's day in a worker's code path: the experiment pages' background runs (1 epoch each), then
  12 runs of the class bench's three shapes; each run's rise in own memory above the memory before it (sampled every
  3 ms), for a shape new to the worker, one trained before whose fitter is not kept (both compile) and a kept one
  (``fmnist_core/net/fitters.py``).

Each figure twice: RSS, and the worker's own memory (RSS less the file-backed pages of TensorFlow's libraries,
which every worker maps from the same files; ``FMNIST_WORKER_MAX_MB`` limits this one).
Goal (issue 29): one worker after 20 different small runs <= 600 MB (was 980 MB after five).
"""

from __future__ import annotations

import argparse
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

from fmnist_core.config import RunConfig  # noqa: E402
from fmnist_core.queue.limits import own_mb, rss_mb  # noqa: E402


def memory(pid: int | None = None) -> tuple[float, float]:
    """(RSS, own) in MB."""
    return rss_mb(pid) or 0.0, own_mb(pid) or 0.0


def configs(n: int) -> list[RunConfig]:
    return [RunConfig(epochs=2, hidden_units=16 + 8 * i) for i in range(n)]


def data_dir(folder: Path) -> str:
    """"" for the real data when installed, else a folder with the synthetic set."""
    from fmnist_core.data.sources import DEBIAN_DIR, IDX_FILES, write_idx_folder

    if all((DEBIAN_DIR / name).exists() for name in IDX_FILES.values()):
        return ""
    from tests.support import make_synthetic

    return str(write_idx_folder(folder / "data", *make_synthetic()))


def in_process(release: bool, n: int, data: str, cache: str) -> dict:
    """A worker's code path in this process; RSS after the warm-up and after each run."""
    from fmnist_core.queue.limits import release_memory
    from fmnist_core.queue.work import train_run, warm_up

    start = time.perf_counter()
    warm_up()
    from fmnist_core.data.sources import load_fashion_mnist

    load_fashion_mnist(data)
    out = {"start": memory(), "start_seconds": time.perf_counter() - start, "after": [], "seconds": []}
    for config in configs(n):
        begin = time.perf_counter()
        train_run(config, cache, lambda *a, **k: None, lambda: False, data)
        if release:
            release_memory()
        out["seconds"].append(time.perf_counter() - begin)
        out["after"].append(memory())
    out["peak"] = max(out["after"])
    return out


def in_pool(n: int, data: str, cache: str) -> dict:
    """The app's pool with one worker and the default limits; RSS of the current worker after each run."""
    from fmnist_core.queue.local import LocalRunner, WorkerPool
    from fmnist_core.runs.cache import RunCache

    os.environ["FMNIST_DATA_DIR"] = data
    pool = WorkerPool(workers=1)
    runner = LocalRunner(RunCache(cache), pool=pool)
    peak, stop = [(0.0, 0.0)], threading.Event()

    def sample() -> None:  # the peak of any worker, also of one that is replaced right after its run
        while not stop.wait(0.05):
            for pid in pool.pids():
                peak[0] = max(peak[0], memory(pid))

    threading.Thread(target=sample, daemon=True).start()
    try:
        first = runner.submit(RunConfig(epochs=1, hidden_units=8, seed=99), "bench")  # after the warm-up
        first.wait()
        out = {"start": memory(pool.pids()[0]), "after": [], "seconds": [], "pids": set()}
        for config in configs(n):
            begin = time.perf_counter()
            job = runner.submit(config, "bench")
            job.wait()
            assert job.snapshot().done, job.snapshot().error
            out["seconds"].append(time.perf_counter() - begin)
            deadline = time.monotonic() + 60
            while not pool.pids() and time.monotonic() < deadline:  # a worker being replaced
                time.sleep(0.05)
            out["after"].append(memory(pool.pids()[0]))
            out["pids"].add(pool.pids()[0])
        out["replaced"] = len(out.pop("pids") - {pool.pids()[0]})
        out["peak"] = peak[0]
        return out
    finally:
        stop.set()
        pool.close()


def in_class(data: str, cache: str) -> dict:
    """A worker's code path over a class's day: the experiment pages' background runs (1 epoch each: the same shapes
    and programs), then 12 runs of the class bench's three shapes (16/32/64 units, other seeds). Own memory sampled
    every 3 ms: each run's rise above the memory before it, and the memory after it (released)."""
    from fmnist_core.lessons import EXPERIMENTS
    from fmnist_core.net import fitters
    from fmnist_core.queue.limits import release_memory
    from fmnist_core.queue.work import train_run, warm_up

    warm_up()
    from fmnist_core.data.sources import load_fashion_mnist

    load_fashion_mnist(data)
    release_memory()
    peak, stop = [0.0], threading.Event()

    def sample() -> None:
        while not stop.wait(0.003):
            peak[0] = max(peak[0], own_mb() or 0.0)

    threading.Thread(target=sample, daemon=True).start()
    background = list(dict.fromkeys(c.with_(epochs=1) for e in EXPERIMENTS.values() for c in e.configs()))
    learners = [RunConfig(epochs=2, hidden_units=(16, 32, 64)[i % 3], seed=i) for i in range(12)]
    out = {"start": memory(), "runs": []}
    seen: set = set()
    for config in background + learners:
        shape = fitters.shape(config)
        kind = "kept" if fitters.holds(config) else "again" if shape in seen else "new"
        seen.add(shape)
        before, peak[0] = own_mb() or 0.0, 0.0
        train_run(config, cache, lambda *a, **k: None, lambda: False, data)
        rise = peak[0] - before
        release_memory()
        out["runs"].append({"kind": kind, "rise": rise, "after": memory(), "learner": config in learners,
                            "shape": list(shape)})
    stop.set()
    return out


def print_class(r: dict) -> None:
    runs = r["runs"]
    background = [run for run in runs if not run["learner"]]
    shapes = len({tuple(run["shape"]) for run in background})
    print(f"class     start {r['start'][0]:5.0f} /{r['start'][1]:4.0f}  after {len(background)} background runs "
          f"({shapes} shapes) {background[-1]['after'][0]:5.0f} /{background[-1]['after'][1]:4.0f}  after "
          f"{len(runs) - len(background)} learners' runs (3 shapes) {runs[-1]['after'][0]:5.0f} /"
          f"{runs[-1]['after'][1]:4.0f}")
    words = {"new": "a shape new to the worker", "again": "a shape trained before, its fitter not kept",
             "kept": "a kept shape"}
    parts = []
    for kind, word in words.items():
        rises = sorted(run["rise"] for run in runs if run["kind"] == kind)
        if rises:
            parts.append(f"{word} ({len(rises)} runs) median {rises[len(rises) // 2]:.0f} MB, max {rises[-1]:.0f}")
    print("          a run's rise in own memory above the memory before it: " + "; ".join(parts))


def child(mode: str, n: int, data: str, cache: str) -> None:
    if mode == "class":
        print(json.dumps(in_class(data, cache)))
        return
    result = in_pool(n, data, cache) if mode == "pool" else in_process(mode == "released", n, data, cache)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "DATA", "CACHE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.runs, args.child[1], args.child[2])
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = data_dir(Path(tmp))
        print(f"data: {'real (Debian package)' if not data else 'synthetic'}; {args.runs} runs of 2 epochs, "
              f"units 16-{16 + 8 * (args.runs - 1)}")
        print("MB: RSS / own;  way, after start, after 5 runs, after the last, peak; seconds a run; workers replaced")
        for mode in ("kept", "released", "pool", "class"):
            env = os.environ | {"FMNIST_WORKER_MAX_RUNS": "20", "FMNIST_WORKER_MAX_MB": "600"}
            done = subprocess.run([sys.executable, __file__, "--runs", str(args.runs), "--child", mode, data,
                                   str(Path(tmp) / f"cache-{mode}")], env=env, capture_output=True, text=True,
                                  check=False)
            if done.returncode:
                print(f"{mode}: failed\n{done.stderr[-2000:]}")
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            if mode == "class":
                print_class(r)
                continue
            after = r["after"]
            mean = sum(r["seconds"]) / len(r["seconds"])

            def mb(pair: list[float]) -> str:
                return f"{pair[0]:5.0f} /{pair[1]:4.0f}"

            print(f"{mode:9} start {mb(r['start'])}  after 5 {mb(after[min(4, len(after) - 1)])}  after "
                  f"{len(after)} {mb(after[-1])}  peak {mb(r['peak'])}  {mean:5.2f} s/run  replaced "
                  f"{r.get('replaced', '-')}")


if __name__ == "__main__":
    main()
