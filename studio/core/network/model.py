"""The character-level LSTM of the lab: embedding -> LSTM -> dense logits over the vocabulary.

A network with a bar clock (``ModelConfig.clock`` ``bar``; ``strain`` adds two more) adds an embedding of the
clock's codes (:mod:`studio.core.abc.bar_clock`) to each character's (inputs as
:mod:`studio.core.network.network_inputs` makes them). It starts at zero, so an untrained clock changes nothing,
and stays zero in the header, which reads as in the lab's network (a first pilot with a random clock embedding
learnt the headers 20% worse per character).

``ModelConfig`` holds everything needed to rebuild the network (a checkpoint stores it beside the weights).
"""

from __future__ import annotations

import torch
from torch import nn

from studio.core.abc.bar_clock import BAR_NUMBER_CODES, CLOCK_CODES, HEADER, PICKUP_CODES, split_codes
from studio.core.configs import ModelConfig

__all__ = ["CharLSTM", "pick_device"]


class CharLSTM(nn.Module):
    """Embedding, a (stacked) LSTM and a linear layer giving next-character logits."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        if config.vocab_size < 1:
            raise ValueError("ModelConfig.vocab_size must be set from the vocabulary")
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim)
        self.clock_embedding = self.pickup_embedding = self.bar_number_embedding = None
        if config.clock != "none":
            self.clock_embedding = self._silent_embedding(CLOCK_CODES)
        if config.clock == "strain":
            self.pickup_embedding = self._silent_embedding(PICKUP_CODES)
            self.bar_number_embedding = self._silent_embedding(BAR_NUMBER_CODES)
        self.lstm = nn.LSTM(
            config.embedding_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            batch_first=True,
        )
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)

    def _silent_embedding(self, codes: int) -> nn.Embedding:
        """A clock's embedding: it starts silent, and stays silent in the header (the lab's network until training
        moves it)."""
        embedding = nn.Embedding(codes, self.config.embedding_dim, padding_idx=HEADER)
        nn.init.zeros_(embedding.weight)
        return embedding

    def forward(self, codes: torch.Tensor, state=None):
        """codes: (batch, time) int64, or (batch, time, 2) with the bar clock -> logits (batch, time, vocab), new
        (h, c) state."""
        if self.clock_embedding is None:
            vectors = self.embedding(codes)
        elif codes.dim() == 3:
            bar, pickup, number = split_codes(codes[..., 1])
            vectors = self.embedding(codes[..., 0]) + self.clock_embedding(bar)
            if self.pickup_embedding is not None:
                vectors = vectors + self.pickup_embedding(pickup) + self.bar_number_embedding(number)
        else:
            raise ValueError("this network reads a bar clock beside the codes: inputs must be (batch, time, 2)")
        hidden, state = self.lstm(vectors, state)
        return self.head(self.dropout(hidden)), state

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` takes CUDA, then Apple's MPS, then the CPU; an explicit name that is unavailable raises ValueError."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA GPU is available")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError("device 'mps' was asked for but Apple's MPS is not available")
    if name not in ("cpu", "cuda", "mps"):
        raise ValueError(f"unknown device {name!r} (choose auto, cpu, cuda or mps)")
    return torch.device(name)
