"""Common mistakes: four slips every learner makes once, with what goes wrong and why.

This is the lesson's text; ``fmnist_core.net.mistakes`` builds and trains each network through Keras in a
worker process, and the page shows what really happened (its ``MistakeOutcome``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import N_, _, number, percent
from ..reports import MISTAKE_EPOCHS, MISTAKE_IMAGES


@dataclass(frozen=True)
class Mistake:
    """One wrong way to build or compile the network."""

    name: str
    title: str  # title and explanation: English, translated where shown
    code: str
    explanation: str


MISTAKES: dict[str, Mistake] = {
    m.name: m
    for m in (
        Mistake("correct", N_("The correct network (for comparison)"),
                "Flatten(), Dense(128, 'relu'), Dense(10, 'softmax')\nloss='sparse_categorical_crossentropy'",
                N_("Flatten turns each 28x28 image into 784 numbers; softmax turns ten scores into probabilities; "
                "the sparse loss takes the integer labels 0-9 as they are.")),
        Mistake("no_flatten", N_("Flatten layer missing"),
                "Dense(128, 'relu'), Dense(10, 'softmax')   # no Flatten()",
                N_("Without Flatten, Dense works on each of the 28 image rows separately, so the network gives 28 "
                "predictions per image instead of one.")),
        Mistake("five_outputs", N_("Output layer with 5 units"),
                "Flatten(), Dense(128, 'relu'), Dense(5, 'softmax')",
                N_("There are ten classes but only five outputs: labels 5-9 have no output to go to.")),
        Mistake("categorical_loss", N_("`categorical_crossentropy` with integer labels"),
                "loss='categorical_crossentropy'   # labels are integers 0-9",
                N_("categorical_crossentropy expects one-hot labels (ten numbers per image); the labels here are "
                "single integers, which is what sparse_categorical_crossentropy is for.")),
        Mistake("no_softmax", N_("Softmax dropped from the last layer"),
                "Flatten(), Dense(128, 'relu'), Dense(10)   # no softmax, loss still expects probabilities",
                N_("Without softmax the ten outputs are raw scores (any sign, any size), but the loss treats them "
                "as probabilities, so its feedback to the network is wrong.")),
    )
}


def introduction() -> str:
    """The Common mistakes page's first paragraph, with how each network is trained (``MISTAKE_*``)."""
    # Translators: {images}: training images, e.g. "6,000"; {epochs}: epochs, e.g. 3 (always several)
    return _("Four small slips that every learner makes once. Each is built and trained **live through Keras** "
             "(plain `model.fit`, {images} training images, {epochs} epochs), next to the correct network, and you "
             "see what Keras really says or does.").format(images=number(MISTAKE_IMAGES), epochs=MISTAKE_EPOCHS)


def accuracy_caption(accuracy: float) -> str:
    """'Test accuracy after 3 epochs on 6,000 images: 84.12%.': under a mistake's curves."""
    # Translators: {epochs}: epochs, e.g. 3 (always several); {images}: training images, e.g. "6,000";
    # {accuracy}: e.g. "84.12%"
    return _("Test accuracy after {epochs} epochs on {images} images: {accuracy}.").format(
        epochs=MISTAKE_EPOCHS, images=number(MISTAKE_IMAGES), accuracy=percent(accuracy))
