"""The Train tab: corpus, settings, start from, the training worker, the live loss chart and the run's problems."""
