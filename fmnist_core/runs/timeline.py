"""A run epoch by epoch: the weights it kept of each epoch, the test-set answers they give, what changed.

A run keeps its weights of every epoch when that is small (``lineage.keeps_snapshot``: up to 64 MiB, so every
epoch of a default run of up to 100 epochs); a bigger run keeps epochs 1, 2, 3, 5, 10, 15, 20, 30, 50, 100 and
its last. Runs trained since 2026-12 also keep the weights they started from: epoch 0, "before training". An
epoch's test-set probabilities are the NumPy forward pass over that epoch's weights (the one prediction path),
computed on first use and kept with the timeline (float16, 200 KB an epoch for 10,000 test images).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..data.sources import class_label
from ..forward import DenseNetwork
from ..i18n import _, percent
from .evaluation import confusion_matrix, per_class_accuracy


@dataclass(frozen=True)
class Frame:
    """The network at one epoch and its answers on the test set."""

    epoch: int  # 0: before training
    network: DenseNetwork
    probabilities: np.ndarray  # (N, 10) float16: 200 KB an epoch for 10,000 images (the matrix from float32)
    matrix: np.ndarray  # confusion counts, row = true class

    @property
    def accuracy(self) -> float:
        """Share of the test images classified correctly at this epoch."""
        total = self.matrix.sum()
        return float(np.trace(self.matrix) / total) if total else float("nan")


class Timeline:
    """The kept epochs of one run over one test set; each epoch's forward pass is computed once (thread-safe:
    the web process shares a timeline between sessions)."""

    def __init__(self, networks: Mapping[int, DenseNetwork], images: np.ndarray, labels: np.ndarray) -> None:
        if not networks:
            raise ValueError("a timeline needs the weights of at least one epoch")
        self.networks = dict(sorted(networks.items()))
        self.epochs: tuple[int, ...] = tuple(self.networks)
        self.images, self.labels = images, np.asarray(labels)
        self._frames: dict[int, Frame] = {}
        self._ranges: dict[tuple[int, ...], float] = {}
        self._lock = threading.Lock()

    def frame(self, epoch: int) -> Frame:
        """The network at ``epoch`` (one of ``epochs``) and its test-set answers."""
        with self._lock:
            if epoch not in self._frames:
                network = self.networks[epoch]
                probabilities = network.predict(self.images) if len(self.labels) else np.zeros((0, 10), np.float32)
                matrix = confusion_matrix(self.labels, probabilities.argmax(axis=1))
                self._frames[epoch] = Frame(epoch, network, probabilities.astype(np.float16), matrix)
            return self._frames[epoch]

    def previous(self, epoch: int) -> int | None:
        """The kept epoch before ``epoch`` (None for the first)."""
        index = self.epochs.index(epoch)
        return self.epochs[index - 1] if index else None

    def changes(self, epoch: int) -> str:
        """What changed since the kept epoch before, in the reader's language (see ``what_changed``)."""
        previous = self.previous(epoch)
        return what_changed(None if previous is None else self.frame(previous), self.frame(epoch))

    def strongest_units(self, n: int = 16) -> list[int]:
        """The first-layer units with the largest weights (L2 norm of their 784 weights) at the last kept
        epoch, strongest first: the same units in every frame."""
        kernel = self.networks[self.epochs[-1]].layers[0][0]
        return [int(u) for u in np.argsort(-np.linalg.norm(kernel, axis=0), kind="stable")[:n]]

    def weight_range(self, units: list[int]) -> float:
        """Where the weight pictures' colours end: the 99th percentile of the absolute first-layer weights of
        ``units`` over all kept epochs. One scale for every frame, so growing weights look stronger; a few
        outliers get the end colour instead of fading the rest."""
        key = tuple(units)
        if key not in self._ranges:  # every frame asks: once per choice of units (all epochs are read)
            weights = np.concatenate([np.abs(net.layers[0][0][:, units]).ravel() for net in self.networks.values()])
            self._ranges[key] = float(np.percentile(weights, 99)) or 1.0
        return self._ranges[key]


