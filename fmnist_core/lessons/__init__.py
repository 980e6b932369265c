"""What the numbers mean: the lessons' text (today the Common mistakes; experiments and challenges to follow)."""
