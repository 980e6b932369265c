"""The queue's messages (``fmnist_core.queue.wire``): small when pickled, one account of a run's progress that both
transports keep from them, and one file per process at the two ends."""

from __future__ import annotations

import ast
import json
import pickle
from pathlib import Path

import pytest

from fmnist_core.config import RunConfig
from fmnist_core.queue import wire
from fmnist_core.queue.base import JobSnapshot, JobStatus


def test_every_message_crosses_a_socket_small_and_whole():
    messages = [wire.Train(RunConfig().to_dict(), "/cache", "", "", 12.5), wire.Cancel(), wire.GiveWay(),
                wire.Call("keras_file", ("/cache", "0" * 16)), wire.Called(True, b"x"), wire.Start(),
                wire.Progress(2, 0.5, {"loss": 0.4}), wire.Epoch(2, {"loss": 0.4, "val_loss": 0.5}),
                wire.Done(None, False, 60000), wire.Yielded(), wire.Cancelled(), wire.Failed("out of memory")]
    for message in messages:
        sent = pickle.dumps((7, message))
        assert pickle.loads(sent) == (7, message)
        assert len(sent) < 600, message


def test_the_progress_of_a_run_is_its_reports_added_up():
    progress = wire.RunProgress()
    for report in (wire.Start(), wire.Progress(1, 0.5, {"loss": 0.9}), wire.Epoch(1, {"loss": 0.8, "val_loss": 0.7}),
                   wire.Progress(2, 0.25, {"loss": 0.6}), wire.Epoch(2, {"loss": 0.5, "val_loss": 0.6}),
                   wire.Progress(3, 0.5, {"loss": 0.4})):
        progress.take(report)
    fields = progress.fields()
    assert fields == {"epoch": 3, "fraction": 0.5, "logs": {"loss": 0.4},
                      "history": {"loss": [0.8, 0.5], "val_loss": [0.7, 0.6]}}
    snap = JobSnapshot(key="k", config=RunConfig(epochs=4), status=JobStatus.RUNNING, **fields, error=None,
                       result=None)
    assert snap.overall_fraction == pytest.approx(2.5 / 4)
    fields["history"]["loss"].append(9.0)  # a copy: the account is not changed through it
    assert progress.history["loss"] == [0.8, 0.5]
    assert wire.RunProgress.read(json.loads(json.dumps(progress.fields()))) == progress  # RQ: through JSON
    progress.take(wire.Start())  # trained again from the start (it gave way): nothing of before is kept
    assert progress.fields() == {"epoch": 1, "fraction": 0.0, "logs": {}, "history": {}}


@pytest.mark.parametrize("stored", [{"epoch": "one"}, {"logs": [1, 2]}, {"history": {"loss": 3}},
                                    {"fraction": None}])
def test_progress_not_written_by_this_app_is_refused(stored):
    with pytest.raises(ValueError):
        wire.RunProgress.read(stored)
    assert wire.RunProgress.read({}) == wire.RunProgress()


QUEUE = Path(__file__).resolve().parents[3] / "fmnist_core" / "queue"
WEB_SIDE = ["local.py", "local_pool.py", "local_job.py", "local_process.py", "rq_runner.py", "rq_job.py"]


@pytest.mark.parametrize("name", WEB_SIDE)
def test_the_web_side_of_the_queue_never_imports_a_worker_processs_module(name):
    tree = ast.parse((QUEUE / name).read_text(encoding="utf-8"))
    named = {part for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             for part in [node.module or "", *(alias.name for alias in node.names)]}
    assert not named & {"local_worker", "rq_worker"}
