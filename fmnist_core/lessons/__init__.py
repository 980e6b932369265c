"""What the numbers mean: experiments and their conclusions, challenges, the compare findings, the Common mistakes.

Every lesson sentence a teacher or translator looks for is here; Keras stays in ``fmnist_core.net``.
"""
