"""The Quality tab: judging tunes against a corpus, and controlled experiments with their report."""
