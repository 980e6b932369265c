"""Command line: train, bench, cache (and, as other features land, more).

Exit status: 0 success, 1 a run or file failed, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from .config import ConfigError, RunConfig
from .data import DataError
from .experiments import EXPERIMENTS


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    d = RunConfig()
    parser.add_argument("--epochs", type=int, default=d.epochs, help=f"training epochs, 1-100 (default {d.epochs})")
    parser.add_argument("--hidden-units", type=int, default=d.hidden_units,
                        help=f"units per hidden layer, 1-4096 (default {d.hidden_units})")
    parser.add_argument("--extra-layers", type=int, default=d.extra_layers,
                        help=f"extra hidden layers, 0-5 (default {d.extra_layers})")
    parser.add_argument("--no-normalize", action="store_true", help="feed raw 0-255 pixels instead of 0-1")
    parser.add_argument("--dropout", type=float, default=d.dropout, help="dropout rate, 0 to <1 (default 0: none)")
    parser.add_argument("--batch-size", type=int, default=d.batch_size, help=f"batch size (default {d.batch_size})")
    parser.add_argument("--validation-split", type=float, default=d.validation_split,
                        help=f"share of training data held out for validation (default {d.validation_split})")
    parser.add_argument("--learning-rate", type=float, default=d.learning_rate,
                        help=f"adam learning rate (default {d.learning_rate})")
    parser.add_argument("--seed", type=int, default=d.seed, help=f"random seed (default {d.seed})")


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The RunConfig the config arguments describe (raises ConfigError)."""
    return RunConfig(
        epochs=args.epochs,
        hidden_units=args.hidden_units,
        extra_layers=args.extra_layers,
        normalize=not args.no_normalize,
        dropout=args.dropout,
        batch_size=args.batch_size,
        validation_split=args.validation_split,
        learning_rate=args.learning_rate,
        seed=args.seed,
    )


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
    p.add_argument("--epochs", type=int, default=10, help="epochs per measured run (default 10)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")

    p = sub.add_parser("predict", help="classify garment pictures (PNG, JPEG, WebP, BMP, GIF)")
    p.set_defaults(subparser=p)
    p.add_argument("files", nargs="+", metavar="FILE", help="picture files")
    _add_config_arguments(p)
    p.add_argument("--json", action="store_true", help="print a JSON array, one object per file")

    p = sub.add_parser("experiments", help="train every experiment page's default runs into the cache")
    p.add_argument("--only", choices=sorted(EXPERIMENTS), help="just this experiment")

    p = sub.add_parser("cache", help="list or clear the run cache")
    p.add_argument("action", choices=["list", "clear"], help="list entries, or delete them all")
    p.add_argument("--json", action="store_true", help="JSON output (list)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        if args.command == "train":
            return _train(args)
        if args.command == "bench":
            from .bench import run_benchmark

            return run_benchmark(epochs=args.epochs, as_json=args.json)
        if args.command == "cache":
            return _cache(args)
        if args.command == "predict":
            return _predict(args)
        if args.command == "experiments":
            return _experiments(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except DataError as exc:  # a CLI prints one line, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 2


def _config_or_exit(args: argparse.Namespace) -> RunConfig:
    """The config the arguments describe; out-of-range values exit 2 with the subcommand's usage."""
    try:
        return config_from_args(args)
    except ConfigError as exc:
        args.subparser.error(str(exc))


def _train(args: argparse.Namespace) -> int:
    config = _config_or_exit(args)
    from .cache import RunCache
    from .progress import TextProgress

    cache = RunCache()
    result = cache.get_or_train(config, listener=TextProgress())
    where = "from cache" if result.from_cache else f"trained in {result.train_seconds:.1f} s"
    print(f"{config.describe()}: test accuracy {result.test_accuracy:.4f} ({where}; key {result.key})",
          file=sys.stderr)
    if args.json:
        print(json.dumps(result.summary()))
    return 0


def _cache(args: argparse.Namespace) -> int:
    from .cache import RunCache

    cache = RunCache()
    if args.action == "clear":
        print(f"removed {cache.clear()} cached run(s) from {cache.root}", file=sys.stderr)
        return 0
    runs = cache.list()
    if args.json:
        print(json.dumps([r.summary() for r in runs]))
        return 0
    print(f"{len(runs)} cached run(s) in {cache.root}")
    for r in runs:
        print(f"{r.key}  acc {r.test_accuracy:.4f}  {r.train_seconds:6.1f} s  {r.trained_at}  {r.config.describe()}")
    return 0


def _experiments(args: argparse.Namespace) -> int:
    from .cache import RunCache
    from .experiments import default_configs, run_sweep
    from .progress import TextProgress

    cache = RunCache()
    names = [args.only] if args.only else list(EXPERIMENTS)
    configs = list(dict.fromkeys(c for name in names for c in default_configs(EXPERIMENTS[name])))
    results = run_sweep(configs, cache, listener=TextProgress())
    print(f"{len(results)} runs ready in {cache.root} ({sum(not r.from_cache for r in results)} trained now)",
          file=sys.stderr)
    return 0


def _predict(args: argparse.Namespace) -> int:
    config = _config_or_exit(args)
    import numpy as np

    from .cache import RunCache
    from .data import CLASS_NAMES
    from .intake import MAX_BYTES, ImageError, prepare_image
    from .progress import TextProgress

    outcomes: list[dict] = []
    prepared = []
    for name in args.files:
        try:
            with open(name, "rb") as handle:
                data = handle.read(MAX_BYTES + 1)  # one byte over is enough to say "too big"
            prepared.append((name, prepare_image(data).final))
        except ImageError as exc:
            outcomes.append({"file": name, "error": str(exc)})
        except OSError as exc:
            outcomes.append({"file": name, "error": f"The file cannot be read ({exc.strerror or exc})."})
    if prepared:
        result = RunCache().get_or_train(config, listener=TextProgress())
        probabilities = result.predict(np.stack([final for _, final in prepared]))
        for (name, _), p in zip(prepared, probabilities, strict=True):
            index = int(np.argmax(p))
            outcomes.append({"file": name, "label": CLASS_NAMES[index], "class_index": index,
                             "probabilities": [round(float(v), 6) for v in p]})
    order = {name: i for i, name in enumerate(args.files)}
    outcomes.sort(key=lambda o: order[o["file"]])
    if args.json:
        print(json.dumps(outcomes))
    else:
        for o in outcomes:
            if "error" in o:
                print(f"{o['file']}: error: {o['error']}")
            else:
                print(f"{o['file']}: {o['label']} ({max(o['probabilities']):.0%})")
    return 1 if any("error" in o for o in outcomes) else 0