def what_changed(before: Frame | None, after: Frame) -> str:
    """One to three sentences computed from the numbers: test accuracy then and now, the confusion that changed
    most, the class whose accuracy changed most. E.g. 'Test accuracy rose from 84.1% to 86.0% since epoch 4.
    Shirt taken for T-shirt/top fell from 312 to 205. Sandal is now 96% right (it was 91%).'"""
    if after.epoch == 0:
        # Translators: the first frame of the epoch timeline; {accuracy}: e.g. "9.8%"
        return _("Before training the weights are random: the network gets {accuracy} of the test images right, "
                 "about what guessing one of ten classes gives.").format(accuracy=percent(after.accuracy, 1))
    if before is None:
        # Translators: the first kept epoch of a run that did not keep its starting weights; {epoch}: e.g. 1;
        # {accuracy}: e.g. "82.4%"
        return _("After epoch {epoch} the network gets {accuracy} of the test images right.").format(
            epoch=after.epoch, accuracy=percent(after.accuracy, 1))
    return " ".join(s for s in (_accuracy_change(before, after), _confusion_change(before, after),
                                _class_change(before, after)) if s)


def _accuracy_change(before: Frame, after: Frame) -> str:
    values = {"before": percent(before.accuracy, 1), "after": percent(after.accuracy, 1), "previous": before.epoch}
    if before.epoch == 0:
        # Translators: the epoch timeline at epoch 1; {before}: test accuracy before training, e.g. "9.8%"; {after}:
        # after the first epoch, e.g. "82.4%"
        return _("In its first epoch the network went from {before} to {after} test accuracy.").format(**values)
    if values["after"] == values["before"]:
        # Translators: {after}: test accuracy, e.g. "88.1%"; {previous}: the epoch before on the timeline, e.g. 9
        return _("Test accuracy stayed at {after} since epoch {previous}.").format(**values)
    # Translators: {before}, {after}: test accuracy, e.g. "86.0%", "86.9%"; {previous}: the epoch before on the
    # timeline, e.g. 4
    rose = _("Test accuracy rose from {before} to {after} since epoch {previous}.")
    # Translators: {before}, {after}: test accuracy, e.g. "86.9%", "86.0%"; {previous}: the epoch before on the
    # timeline, e.g. 4
    fell = _("Test accuracy fell from {before} to {after} since epoch {previous}.")
    return (rose if after.accuracy > before.accuracy else fell).format(**values)


def _confusion_change(before: Frame, after: Frame) -> str | None:
    change = (after.matrix - before.matrix).astype(np.int64)
    np.fill_diagonal(change, 0)
    true, predicted = np.unravel_index(int(np.abs(change).argmax()), change.shape)
    if change[true, predicted] == 0:
        return None
    values = {"true": class_label(true), "predicted": class_label(predicted),
              "before": int(before.matrix[true, predicted]), "after": int(after.matrix[true, predicted])}
    # Translators: test images of one class answered as another; {true}: e.g. "Shirt"; {predicted}: e.g.
    # "T-shirt/top"; {before}, {after}: numbers of test images, e.g. 312, 205
    fell = _("{true} taken for {predicted} fell from {before} to {after}.")
    # Translators: test images of one class answered as another; {true}: e.g. "Shirt"; {predicted}: e.g.
    # "T-shirt/top"; {before}, {after}: numbers of test images, e.g. 205, 312
    rose = _("{true} taken for {predicted} rose from {before} to {after}.")
    return (fell if values["after"] < values["before"] else rose).format(**values)


def _class_change(before: Frame, after: Frame) -> str | None:
    then, now = per_class_accuracy(before.matrix), per_class_accuracy(after.matrix)
    change = np.nan_to_num(now - then)
    index = int(np.abs(change).argmax())
    if percent(now[index], 0) == percent(then[index], 0):
        return None
    # Translators: {name}: a class, e.g. "Sandal"; {right}: its test images classified correctly now, e.g. "96%";
    # {before}: at the epoch before on the timeline, e.g. "91%"
    return _("{name} is now {right} right (it was {before}).").format(
        name=class_label(index), right=percent(now[index], 0), before=percent(then[index], 0))
