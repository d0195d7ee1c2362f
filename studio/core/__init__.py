"""The headless heart of ABC Studio: corpus, model, training, sampling, music. Never imports Qt."""
