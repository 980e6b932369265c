"""Benchmark (not a test): how fast the pages paint and react, on the real data.

    .venv/bin/python benchmarks/bench_app.py

Prints the time of the first script run (imports, data load; TensorFlow must not be needed) and of a rerun
showing the cached default run (goal: under 0.5 s), measured with Streamlit's AppTest, so without the
browser's own drawing time.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    import os

    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FMNIST_CACHE_DIR"] = tmp
        os.environ["FMNIST_WARM_UP"] = "0"  # measure the page itself (the warm-up starts after the first paint)
        start = time.perf_counter()
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60).run()
        first = time.perf_counter() - start
        tf_at_paint = "tensorflow" in sys.modules
        from fmnist_core.config import RunConfig
        from fmnist_core.runs.cache import RunCache

        train_start = time.perf_counter()
        RunCache(tmp).get_or_train(RunConfig())
        trained = time.perf_counter() - train_start
        timings = []
        for _ in range(5):
            start = time.perf_counter()
            at.run()
            timings.append(time.perf_counter() - start)
        assert at.success and at.success[0].value.startswith("From the cache"), "the cached run was not shown"
        at.switch_page("pages/data.py").run()
        data_timings = []
        for n in (10, 15, 20, 25, 30):
            start = time.perf_counter()
            at.slider(key="data_n").set_value(n).run()
            data_timings.append(time.perf_counter() - start)
        cache = RunCache(tmp)
        keys = [cache.get_or_train(RunConfig(epochs=e)).key for e in (1, 2, 3, 5, 7, 10)]  # read off the 10-epoch run
        at.query_params["runs"] = ",".join(keys)
        at.switch_page("pages/compare.py").run()
        assert len(at.multiselect(key="compare_runs").value) == 6, "the comparison does not show 6 runs"
        compare_timings = []
        for metric in ("loss", "accuracy", "loss", "accuracy", "loss"):
            start = time.perf_counter()
            at.radio(key="compare_metric").set_value(metric).run()
            compare_timings.append(time.perf_counter() - start)
    print(f"first paint of the Train page: {first:.2f} s (TensorFlow imported: {tf_at_paint})")
    print(f"default run trained in {trained:.1f} s (TensorFlow import and XLA compile included)")
    print(f"re-showing the cached run: median {sorted(timings)[2]:.2f} s, worst {max(timings):.2f} s (goal < 0.5 s)")
    print(f"Data page reacting to a widget: median {sorted(data_timings)[2]:.2f} s, worst {max(data_timings):.2f} s "
          "(goal < 0.5 s)")
    print(f"re-showing a comparison of 6 cached runs: median {sorted(compare_timings)[2]:.2f} s, worst "
          f"{max(compare_timings):.2f} s (goal < 0.5 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
