"""fmnist_core.net and forward: the Keras network and what it computes."""
