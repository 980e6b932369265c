"""Every sentence the app assembles from pieces, rendered in each language: tests/rendered/<code>.txt.

A translator (or reviewer) reads finished text here, not the .po: run labels, experiment captions and findings,
challenge goals and checks, confusion captions, the Data page's captions, where a run came from, queue and wait
texts, refusals, intake, data and cache errors, the Classify page's warning and distance. The values are
real-looking (synthetic runs, no training); the sentences come from the app's own functions where the app has
one, and otherwise (the sentences the page scripts of the Train page and the job runner's UI put together) from
the same messages with the same fields (``page()`` names those, and tests/core/i18n/test_rendered.py checks that
each still is a message of the code).

    python -m tests.render_sentences --write    # rewrite tests/rendered/*.txt
    python -m tests.render_sentences ko         # print one language
"""

from __future__ import annotations

import io
import math
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from fmnist_core import i18n
from fmnist_core.config import ConfigError, RunConfig, config_from_query
from fmnist_core.data.sources import class_names
from fmnist_core.i18n import _, ngettext, number, percent
from fmnist_core.lessons import compare
from fmnist_core.lessons.challenges import READY, link_controls, parse_challenge
from fmnist_core.lessons.experiments import EXPERIMENTS, best_final_sentence, parse_values
from fmnist_core.queue.base import REDIS_LOST, UNREADABLE, WORKER_LOST, failure_sentence
from fmnist_core.queue.rules import OVERRAN
from fmnist_core.runs.results import CURVES, FitReport, Origin, RunResult, curve_name, history_key

OUT = Path(__file__).parent / "rendered"
PAGE_MESSAGES: set[str] = set()  # messages put together here the way a page script does (checked to exist)


def page(msgid: str) -> str:
    """A message a page script (which cannot run outside Streamlit) formats itself, translated."""
    PAGE_MESSAGES.add(msgid)
    return _(msgid)


# --------------------------------------------------------------------------- synthetic runs


def fake_run(config: RunConfig, **changes) -> RunResult:
    """A run with believable curves for ``config``: accuracy grows with epochs and units, validation loss turns
    up after epoch 7 (less with dropout), raw pixels start badly; early stopping stops it as Keras would."""
    size = math.log2(config.hidden_units / 128) * 0.006 + 0.003 * config.extra_layers
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    stopped, best_loss, waited = None, math.inf, 0
    for e in range(1, config.epochs + 1):
        acc = 0.80 + 0.13 * (1 - math.exp(-e / 5)) + size - 0.05 * config.dropout + (0 if config.normalize else -0.04)
        val = acc - 0.004 * max(0, e - 6) * (1 - config.dropout) - 0.01
        history["accuracy"].append(round(min(acc, 0.99), 4))
        history["val_accuracy"].append(round(val, 4))
        history["loss"].append(round((0.55 if config.normalize else 4.87) / e ** 0.5, 4))
        history["val_loss"].append(round(0.42 - 0.1 * (1 - math.exp(-e / 3)) + 0.006 * max(0, e - 7)
                                         * (1 - config.dropout), 4))
        if config.target_accuracy and acc >= config.target_accuracy:
            stopped = e
            break
        if config.patience:
            best_loss, waited = (history["val_loss"][-1], 0) if history["val_loss"][-1] < best_loss else \
                (best_loss, waited + 1)
            if waited >= config.patience:
                stopped = e
                break
    epochs = len(history["loss"])
    seconds = round(1.0 + 0.35 * epochs * (config.hidden_units / 128) ** 0.7 * config.hidden_layers, 1)
    run = RunResult(config, history, round(history["val_loss"][-1] + 0.01, 4), round(history["val_accuracy"][-1]
                    - 0.003, 4), seconds, "2026-11-25T07:52:00", "synthetic", np.zeros((0, 10)),
                    stopped_early_at=stopped if stopped and stopped < config.epochs else None)
    return replace(run, **changes)


MATRIX = np.diag([851, 974, 812, 893, 826, 961, 634, 955, 972, 953])  # test images by true (row) and predicted class
for _true, _predicted, _count in ((6, 0, 123), (4, 2, 98), (2, 6, 74), (6, 4, 61), (0, 6, 58), (3, 4, 41),
                                  (9, 7, 37), (7, 9, 31), (1, 3, 19)):
    MATRIX[_true, _predicted] = _count


