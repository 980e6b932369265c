"""The network: the Keras model, the fast training loop and its callbacks, the mistakes, the tutorial's own fit.

The only part of fmnist_core that imports TensorFlow, and only inside these modules (never from this file),
so importing ``fmnist_core.net`` stays cheap. ``listener`` (what hears a run, and its cancel exception) and
``mistakes`` (its ``MistakeOutcome``; Keras only inside its functions) are TensorFlow-free at import, so the web
process may use them; ``model``, ``fast_fit``, ``callbacks`` and ``tutorial`` are for worker processes.
"""
