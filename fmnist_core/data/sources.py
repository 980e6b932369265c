"""Fashion-MNIST loading: IDX files, tensorflow-datasets, or Debian's data package.

Sources are tried in this order, the first that has the data wins:

1. ``$FMNIST_DATA_DIR``: a folder with the four IDX ``.gz`` files (explicit, so errors there are final);
2. a ``fashion_mnist`` data set that tensorflow-datasets has already prepared (no network);
3. ``/usr/share/datasets/fashion-mnist`` from Debian's ``dataset-fashion-mnist`` package;
4. tensorflow-datasets downloading it, only if the download host answers.
"""

from __future__ import annotations

import gzip
import os
import socket
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import settings
from ..i18n import N_, _, class_name, number

# The data set's ten labels in its order: English, as in the data set; ``i18n.class_name`` shows them translated.
CLASS_NAMES: tuple[str, ...] = (
    N_("T-shirt/top"),
    N_("Trouser"),
    N_("Pullover"),
    N_("Dress"),
    N_("Coat"),
    N_("Sandal"),
    N_("Shirt"),
    N_("Sneaker"),
    N_("Bag"),
    N_("Ankle boot"),
)


def class_label(index: int) -> str:
    """Class ``index`` as the reader sees it: translated, its English label beside it ('Mantel (Coat)')."""
    return class_name(CLASS_NAMES[int(index)])


def class_names() -> list[str]:
    """The ten classes as the reader sees them, in the data set's order (``class_label`` of each)."""
    return [class_name(name) for name in CLASS_NAMES]

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
_IMAGE_MAGIC = 2051  # IDX: unsigned byte, 3 dimensions
_LABEL_MAGIC = 2049  # IDX: unsigned byte, 1 dimension
_TFDS_DOWNLOAD_HOST = ("storage.googleapis.com", 443)

NO_DATA_MESSAGE = N_(
    "No Fashion-MNIST data found. Install it offline with `sudo apt-get install dataset-fashion-mnist`, or set "
    "`FMNIST_DATA_DIR` to a folder holding the four IDX .gz files, or connect to the internet so "
    "tensorflow-datasets can download it."
)


class DataError(RuntimeError):
    """The data set is missing or one of its files is damaged; the message says which and how to fix it."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Fashion-MNIST as uint8 images (N, 28, 28) and uint8 labels (N,), plus where it came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def describe(self) -> str:
        """One line: sizes and source."""
        # Translators: {train}: e.g. "60,000"; {test}: e.g. "10,000"; {source}: where the data came from, as code,
        # e.g. "`/usr/share/datasets/fashion-mnist`"
        return _("{train} training and {test} test images, from {source}").format(
            train=number(len(self.x_train)), test=number(len(self.x_test)), source=f"`{self.source}`")


# --------------------------------------------------------------------------- IDX files


def read_idx(path: Path, expected_magic: int) -> np.ndarray:
    """Read one (optionally gzipped) IDX file, checking magic number, dimensions and size."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        # Translators: {path}: a data file, e.g. "/data/train-labels-idx1-ubyte.gz"
        raise DataError(_("{path}: file is missing").format(path=path)) from None
    except OSError as exc:
        # Translators: {path}: a data file; {reason}: the system's words, e.g. "Permission denied"
        raise DataError(_("{path}: cannot be read ({reason})").format(path=path, reason=exc.strerror or exc)) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError; bit flips raise zlib.error
            # Translators: {path}: a data file; {reason}: the gzip error, e.g. "Compressed file ended before the
            # end-of-stream marker was reached"
            raise DataError(_("{path}: cannot be decompressed ({reason}); the file is truncated or corrupt").format(
                path=path, reason=exc)) from None
    if len(raw) < 4:
        # Translators: {path}: a data file; {n}: its size in bytes, e.g. 3
        raise DataError(_("{path}: only {n} bytes, too short to be an IDX file").format(path=path, n=len(raw)))
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        # Translators: {path}: a data file; {magic}, {expected}: numbers, e.g. 2049, 2051
        sentence = (_("{path}: wrong magic number {magic} (an IDX image file has {expected})")
                    if expected_magic == _IMAGE_MAGIC else
                    # Translators: {path}: a data file; {magic}, {expected}: numbers, e.g. 2051, 2049
                    _("{path}: wrong magic number {magic} (an IDX label file has {expected})"))
        raise DataError(sentence.format(path=path, magic=magic, expected=expected_magic))
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        # Translators: {path}: a data file, e.g. "/data/t10k-images-idx3-ubyte.gz"
        raise DataError(_("{path}: header is truncated").format(path=path))
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if ndim == 3 and dims[1:] != (28, 28):
        # Translators: {path}: a data file; {width}, {height}: e.g. 32, 32
        raise DataError(_("{path}: images are {width}x{height}, expected 28x28").format(path=path, width=dims[1],
                                                                                   height=dims[2]))
    expected = int(np.prod(dims))
    actual = len(raw) - header
    if actual != expected:
        what = _("truncated") if actual < expected else _("longer than its header says")
        # Translators: {path}: a data file; {what}: "longer than its header says" or "truncated"; {expected},
        # {actual}: byte counts, e.g. "47,040,000", "1,024"
        raise DataError(_("{path}: {what}: header promises {expected} bytes of data, found {actual}").format(
            path=path, what=what, expected=number(expected), actual=number(actual)))
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _idx_path(folder: Path, filename: str) -> Path:
    """The ``.gz`` file, or its uncompressed twin when only that exists."""
    path = folder / filename
    plain = folder / filename.removesuffix(".gz")
    return plain if not path.exists() and plain.exists() else path