# --------------------------------------------------------------------------- the sentences, section by section


def run_labels() -> Iterator[str]:
    for config in (RunConfig(), RunConfig(hidden_units=256, extra_layers=1, epochs=1),
                   RunConfig(epochs=30, normalize=False, dropout=0.2, batch_size=64, validation_split=0.1,
                             learning_rate=0.0005, seed=7, target_accuracy=0.9, patience=3)):
        yield config.describe()
    for experiment in EXPERIMENTS.values():
        yield f"{_(experiment.title)}: " + " | ".join(experiment.label(c) for c in experiment.configs())
    configs = [RunConfig(), RunConfig(hidden_units=256, dropout=0.2), RunConfig(normalize=False, dropout=0.25)]
    fields = compare.differing_fields(configs)
    yield " | ".join(compare.label(c, fields) for c in configs)
    run = fake_run(RunConfig())
    yield page("{run} — test accuracy {accuracy}").format(run=run.config.describe(),
                                                        accuracy=percent(run.test_accuracy, 1))
    yield page("{run} — test accuracy {accuracy} (the Train page's current run)").format(
        run=run.config.describe(), accuracy=percent(run.test_accuracy, 1))


def experiments() -> Iterator[str]:
    for experiment in EXPERIMENTS.values():
        results = [fake_run(c) for c in experiment.configs()]
        yield f"### {_(experiment.title)}"
        yield from experiment.conclude(results)
        for split, metric in CURVES:
            key = history_key(split, metric)
            finals = {experiment.label(r.config): r.history[key][-1] for r in results}
            best = (max if metric == "accuracy" else min)(finals, key=finals.get)
            yield best_final_sentence(split, metric, best, finals[best]) + (
                " " + _(experiment.caption) if experiment.caption else "")
    yield "### " + _("Compare runs")
    runs = [fake_run(RunConfig()), fake_run(RunConfig(hidden_units=256)), fake_run(RunConfig(hidden_units=32))]
    yield from compare.findings(runs)
    yield from compare.findings(runs[1::-1][:1] + runs[:1] + runs[2:])
    yield from experiments_single_runs()


def experiments_single_runs() -> Iterator[str]:
    yield "### " + _("Train the network")
    run = fake_run(RunConfig(epochs=20))
    yield run.fit_report().sentence()
    yield FitReport(best_epoch=5, epochs_run=5, gap=0.014).sentence()  # a small gap above
    yield FitReport(best_epoch=5, epochs_run=5, gap=-0.012).sentence()  # validation accuracy ended higher
    yield page("Training stopped early after epoch {epoch}.").format(epoch=9)
    yield page("Configuration: {run} · {parameters} parameters · key {key}").format(
        run=run.config.describe(), parameters=number(run.parameters), key=f"`{run.key}`")
    yield page("The faded grey lines are the validation curves of your previous run ({run}).").format(
        run=RunConfig(hidden_units=64).describe())


def charts() -> Iterator[str]:
    from fmnist_core.views import charts

    history = fake_run(RunConfig(epochs=3)).history
    for trace in charts.training_curves(history, behind=history).data[:3]:
        yield f"{trace.name}: {trace.hovertemplate}"
    for metric in ("val_accuracy", "loss"):
        figure = charts.comparison_figure({"30 epochs": history}, metric)
        yield f"{figure.layout.title.text} / {figure.layout.yaxis.title.text}"
    for split, metric in CURVES:
        yield page("{what} per epoch for each run").format(what=curve_name(split, metric))
    yield charts.sweep_bars(["512 units"], [0.8840], [12.3], [407050]).data[0].hovertemplate
    yield charts.confusion_figure(MATRIX).data[1].hovertemplate


