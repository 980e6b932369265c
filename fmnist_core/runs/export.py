"""Take a run home: a plain Keras script and notebook that rebuild it, its history as CSV, its summary as JSON.

The script is for the learner's own machine: it never imports fmnist_core. It rebuilds exactly the run's
configuration (layers, dropout, normalisation, batch size, validation split, learning rate, seed, early
stopping), trains it with ordinary ``model.fit``, evaluates it on the test set and draws the tutorial's
blue/red prediction plot. Its data loading works offline where Debian's ``dataset-fashion-mnist`` package
(or a folder of the four IDX files named by ``FMNIST_DATA_DIR``) exists, and otherwise uses
tensorflow-datasets as the tutorial does.
"""

from __future__ import annotations

import csv
import io
import json

from ..config import RunConfig
from ..data.sources import CLASS_NAMES, DEBIAN_DIR, IDX_FILES
from .results import RunResult

_LOAD = '''def read_idx(path):
    """One IDX file (gzipped or not) as a uint8 array."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\\x1f\\x8b":
        raw = gzip.decompress(raw)
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(raw[3])]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def load_data():
    """Fashion-MNIST from $FMNIST_DATA_DIR or Debian's dataset-fashion-mnist, else from tensorflow-datasets."""
    for folder in (os.environ.get("FMNIST_DATA_DIR"), "{debian}"):
        if folder and all((Path(folder) / name).exists() for name in FILES):
            x_train, y_train, x_test, y_test = (read_idx(Path(folder) / name) for name in FILES)
            return (x_train, y_train), (x_test, y_test)
    import tensorflow_datasets as tfds

    (x_train, y_train), (x_test, y_test) = tfds.as_numpy(
        tfds.load("fashion_mnist", split=["train", "test"], batch_size=-1, as_supervised=True))
    return (x_train[..., 0], y_train), (x_test[..., 0], y_test)


(x_train, y_train), (x_test, y_test) = load_data()
print(f"{{len(x_train)}} training and {{len(x_test)}} test images")'''

_PLOT = '''predictions = model.predict(x_test, verbose=0)
try:
    import matplotlib.pyplot as plt
except ImportError:
    print("Install matplotlib to see the predictions drawn (pip install matplotlib).")
else:
    rows, cols = 5, 3
    plt.figure(figsize=(2 * 2 * cols, 2 * rows))
    for i in range(rows * cols):
        predicted, true = int(np.argmax(predictions[i])), int(y_test[i])
        color = "blue" if predicted == true else "red"
        plt.subplot(rows, 2 * cols, 2 * i + 1)
        plt.xticks([]), plt.yticks([]), plt.grid(False)
        plt.imshow(x_test[i], cmap=plt.cm.binary)
        mark = "\\u2713" if predicted == true else "\\u2717"  # a mark besides colour
        plt.xlabel(f"{{mark}} {{CLASS_NAMES[predicted]}} {{100 * np.max(predictions[i]):2.0f}}% "
                   f"({{CLASS_NAMES[true]}})", color=color)
        plt.subplot(rows, 2 * cols, 2 * i + 2)
        plt.xticks(range(10)), plt.yticks([]), plt.grid(False)
        bars = plt.bar(range(10), predictions[i], color="#777777")
        plt.ylim([0, 1])
        bars[predicted].set_color("red")
        bars[true].set_color("blue")
    plt.tight_layout()
    plt.savefig("predictions.png")
    print("The predictions are drawn in predictions.png")
    plt.show()'''


