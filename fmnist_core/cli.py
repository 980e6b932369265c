"""Command line: train, bench, cache (and, as other features land, more).

Exit status: 0 success, 1 a run or file failed, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from . import settings
from .config import FIELDS, ConfigError, RunConfig
from .data.sources import DataError
from .lessons.experiments import EXPERIMENTS
from .runs.results import RunUnavailable
from .runs.store import Lookup

if TYPE_CHECKING:
    from .queue import Job, Runner


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per RunConfig field, from the field table (checked by RunConfig itself)."""
    for spec in FIELDS:
        help_text = f"{spec.help} Range {spec.range_text}; default {spec.format(spec.default)}."
        if spec.type is bool:
            parser.add_argument(spec.flag, dest=spec.name, action=argparse.BooleanOptionalAction,
                                default=spec.default, help=help_text)
        else:
            parser.add_argument(spec.flag, dest=spec.name, type=spec.type, default=spec.default,
                                metavar=spec.type.__name__.upper(), help=help_text)


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The RunConfig the config arguments describe (raises ConfigError)."""
    return RunConfig(**{spec.name: getattr(args, spec.name) for spec in FIELDS})


def _positive_epochs(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 100:
        raise ValueError(text)
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m fmnist_core``."""
    parser = argparse.ArgumentParser(prog="python -m fmnist_core", description="Fashion-MNIST Lab: train and inspect "
                                     "the dense clothing classifier from the command line.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train a configuration (or reuse the cached run)")
    p.set_defaults(subparser=p)
    _add_config_arguments(p)
    p.add_argument("--json", action="store_true", help="print one JSON object with the result on stdout")

    p = sub.add_parser("bench", help="benchmark fmnist_core training against the plain tutorial script")
    p.add_argument("--epochs", type=_positive_epochs, default=10, help="epochs per measured run, 1-100 (default 10)")
    p.add_argument("--sharing", action="store_true",
                   help="instead: cold experiment pages and a continued run, against one default run")
    p.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")

    p = sub.add_parser("predict", help="classify garment pictures (PNG, JPEG, WebP, BMP, GIF)")
    p.set_defaults(subparser=p)
    p.add_argument("files", nargs="+", metavar="FILE", help="picture files")
    _add_config_arguments(p)
    p.add_argument("--json", action="store_true", help="print a JSON array, one object per file")

    p = sub.add_parser("experiments", help="train every experiment page's default runs into the cache")
    p.add_argument("--only", choices=sorted(EXPERIMENTS), help="just this experiment")

    p = sub.add_parser("worker", help="train runs from the Redis + RQ queue (for servers shared by a class)")
    p.add_argument("--url", default=settings.text("FMNIST_QUEUE_URL") or None,
                   help="Redis URL, e.g. redis://host:6379/0 (default: $FMNIST_QUEUE_URL)")
    p.add_argument("--burst", action="store_true", help="stop when the queues are empty")

    p = sub.add_parser("cache", help="list or clear the run cache")
    p.add_argument("action", choices=["list", "clear"], help="list entries, or delete them all")
    p.add_argument("--json", action="store_true", help="JSON output (list)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "worker" and not args.url:
        parser.error("worker needs --url or FMNIST_QUEUE_URL (e.g. redis://localhost:6379/0)")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        return _RUN[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (DataError, RunUnavailable) as exc:  # a CLI prints one line, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - anything else is still one line (FMNIST_DEBUG=1 shows the traceback)
        if settings.flag("FMNIST_DEBUG"):
            raise
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def config_or_exit(args: argparse.Namespace) -> RunConfig:
    """The config the arguments describe; out-of-range values exit 2 with the subcommand's usage."""
    try:
        return config_from_args(args)
    except ConfigError as exc:
        args.subparser.error(str(exc))


def fetch_or_train(config: RunConfig, cache) -> Lookup:
    """The run of ``config``, with whether it came from the cache and is kept: from the cache, or trained by a
    worker of the queue the environment names (one local worker process, or RQ's), with a progress bar; raises
    RuntimeError with the reason when it fails."""
    from .queue import follow, open_runner
    from .views.progress import TextProgress

    found = cache.get_or_derive(config)  # a damaged entry is discarded (and logged) here
    if found.run is not None:
        return found
    runner = open_runner(cache, workers=1)
    job = runner.submit(config, f"command line {os.getpid()}")
    try:
        snap = follow(job, TextProgress(), queued=_no_worker_notice(runner, job))
    finally:  # also on Ctrl-C: this command stops watching (the run is cancelled when nobody else does)
        if not job.finished:
            runner.leave(job, f"command line {os.getpid()}")
    if not snap.done:
        raise RuntimeError(snap.error or snap.status.value)
    return snap.found


def _no_worker_notice(runner: Runner, job: Job, every: float = 2.0) -> Callable[[], None]:
    """For ``follow``: while ``job`` waits, say on stderr when no worker is registered to take it (RQ's workers
    are started on their own machines), once each time that becomes so; asks the queue every ``every`` s."""
    from .i18n import _
    from .queue import NO_WORKER

    state = {"asked": -every, "none": False}

    def queued() -> None:
        if time.monotonic() - state["asked"] < every:
            return
        state["asked"] = time.monotonic()
        position = runner.position(job)
        none = position is not None and position.workers == 0
        if none and not state["none"]:
            print(_(NO_WORKER), file=sys.stderr, flush=True)
        state["none"] = none

    return queued


def _train(args: argparse.Namespace) -> int:
    config = config_or_exit(args)
    from .runs.cache import RunCache

    cache = RunCache()
    try:
        found = fetch_or_train(config, cache)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    result = found.run
    where = "from cache" if found.from_cache else f"trained in {result.train_seconds:.1f} s"
    print(f"{config.describe()}: test accuracy {result.test_accuracy:.4f} ({where}; key {result.key})",
          file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict() | {"from_cache": found.from_cache}))
    if not found.saved:
        in_the_way = cache.in_the_way(config)
        print(f"error: {in_the_way} stands at this run's place in the run cache and is not a run (left alone: move "
              f"it away); the run was not kept" if in_the_way else
              f"error: the run could not be stored in {cache.root} (see the log above); it was not kept",
              file=sys.stderr)
        return 1
    return 0


def _bench(args: argparse.Namespace) -> int:
    from .bench import run_benchmark, run_sharing_benchmark

    if args.sharing:
        return run_sharing_benchmark(as_json=args.json)
    return run_benchmark(epochs=args.epochs, as_json=args.json)


def _worker(args: argparse.Namespace) -> int:
    from .queue.quiet import filter_own_stderr
    from .queue.rq_worker import run as run_worker

    filter_own_stderr()  # the work horses' TensorFlow start-up lines stay out of the terminal; errors do not

    run_worker(args.url, burst=args.burst)
    return 0


def _cache(args: argparse.Namespace) -> int:
    from .runs.cache import RunCache

    cache = RunCache()
    if args.action == "clear":
        print(f"removed {cache.clear()} cached run(s) from {cache.root}", file=sys.stderr)
        return 0
    runs = cache.list()
    if args.json:
        print(json.dumps([r.to_dict() | {"from_cache": True} for r in runs]))  # as ``train --json`` says it
        return 0
    print(f"{len(runs)} cached run(s) in {cache.root}")
    for r in runs:
        print(f"{r.key}  acc {r.test_accuracy:.4f}  {r.train_seconds:6.1f} s  {r.trained_at}  {r.config.describe()}")
    return 0


def _experiments(args: argparse.Namespace) -> int:
    # Trains in this process, unlike ``train`` (which goes through the queue's worker): this is the teacher's
    # filling of the run cache before a class (``make experiments``), with nobody to share a job with, and
    # ``RunCache.run_sweep`` trains the longest run of a family first and reads the shorter ones off it in one
    # warm TensorFlow. Through the queue it would need one runner kept across the sweep (``fetch_or_train`` opens
    # one per run) and sweep progress over the wire. The cost of this way: with Redis configured, RQ workers on
    # other machines do not share this work.
    from .runs.cache import RunCache
    from .views.progress import TextProgress

    cache = RunCache()
    names = [args.only] if args.only else list(EXPERIMENTS)
    configs = list(dict.fromkeys(c for name in names for c in EXPERIMENTS[name].configs()))
    configs.sort(key=lambda c: -c.epochs)  # longest first: shorter runs of a family are then read off it
    results = cache.run_sweep(configs, listener=TextProgress())
    print(f"{len(results)} runs ready in {cache.root} ({sum(not f.from_cache for f in results)} trained now)",
          file=sys.stderr)
    return 0


def _training_images():
    """The nearest-training-image index, or None after one line on stderr when the data set cannot be loaded (a
    stored run still answers)."""
    from .data.neighbours import neighbour_index
    from .data.sources import load_fashion_mnist

    try:
        return neighbour_index(load_fashion_mnist())
    except DataError as exc:
        print(f"note: no nearest training images and no warning, the data set is missing: {exc}", file=sys.stderr)
        return None


def _prediction_row(name: str, probabilities, found) -> dict:
    """One file's JSON row: the answer, the warning (English, or None) and the nearest training images (None when
    the data set is missing)."""
    from .data.sources import CLASS_NAMES

    index = int(probabilities.argmax())
    neighbours = None if found is None else [
        {"label": CLASS_NAMES[int(label)], "class_index": int(label), "index": int(row),
         "distance": round(float(distance), 4)}
        for row, label, distance in zip(found.indices, found.labels, found.distances, strict=True)]
    return {"file": name, "label": CLASS_NAMES[index], "class_index": index,
            "probabilities": [round(float(v), 6) for v in probabilities],
            "warning": None if found is None else found.warning(), "neighbours": neighbours}


def _predict(args: argparse.Namespace) -> int:
    config = config_or_exit(args)
    import numpy as np

    from .data.intake import MAX_BYTES, ImageError, check_size, prepare_image
    from .runs.cache import RunCache

    outcomes: dict[int, dict] = {}  # by position, so a file named twice gets two rows
    prepared: list[tuple[int, np.ndarray]] = []
    for i, name in enumerate(args.files):
        try:
            with open(name, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                check_size(size)  # the intake's own refusal, before reading a huge file
                data = handle.read(MAX_BYTES + 1)  # a file that grows meanwhile is still caught by the intake
            prepared.append((i, prepare_image(data).final))
        except ImageError as exc:
            outcomes[i] = {"file": name, "error": str(exc)}
        except OSError as exc:
            outcomes[i] = {"file": name, "error": f"The file cannot be read ({exc.strerror or exc})."}
    if prepared:
        try:
            result = fetch_or_train(config, RunCache()).run
            probabilities = result.predict(np.stack([final for _, final in prepared]))
        except (DataError, RunUnavailable, RuntimeError) as exc:
            probabilities, failure = None, str(exc)
        index = _training_images() if probabilities is not None else None
        for j, (i, final) in enumerate(prepared):
            found = None if index is None else index.nearest(final)
            outcomes[i] = ({"file": args.files[i], "error": failure} if probabilities is None else
                           _prediction_row(args.files[i], probabilities[j], found))
    rows = [outcomes[i] for i in range(len(args.files))]
    if args.json:
        print(json.dumps(rows))
    else:
        for o in rows:
            if "error" in o:
                print(f"{o['file']}: error: {o['error']}")
            else:
                warning = f"; warning: {o['warning']}" if o["warning"] else ""
                print(f"{o['file']}: {o['label']} ({max(o['probabilities']):.0%}){warning}")
    return 1 if any("error" in o for o in rows) else 0


# the commands: each runs with the parsed arguments and returns the exit status
_RUN: dict[str, Callable[[argparse.Namespace], int]] = {
    "train": _train, "bench": _bench, "predict": _predict, "experiments": _experiments, "worker": _worker,
    "cache": _cache,
}
