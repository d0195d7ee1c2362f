"""Judging: metrics, tonal measures, novelty, evaluation against a corpus, the critic, a model's loss, curve shapes."""