def sections(config: RunConfig) -> list[tuple[str, str]]:
    """The script as (heading, code) steps, keras-io style: every step named."""
    layers = ["    keras.Input(shape=(28, 28)),", "    keras.layers.Flatten(),"]
    layers += [f'    keras.layers.Dense({config.hidden_units}, activation="relu"),'] * config.hidden_layers
    if config.dropout:
        layers.append(f"    keras.layers.Dropout({config.dropout:g}, seed=SEED),")
    layers.append('    keras.layers.Dense(10, activation="softmax"),')
    callbacks = []
    if config.target_accuracy:
        callbacks.append("StopAtAccuracy(TARGET_ACCURACY)")
    if config.patience:
        callbacks.append(f'keras.callbacks.EarlyStopping(monitor="val_loss", patience={config.patience}, '
                         "restore_best_weights=True)")
    stop_class = '''

class StopAtAccuracy(keras.callbacks.Callback):
    """Stop once an epoch's training accuracy reaches the target."""

    def __init__(self, target):
        super().__init__()
        self.target = target

    def on_epoch_end(self, epoch, logs=None):
        if logs["accuracy"] >= self.target:
            self.model.stop_training = True''' if config.target_accuracy else ""
    names = ", ".join(f'"{IDX_FILES[k]}"' for k in ("train_images", "train_labels", "test_images", "test_labels"))
    return [
        ("Setup", "import gzip\nimport os\nfrom pathlib import Path\n\nimport keras\nimport numpy as np\n\n"
                  f"SEED = {config.seed}\nEPOCHS = {config.epochs}\nBATCH_SIZE = {config.batch_size}\n"
                  f"VALIDATION_SPLIT = {config.validation_split:g}\nLEARNING_RATE = {config.learning_rate:g}\n"
                  + (f"TARGET_ACCURACY = {config.target_accuracy:g}\n" if config.target_accuracy else "")
                  + f"CLASS_NAMES = {list(CLASS_NAMES)!r}\nFILES = [{names}]\n\n"
                  "keras.utils.set_random_seed(SEED)  # the same start weights and shuffling on every run"),
        ("Load the data", _LOAD.format(debian=DEBIAN_DIR)),
        ("Prepare the pixels", "x_train, x_test = x_train / 255.0, x_test / 255.0  # 0-255 to 0-1"
         if config.normalize else "# raw pixels 0-255, not normalised (as in this run)"),
        ("Build the network", "model = keras.Sequential([\n" + "\n".join(layers) + "\n])\nmodel.compile(\n"
         "    optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),\n"
         '    loss="sparse_categorical_crossentropy",\n    metrics=["accuracy"],\n)\nmodel.summary()'
         + stop_class),
        ("Train", f"callbacks = [{', '.join(callbacks)}]\nhistory = model.fit(x_train, y_train, epochs=EPOCHS, "
                  "batch_size=BATCH_SIZE,\n                    validation_split=VALIDATION_SPLIT, "
                  "callbacks=callbacks)"),
        ("Evaluate on the test set", "test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)\n"
                                     'print(f"test accuracy: {test_accuracy:.4f}")'),
        ("Look at the predictions", _PLOT.format()),
    ]


def keras_script(config: RunConfig) -> str:
    """A plain Keras script (no fmnist_core) that rebuilds, trains and evaluates ``config``."""
    body = "\n\n\n".join(f"# {'-' * 75} {title}\n{code}" for title, code in sections(config))
    return (f'"""Fashion-MNIST Lab run: {config.describe()}.\n\nRebuilt in plain Keras from the app '
            f'(run key {config.key}). Run: python this_file.py\n"""\n\n{body}\n')


def notebook(config: RunConfig) -> str:
    """The script as a Jupyter notebook (nbformat 4): a heading cell before each step's code cell."""
    import nbformat

    book = nbformat.v4.new_notebook()
    book.cells.append(nbformat.v4.new_markdown_cell(f"# Fashion-MNIST Lab run\n{config.describe()} "
                                                    f"(run key `{config.key}`), rebuilt in plain Keras."))
    for title, code in sections(config):
        book.cells += [nbformat.v4.new_markdown_cell(f"## {title}"), nbformat.v4.new_code_cell(code)]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.writes(book)


def history_csv(result: RunResult) -> str:
    """epoch, loss, accuracy, val_loss, val_accuracy: one line per epoch."""
    out = io.StringIO()
    names = list(result.history)
    writer = csv.writer(out)
    writer.writerow(["epoch", *names])
    for epoch in range(result.epochs_run):
        writer.writerow([epoch + 1, *(f"{result.history[n][epoch]:.6g}" for n in names)])
    return out.getvalue()


def summary_json(result: RunResult) -> str:
    """The run's configuration, history and test metrics as JSON."""
    return json.dumps(result.to_dict(), indent=1)
