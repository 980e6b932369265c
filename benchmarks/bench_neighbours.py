"""Benchmark (not a test): the nearest-training-image index and its warning threshold, on the real data.

    .venv/bin/python benchmarks/bench_neighbours.py [--no-page]

Prints the index's build time (and the threshold's calibration), its memory (from the arrays' nbytes), the
lookup time over 200 lookups, the threshold and how many of all 10,000 test images pass it, the share of test
images whose five nearest training images are mostly of their class, how often the five found are the five a
search of every row finds (100 test images), and, unless ``--no-page``, the Classify page's rerun CPU under
AppTest with and without the nearest images (a 1-epoch run trained by the command line, in its own process, so
TensorFlow never loads here). Wall times include whatever else runs on the machine; CPU times are this process's.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fmnist_core.data import load_fashion_mnist  # noqa: E402
from fmnist_core.data.neighbours import NeighbourIndex, neighbour_index  # noqa: E402
from tests.support import brute_force, smiley  # noqa: E402


def timed(work):
    """(result, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def index_figures(data) -> NeighbourIndex:
    """Build, memory, threshold and lookups; returns the index (the process's shared one)."""
    index, wall, cpu = timed(lambda: NeighbourIndex(data.x_train, data.y_train))
    threshold, cal_wall, cal_cpu = timed(lambda: index.calibrate(data.x_test))
    print(f"index build: {wall:.2f} s ({cpu:.2f} CPU-s); threshold calibration on "
          f"{min(1000, len(data.x_test))} test images: {cal_wall:.2f} s ({cal_cpu:.2f} CPU-s)")
    print(f"index memory: {index.nbytes / 2**20:.1f} MiB, of which the data set's own uint8 pixels "
          f"{index.images.nbytes / 2**20:.1f} MiB (shared, not copied)")
    walls, cpus, nearest, majority = [], [], [], []
    for i, image in enumerate(data.x_test):
        found, wall, cpu = timed(lambda image=image: index.nearest(image))
        if i % 50 == 0:
            walls.append(wall)
            cpus.append(cpu)
        nearest.append(found.distances[0])
        majority.append(np.bincount(found.labels, minlength=10).argmax() == data.y_test[i])
    print(f"lookup ({len(walls)} lookups): median {statistics.median(walls) * 1000:.1f} ms, worst "
          f"{max(walls) * 1000:.1f} ms (CPU median {statistics.median(cpus) * 1000:.1f} ms, worst "
          f"{max(cpus) * 1000:.1f} ms)")
    print(f"threshold: {threshold:.4f} (99th percentile of the nearest distance of every 10th test image); "
          f"test images passing: {np.mean(np.array(nearest) <= threshold):.2%} of {len(nearest)}")
    print(f"five nearest mostly of the image's class: {np.mean(majority):.1%} of {len(majority)} test images")
    picked = np.arange(7, len(data.x_test), 100)
    rows, distances = brute_force(data.x_train, data.x_test[picked])
    found = [index.nearest(data.x_test[i]) for i in picked]
    same_first = np.mean([abs(f.distances[0] - d[0]) < 1e-4 for f, d in zip(found, distances, strict=True)])
    same_five = np.mean([np.allclose(f.distances, d, atol=1e-4) for f, d in zip(found, distances, strict=True)])
    print(f"against a search of every row ({len(picked)} test images): the nearest found {same_first:.0%}, "
          f"all five {same_five:.0%}")
    return index


class Nothing:
    """An index that finds nothing: the page then shows no nearest images and no warning."""

    def nearest(self, image28, k=5):
        return None


def page_figures() -> None:
    """The Classify page's rerun CPU under AppTest (index built), with and without the nearest images."""
    from streamlit.testing.v1 import AppTest

    import fmnist_core.data as data_api

    with tempfile.TemporaryDirectory() as tmp:
        os.environ |= {"FMNIST_CACHE_DIR": tmp, "FMNIST_WARM_UP": "0", "FMNIST_PREFETCH": "0"}
        subprocess.run([sys.executable, "-m", "fmnist_core", "train", "--epochs", "1"], cwd=ROOT, check=True,
                       capture_output=True, env=os.environ | {"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"})
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run()
        at.switch_page("pages/classify.py")
        at.run()
        at.file_uploader(key="upload").upload("face.png", smiley(), "image/png").run()
        with_images = [timed(at.run)[2] for _ in range(7)]
        shared = data_api.neighbour_index
        data_api.neighbour_index = lambda data: Nothing()  # the page script imports it again on every run
        without = [timed(at.run)[2] for _ in range(7)]
        data_api.neighbour_index = shared
    print(f"Classify rerun (AppTest, an upload and an example shown, index built): median "
          f"{statistics.median(with_images):.3f} CPU-s, worst {max(with_images):.3f}; "
          f"tensorflow imported here: {'tensorflow' in sys.modules}")
    print(f"  the same rerun without the nearest images: median {statistics.median(without):.3f} CPU-s, so they "
          f"cost about {statistics.median(with_images) - statistics.median(without):.3f} CPU-s a rerun")


def main() -> int:
    data = load_fashion_mnist()
    print(f"data: {data.describe()}")
    index = index_figures(data)
    _, wall, cpu = timed(lambda: neighbour_index(data))
    print(f"the process's shared index (neighbour_index's first call: build and calibration again): {wall:.2f} s "
          f"({cpu:.2f} CPU-s)")
    del index
    if "--no-page" not in sys.argv:
        page_figures()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
