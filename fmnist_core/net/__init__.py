"""The network: the Keras model, the fast training loop and its callbacks, the mistakes, the tutorial's own fit.

The only part of fmnist_core that imports TensorFlow, and only inside these modules (never from this file),
so importing ``fmnist_core.net`` stays cheap. Only worker processes import ``net``; what it reports (the
listener, ``TrainingCancelled``, ``MistakeOutcome``) lives below it, in ``fmnist_core.reports``.
"""
