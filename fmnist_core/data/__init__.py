"""The data: Fashion-MNIST sources (IDX files, tensorflow-datasets, Debian), picture intake, statistics, the
nearest training images of a picture.

NumPy and Pillow only; nothing here imports TensorFlow.
"""

from .intake import LOW_CONFIDENCE, ImageError, PreparedImage, prepare_image
from .neighbours import PASS_SHARE, NeighbourIndex, Neighbours, distance_caption, neighbour_index, unlike_warning
from .sources import CLASS_NAMES, DataError, Dataset, class_label, class_names, load_fashion_mnist
from .statistics import (
    alike_caption,
    browse_alt,
    browse_caption,
    class_counts,
    counts_caption,
    mean_images,
    most_alike,
    pixel_histogram,
)

__all__ = ["CLASS_NAMES", "LOW_CONFIDENCE", "PASS_SHARE", "DataError", "Dataset", "ImageError", "NeighbourIndex",
           "Neighbours", "PreparedImage", "alike_caption", "browse_alt", "browse_caption", "class_counts",
           "class_label", "class_names", "counts_caption", "distance_caption", "load_fashion_mnist", "mean_images",
           "most_alike", "neighbour_index", "pixel_histogram", "prepare_image", "unlike_warning"]