def challenges() -> Iterator[str]:
    met, missed = fake_run(RunConfig(hidden_units=32)), fake_run(RunConfig(epochs=2))
    for challenge in READY.values():
        yield page("{goal} ({idea})").format(goal=challenge.goal, idea=challenge.idea)
    custom = parse_challenge("acc>=0.885;units<=64;normalize=1;dropout>0.1")
    yield page("**Challenge** ({idea}): {goal}").format(idea=custom.idea, goal=custom.goal)
    for challenge, run in ((READY["small"], met), (READY["quick"], missed), (READY["steady"], missed)):
        if challenge.met(run):
            yield page("**Done!** This run meets the challenge — {checks}.").format(checks=challenge.checks(run))
        else:
            yield page("Not yet: {checks}. Change a setting and train again.").format(checks=challenge.checks(run))
    yield page("Attempts at this challenge in this session: {tried}, of which {met} met it.").format(tried=3, met=1)


def confusions() -> Iterator[str]:
    from fmnist_core.runs.evaluation import class_reports, hardest_class, most_confused

    names = class_names()
    pairs = i18n.joined(page("{true} taken for {predicted} {n} times").format(true=names[t], predicted=names[p], n=c)
                      for t, p, c in most_confused(MATRIX))
    yield page("Most frequent confusions: {pairs}.").format(pairs=pairs)
    for t, p, n in ((6, 0, 123), (6, 6, 634), (1, 5, 0)):
        what = (page("{true} recognised correctly").format(true=names[t]) if t == p else
                page("{true} taken for {predicted}").format(true=names[t], predicted=names[p]))
        yield page("**{n} test images**: {what}; the first {shown} are shown.").format(
            n=number(n), what=what, shown=min(15, n)) if n else page("**{n} test images**: {what}.").format(
            n=number(n), what=what)
    reports = class_reports(MATRIX)
    yield hardest_class(reports)
    yield hardest_class([replace(r, top_mistake=None) for r in reports])
    yield page("{right} of {n} shown images are classified correctly.").format(right=13, n=15)


def data_page() -> Iterator[str]:
    from fmnist_core.data.sources import Dataset
    from fmnist_core.data.statistics import alike_caption, browse_alt, browse_caption, counts_caption

    names = class_names()
    images = np.zeros((60_000, 1, 1), np.uint8)
    yield Dataset(images, images[:, 0, 0], images[:10_000], images[:10_000, 0, 0],
                  "/usr/share/datasets/fashion-mnist").describe()
    for split, total in (("training", 6000), ("test", 10_000)):
        yield browse_alt(split, 20)
        yield browse_caption(split, 20, total, names[4] if split == "training" else _("all classes"), 19, 402)
    yield counts_caption(np.full(10, 6000), np.full(10, 1000))
    yield counts_caption(np.array([40, 38, 41, 40, 40, 40, 40, 40, 40, 41]), np.full(10, 10))
    yield alike_caption([(6, 0, 31.0), (2, 4, 33.0), (4, 6, 35.0)], names)


def classify_page() -> Iterator[str]:
    from fmnist_core.data.neighbours import Neighbours, distance_caption, unlike_warning

    yield unlike_warning()
    for nearest in (0.31, 1.21):
        yield distance_caption(Neighbours(np.arange(5), np.zeros(5, np.uint8), np.full(5, nearest),
                                          np.zeros((5, 28, 28), np.uint8), 0.842))


def origins() -> Iterator[str]:
    run = fake_run(RunConfig(epochs=10))
    for how, epochs in (("taken", 30), ("continued", 10)):
        derived = replace(run, origin=Origin(how, epochs), train_seconds=5.2)
        yield derived.origin_text()
        yield derived.provenance(from_cache=False)
    yield replace(run, train_seconds=4.6).provenance(from_cache=True)
    yield replace(run, train_seconds=4.6).provenance(from_cache=False)


