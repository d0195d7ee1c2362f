"""The network: the character LSTM, its vocabulary, checkpoints, precision, data-parallel set-up, and what it sees in a text."""
