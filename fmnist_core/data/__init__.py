"""The data: Fashion-MNIST sources (IDX files, tensorflow-datasets, Debian), picture intake, statistics.

NumPy and Pillow only; nothing here imports TensorFlow.
"""