def queue() -> Iterator[str]:
    from fmnist_core.views.progress import format_metrics

    yield page("next in line…")
    yield page("no worker is running: the run starts when one does")  # RQ, while no worker is registered
    for ahead in (1, 3):
        yield ngettext(*_plural("waiting: {n} run is ahead of yours (about {seconds} s)",
                                "waiting: {n} runs are ahead of yours (about {seconds} s)"), ahead).format(
            n=ahead, seconds=number(15 * ahead))
    yield page("preparing the data and compiling the model…")
    labels = [EXPERIMENTS["units"].label(c) for c in EXPERIMENTS["units"].configs()]
    yield page("run {done}/{total}: {label}").format(done=2, total=5, label=labels[1]) + " · " + page("next in line…")
    yield format_metrics(3, 10, {"loss": 0.4123, "accuracy": 0.8512, "val_loss": 0.4301, "val_accuracy": 0.8467})
    yield page("comparison: {done} of {total} runs ready").format(done=1, total=4)
    for watchers in (1, 2):
        yield ngettext(*_plural("Stopped for you; {n} other still watches this run, so it goes on. Press Train to "
                                "watch it again.", "Stopped for you; {n} others still watch this run, so it goes on. "
                                "Press Train to watch it again."), watchers).format(n=watchers)
    yield page("Training stopped after {done} of {epochs} epochs. Nothing was saved; press Train to run it again."
               ).format(done=3, epochs=10)
    yield page("{ready} of {total} runs are ready; not trained yet: {missing}. Press **Run the comparison** to train "
               "them (each once; later visits are instant).").format(ready=3, total=5, missing=", ".join(labels[3:]))
    from fmnist_core.queue import QueueUnreachable

    yield QueueUnreachable("queue.school.example:6379").sentence()


def _plural(singular: str, plural: str) -> tuple[str, str]:
    PAGE_MESSAGES.add(singular)
    return singular, plural


def refusals() -> Iterator[str]:
    from fmnist_core.queue.rules import Refused, check_cost, check_visitor

    class Costs:
        def __init__(self, seconds: float) -> None:
            self.seconds = seconds

        def estimate(self, config: RunConfig) -> float:
            return self.seconds

    for seconds, config in ((400, RunConfig(epochs=100, hidden_units=1024)),
                            (250_000, RunConfig(epochs=100, hidden_units=4096, extra_layers=5, batch_size=1))):
        try:
            check_cost(config, Costs(seconds), 120)
        except Refused as exc:
            yield str(exc)
    for most in (1, 3):  # one browser's share of runs
        try:
            check_visitor(most, most)
        except Refused as exc:
            yield str(exc)
    yield failure_sentence("Graph execution error").format(reason="Graph execution error")
    for reason in (WORKER_LOST, "the run failed on its worker", "the finished run is not in the run cache",
                   "the finished run is not in the shared run cache", REDIS_LOST, UNREADABLE, OVERRAN):
        yield failure_sentence(reason).format(reason=page(reason))
    yield page("No worker process is running to do this.")  # the Common mistakes page, when no worker answers
    yield page("A worker process took too long to answer.")
    yield page("That configuration is not possible: {reason}.").format(
        reason=_("patience needs a validation split above 0 (it watches validation loss)"))


def config_errors() -> Iterator[str]:
    for values in ({"dropout": 1.5}, {"epochs": 2.5}, {"normalize": "yes"}, {"learning_rate": 0.0},
                   {"patience": 3, "validation_split": 0.0}):
        try:
            RunConfig(**values)
        except ConfigError as exc:
            yield str(exc)
    for bad in ({"colour": "red"}, ["epochs"]):
        try:
            RunConfig.from_dict(bad)
        except ConfigError as exc:
            yield str(exc)
    yield from config_from_query({"units": "lots", "dropout": "0.95x", "normalize": "maybe"})[1]
    yield from link_controls({"hide": "colour", "lock": "size", "challenge": "accuracy>0.9"})[1]
    yield from link_controls({"challenge": "units<=32"})[1]
    for field, text in (("dropout", "0.2, abc"), ("epochs", ",".join(str(n) for n in range(1, 10))), ("seed", " ")):
        try:
            parse_values(field, text)
        except ConfigError as exc:
            yield page("Those values cannot be compared: {reason}.").format(reason=exc)


