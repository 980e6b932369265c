"""Runs: training a RunConfig, its result, the run cache on disk, lineage, exports, evaluation.

TensorFlow is imported only when a run is really trained or its Keras model loaded (through ``net``).
"""
