"""What the numbers mean: experiments and their conclusions, challenges, the compare findings, the Common mistakes.

Every lesson sentence a teacher or translator looks for is here; Keras stays in ``fmnist_core.net``.
"""

from . import compare
from .challenges import READY, Challenge, LinkControls, link_controls
from .experiments import EXPERIMENTS, Experiment, best_final_sentence, parse_values, sweep_labels, table
from .mistakes import MISTAKES, Mistake

__all__ = ["EXPERIMENTS", "MISTAKES", "READY", "Challenge", "Experiment", "LinkControls", "Mistake",
           "best_final_sentence", "compare", "link_controls", "parse_values", "sweep_labels", "table"]