def intake_errors() -> Iterator[str]:
    from PIL import Image

    from fmnist_core.data.intake import MAX_BYTES, ImageError, open_image, prepare_image

    def saved(image: Image.Image, kind: str, **options) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, kind, **options)
        return buffer.getvalue()

    png = saved(Image.new("L", (64, 64), 30), "PNG")
    frames = [Image.new("L", (32, 32), v) for v in (0, 120, 240)]
    for source in (b"", b"\0" * (MAX_BYTES + 1), b"not an image", saved(Image.new("L", (4, 4)), "TIFF"),
                   saved(Image.new("1", (8000, 2500)), "PNG"), png[: len(png) // 2],
                   saved(frames[0], "GIF", save_all=True, append_images=frames[1:]), Image.new("L", (28, 28), 0)):
        try:
            yield from (prepare_image(source).notes if isinstance(source, Image.Image) else open_image(source)[1])
        except ImageError as exc:
            yield str(exc)


def data_and_cache_errors() -> Iterator[str]:
    from fmnist_core.data.sources import DataError, load_idx_folder, read_idx, write_idx

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        def idx(*numbers: int) -> bytes:
            return b"".join(n.to_bytes(4, "big") for n in numbers)

        files = {"missing.idx": None, "short.idx": b"\0\0\x08", "magic.idx": idx(2049, 0, 0),
                 "header.idx": idx(2051) + b"\0\0", "size.idx": idx(2051, 1, 32, 32),
                 "long.idx": idx(2051, 1, 28, 28) + b"\0" * 800, "cut.idx": idx(2051, 2, 28, 28) + b"\0" * 100,
                 "broken.gz": b"\x1f\x8b\x08\0\0\0\0\0"}
        for name, raw in files.items():
            if raw is not None:
                (root / name).write_bytes(raw)
            try:
                read_idx(root / name, 2051)
            except DataError as exc:
                yield str(exc).replace(folder, "/data")
        for split, images, labels in (("train", 4, 3), ("t10k", 2, 2)):
            write_idx(root / f"{split}-images-idx3-ubyte", np.zeros((images, 28, 28), np.uint8))
            write_idx(root / f"{split}-labels-idx1-ubyte", np.full(labels, 11 if split == "t10k" else 1, np.uint8))
        for _attempt in range(2):
            try:
                load_idx_folder(root)
            except DataError as exc:
                yield str(exc).replace(folder, "/data")
            write_idx(root / "train-labels-idx1-ubyte", np.ones(4, np.uint8))
    for message in ("The stored model of this run is damaged; train it again or choose another run.",
                    "That run is no longer in the cache; choose another one."):
        yield page(message)
    yield page("The stored run cannot be read right now ({reason}).").format(reason="Permission denied")
    yield page("The stored run of “{run}” was damaged and has been discarded; it will be trained again when asked "
               "for.").format(run=RunConfig(dropout=0.2).describe())
    yield page("**The Fashion-MNIST data could not be loaded.** {reason}").format(
        reason=_("{path}: file is missing").format(path="/data/train-images-idx3-ubyte.gz"))


def timeline() -> Iterator[str]:
    from fmnist_core.runs.timeline import Frame, what_changed

    def frame(epoch: int, matrix: np.ndarray) -> Frame:
        return Frame(epoch, None, np.zeros((0, 10), np.float16), matrix)

    chance = np.full((10, 10), 100)
    early = MATRIX.copy()
    early[6, 6], early[6, 0] = early[6, 6] - 107, early[6, 0] + 107  # Shirt taken for T-shirt/top more often
    early[5, 5], early[5, 7] = early[5, 5] - 50, early[5, 7] + 50
    worse = MATRIX.copy()
    worse[8, 8], worse[8, 2] = worse[8, 8] - 60, worse[8, 2] + 60
    yield page("before training")
    yield page("epoch {n}").format(n=3)
    yield what_changed(None, frame(0, chance))
    yield what_changed(None, frame(1, early))
    yield what_changed(frame(0, chance), frame(1, early))
    yield what_changed(frame(4, early), frame(5, MATRIX))
    yield what_changed(frame(5, MATRIX), frame(6, worse))
    yield what_changed(frame(6, MATRIX), frame(7, MATRIX))
    yield page("This run is big, so it kept the weights of some epochs only: {epochs}.").format(
        epochs="0, 1, 2, 3, 5, 10, 15, 20, 30, 50, 100")
    yield page("Blue pixels push a unit's sum up, red pixels push it down. The colours are the same in every epoch and "
               "end at ±{limit} (a few larger weights get the end colour).").format(limit=number(0.46, 2))
    yield page("Learning curves with a line at epoch {n}").format(n=3)
    yield page("Validation accuracy per epoch of each chosen run, with a line at epoch {n}").format(n=0)


def a_class() -> Iterator[str]:
    """The board's sentences from a made-up class, its refusals, and what the class pages put together."""
    from fmnist_core.classroom import ClassError, SQLiteClassStore, board, check_nickname, confusion_sentence, sentences
    from fmnist_core.classroom.store import ClassRun, Learner

    at = 1_800_000_000.0
    learners = [Learner(name, at) for name in ("Anna", "지민", "Lea")]
    made = [("Anna", RunConfig(hidden_units=24), 0.866, True), ("지민", RunConfig(hidden_units=32), 0.871, True),
            ("Lea", RunConfig(extra_layers=3), 0.842, False), ("Lea", RunConfig(normalize=False), 0.801, False),
            ("Anna", RunConfig(), 0.881, False)]
    runs = [ClassRun(name, c, c.key, at + 60 * i, acc, acc + 0.01, c.parameters, 9.5, met)
            for i, (name, c, acc, met) in enumerate(made)]
    yield from sentences(board(learners, runs, has_challenge=True), runs)
    yield from sentences(board(learners, [], has_challenge=False), [])
    yield confusion_sentence((6, 0, 1234), 12)
    for typed in ("", "x" * 25, "a\u202eb"):
        try:
            check_nickname(typed)
        except ClassError as exc:
            yield str(exc)
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteClassStore(Path(folder) / "classes.sqlite3")
        code, key = store.create()
        store.join(code, "Anna")
        for attempt in (lambda: store.join(code, "anna"), lambda: store.join(code, "Ben", returning=True),
                        lambda: store.get("K7P2Q"), lambda: store.get("K7P2QX"), lambda: store.as_teacher(code, "x"),
                        lambda: store.record(code, "Ben", fake_run(RunConfig()))):
            try:
                attempt()
            except ClassError as exc:
                yield str(exc).replace(code, "K7P2QX")  # a new class's code is random
        store.end(code, key)
        for attempt in (lambda: store.join(code, "Ben"), lambda: store.record(code, "Anna", fake_run(RunConfig()))):
            try:
                attempt()
            except ClassError as exc:
                yield str(exc).replace(code, "K7P2QX")
    yield page("You are {name} in class {code}. Your runs in {code}: {n}").format(name="Anna", code="K7P2QX", n=6)
    yield page("This class ended at {when} UTC: no more runs are recorded. The board stays readable.").format(
        when="10:42:05")
    yield page("QR code of the learners' link (class {code})").format(code="K7P2QX")


SECTIONS = {
    "Run labels": run_labels, "Experiment captions and findings": experiments, "Chart labels and hovers": charts,
    "Challenge goals and checks": challenges, "Confusion captions": confusions, "The Data page": data_page,
    "The Classify page": classify_page,
    "Where a run came from": origins, "Queue and wait texts": queue, "Refusals": refusals,
    "Configuration and link errors": config_errors, "Intake errors": intake_errors,
    "Data and cache errors": data_and_cache_errors, "Watch it learn": timeline, "A class": a_class,
}


def render(code: str) -> str:
    """The whole rendered file of language ``code``."""
    previous = i18n.language()
    i18n.set_language(code)
    try:
        lines = [f"# Sentences the app assembles, rendered in {i18n.LANGUAGES[code]} ({code}). Generated by "
                 "`python -m tests.render_sentences --write`: do not edit."]
        for title, section in SECTIONS.items():
            lines += ["", f"## {title}", ""]
            lines += [text if text.startswith("### ") else f"- {text}" for text in section()]
        return "\n".join(lines) + "\n"
    finally:
        i18n.set_language(previous)


def main(argv: list[str]) -> int:
    if "--write" in argv:
        OUT.mkdir(exist_ok=True)
        for code in i18n.LANGUAGES:
            (OUT / f"{code}.txt").write_text(render(code), encoding="utf-8")
            print(f"wrote {OUT / f'{code}.txt'}")
        return 0
    for code in argv or list(i18n.LANGUAGES):
        sys.stdout.write(render(code))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
