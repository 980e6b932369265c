"""Benchmark (not a test): what a class's records cost, without a browser.

    .venv/bin/python benchmarks/bench_class.py

A class of 30 learners and 300 records in a fresh SQLite file: the time to record one run (median and 95th
percentile), and the CPU seconds of one board refresh's own work (the records read, the figures, the sentences,
the CSV and the scatter turned into what st.plotly_chart sends), first and then warm. Streamlit's own drawing of
the page comes on top (measure it on a live server, as benchmarks/bench_server.py does).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import plotly.io  # noqa: E402

from fmnist_core.classroom import ClassStore, SQLiteClassStore, board, runs_csv, sentences  # noqa: E402
from fmnist_core.classroom.board import TUTORIAL  # noqa: E402
from fmnist_core.config import RunConfig  # noqa: E402
from fmnist_core.views import charts  # noqa: E402
from tests.render_sentences import fake_run  # noqa: E402

LEARNERS, RECORDS = 30, 300


def refresh(store: ClassStore, code: str, key: str) -> float:
    """CPU seconds of one board refresh's own work."""
    start = time.process_time()
    store.as_teacher(code, key)
    learners, runs = store.learners(code), store.runs(code)
    found = board(learners, runs, has_challenge=True)
    sentences(found, runs)
    runs_csv(runs)
    figure = charts.class_scatter([(r.nickname, r.parameters, r.test_accuracy, r.config.describe()) for r in runs],
                                  TUTORIAL.parameters)
    plotly.io.to_json(figure)
    return time.process_time() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteClassStore(Path(folder) / "classes.sqlite3")
        code, key = store.create({"challenge": "small"})
        results = [fake_run(RunConfig(hidden_units=u, epochs=e)) for u in (8, 16, 24, 32, 48, 64, 96, 128, 256, 512)
                   for e in range(1, 11)]
        for i in range(LEARNERS):
            store.join(code, f"learner {i}")
        took = []
        for i in range(RECORDS):
            start = time.perf_counter()
            store.record(code, f"learner {i % LEARNERS}", results[(i * 7) % len(results)])
            took.append(time.perf_counter() - start)
        took.sort()
        print(f"recording a run: median {1000 * statistics.median(took):.2f} ms, "
              f"95th percentile {1000 * took[int(0.95 * len(took))]:.2f} ms ({RECORDS} records)")
        cpu = [refresh(store, code, key) for _ in range(5)]
        print(f"one board refresh ({LEARNERS} learners, {len(store.runs(code))} runs): first {cpu[0]:.3f} CPU-s, "
              f"then {statistics.median(cpu[1:]):.3f} CPU-s")


if __name__ == "__main__":
    main()
