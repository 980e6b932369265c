"""python -m fmnist_core: the command line."""
