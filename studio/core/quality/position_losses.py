"""The loss of a model by the position of each predicted character in its tune (``score`` and the model card):
whether it reads the end of a tune, where the cadence is, as well as its header and first bars."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

#: Where ``CorpusScore.by_position`` cuts the tunes (characters from the tune's start): 0-100, 100-200, ... 500+.
POSITION_BOUNDS = (100, 200, 300, 500)


@dataclass
class PositionTotals:
    """Loss summed by the position of the predicted character in its tune (1 = the tune's second character), so a
    model's loss late in a tune (where a cadence is) can be told from its loss early on (the header)."""

    nats: list[float] = field(default_factory=list)
    characters: list[int] = field(default_factory=list)

    def add(self, nll: torch.Tensor, mask: torch.Tensor, first_position: int) -> None:
        """Adds a chunk: ``nll`` and ``mask`` (rows x steps), the chunk's first column predicting ``first_position``."""
        end = first_position + nll.shape[1]
        grow = end - len(self.nats)
        if grow > 0:
            self.nats += [0.0] * grow
            self.characters += [0] * grow
        sums = (nll * mask).sum(dim=0).double().tolist()
        counts = mask.sum(dim=0).tolist()
        for offset, (total, count) in enumerate(zip(sums, counts)):
            self.nats[first_position + offset] += total
            self.characters[first_position + offset] += int(count)

    def buckets(self, bounds: tuple[int, ...] = POSITION_BOUNDS) -> list[tuple[str, float, int]]:
        """``(label, nats per character, characters)`` for positions 0-100, 100-200, ... (``bounds``) and the rest."""
        edges = [0, *bounds, max(len(self.nats), bounds[-1])]
        rows = []
        for low, high in zip(edges, edges[1:]):
            count = sum(self.characters[low:high])
            label = f"{low}-{high}" if high != edges[-1] else f"{low}+"
            rows.append((label, math.fsum(self.nats[low:high]) / count if count else float("nan"), count))
        return rows
