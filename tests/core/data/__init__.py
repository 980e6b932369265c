"""fmnist_core.data: the IDX files, uploaded pictures, the nearest training images."""
