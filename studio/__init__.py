"""ABC Studio: train small sequence models on folk music in ABC notation and play what they write."""

__version__ = "0.1.0"
