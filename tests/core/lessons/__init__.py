"""fmnist_core.lessons: experiments, common mistakes, challenges."""