def load_idx_folder(folder: Path, source: str | None = None) -> Dataset:
    """Load the four Fashion-MNIST IDX files from ``folder`` and check that they agree."""
    folder = Path(folder)
    arrays = {}
    for name, filename in IDX_FILES.items():
        path = _idx_path(folder, filename)
        arrays[name] = read_idx(path, _IMAGE_MAGIC if name.endswith("images") else _LABEL_MAGIC)
    for split in ("train", "test"):
        n_images, n_labels = len(arrays[f"{split}_images"]), len(arrays[f"{split}_labels"])
        if n_images != n_labels:
            # Translators: {folder}: a data folder, e.g. "/data/fashion"; {images}, {labels}: counts, e.g. "60,000",
            # "59,999" (the same for the test images below)
            sentence = (_("{folder}: training images and labels disagree: {images} images but {labels} labels")
                        if split == "train" else
                        # Translators: as above, for the test images
                        _("{folder}: test images and labels disagree: {images} images but {labels} labels"))
            raise DataError(sentence.format(folder=folder, images=number(n_images), labels=number(n_labels)))
        labels = arrays[f"{split}_labels"]
        if labels.size and labels.max() >= len(CLASS_NAMES):
            # Translators: {folder}: a data folder, e.g. "/data/fashion"; {label}: e.g. 11
            sentence = (_("{folder}: training labels contain {label}, but classes are 0-9") if split == "train" else
                        # Translators: as above, for the test labels
                        _("{folder}: test labels contain {label}, but classes are 0-9"))
            raise DataError(sentence.format(folder=folder, label=labels.max()))
    return Dataset(
        x_train=arrays["train_images"],
        y_train=arrays["train_labels"],
        x_test=arrays["test_images"],
        y_test=arrays["test_labels"],
        source=source or f"IDX files in {folder}",
    )


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as a gzipped IDX file (used to make small test data sets)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def write_idx_folder(folder: Path, x_train, y_train, x_test, y_test) -> Path:
    """Write a data set as the four IDX ``.gz`` files Fashion-MNIST ships as."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in zip(IDX_FILES, (x_train, y_train, x_test, y_test), strict=True):
        write_idx(folder / IDX_FILES[name], array)
    return folder


# --------------------------------------------------------------------------- tensorflow-datasets


def _tfds_data_dir() -> Path:
    return Path(os.environ.get("TFDS_DATA_DIR", Path.home() / "tensorflow_datasets"))


def tfds_prepared() -> bool:
    """True when tensorflow-datasets has ``fashion_mnist`` on disk (checked without importing it)."""
    base = _tfds_data_dir() / "fashion_mnist"
    return any(base.glob("*/dataset_info.json"))


def _online(timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection(_TFDS_DOWNLOAD_HOST, timeout=timeout):
            return True
    except OSError:
        return False


def load_tfds(download: bool) -> Dataset:
    """Load ``fashion_mnist`` through tensorflow-datasets (downloading only if ``download``)."""
    import tensorflow_datasets as tfds

    splits = tfds.as_numpy(
        tfds.load("fashion_mnist", batch_size=-1, as_supervised=True, download=download,
                  data_dir=str(_tfds_data_dir()))
    )
    (x_train, y_train), (x_test, y_test) = splits["train"], splits["test"]
    how = "downloaded by" if download else "prepared by"
    return Dataset(
        x_train=x_train.reshape(-1, 28, 28).astype(np.uint8),
        y_train=y_train.astype(np.uint8),
        x_test=x_test.reshape(-1, 28, 28).astype(np.uint8),
        y_test=y_test.astype(np.uint8),
        source=f"tensorflow-datasets ({how} tensorflow-datasets in {_tfds_data_dir()})",
    )


# --------------------------------------------------------------------------- choosing a source


def _has_idx_files(folder: Path) -> bool:
    return all(_idx_path(folder, f).exists() for f in IDX_FILES.values())


def _load_uncached(env_dir: str | None) -> Dataset:
    if env_dir:
        folder = Path(env_dir)
        if not folder.is_dir():
            # Translators: {folder}: the environment variable's value, e.g. "/tmp/nothing"
            raise DataError(_("FMNIST_DATA_DIR={folder} is not a folder").format(folder=env_dir))
        return load_idx_folder(folder, source=f"FMNIST_DATA_DIR ({folder})")
    if tfds_prepared():
        return load_tfds(download=False)
    if _has_idx_files(DEBIAN_DIR):
        return load_idx_folder(DEBIAN_DIR, source=f"Debian package dataset-fashion-mnist ({DEBIAN_DIR})")
    if _online():
        try:
            return load_tfds(download=True)
        except ImportError:
            pass
    raise DataError(_(NO_DATA_MESSAGE))


_memory: dict[str, Dataset] = {}
_memory_lock = threading.Lock()


def load_fashion_mnist(data_dir: str | None = None) -> Dataset:
    """Load Fashion-MNIST from the first available source; later calls in this process are free.

    ``data_dir`` stands for ``$FMNIST_DATA_DIR`` when given ("" means unset): a worker process loads what the
    app server that asked for the run would load."""
    env_dir = (settings.text("FMNIST_DATA_DIR") if data_dir is None else data_dir) or None
    memo_key = env_dir or ""
    with _memory_lock:
        if memo_key not in _memory:
            _memory[memo_key] = _load_uncached(env_dir)
        return _memory[memo_key]


def forget_loaded_data() -> None:
    """Drop the in-memory copy (tests use this to reload changed files)."""
    with _memory_lock:
        _memory.clear()
