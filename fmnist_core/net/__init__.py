"""The network: the Keras model, the fast training loop, callbacks, the NumPy forward pass, the mistakes.

The only part of fmnist_core that imports TensorFlow, and only inside these modules (never from this file),
so importing ``fmnist_core.net`` stays cheap.
"""
