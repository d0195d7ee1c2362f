"""What the network reads at each step: a unit's code, or (``ModelConfig.clock`` ``bar``, ``strain``) the code and the
clock's.

Inputs are kept as one tensor so that everything that cuts, pads, batches and streams codes handles both alike: codes
alone are (..., time) and a clocked network's inputs (..., time, 2), the unit's code first and the clock's code
(:mod:`studio.core.abc.bar_clock`) second. Targets are always the unit codes (:func:`unit_codes`). The clock is read
from the units the model reads (decoded back from their codes), so training, scoring and sampling agree.
"""

from __future__ import annotations

import torch

from studio.core.abc.bar_clock import BarClock, clock_codes

__all__ = ["RowClocks", "clocked", "network_inputs", "text_inputs", "unit_codes"]


def network_inputs(codes: list[int], vocabulary, clock: str, reader: BarClock | None = None) -> list:
    """``codes`` (a text of whole tunes, coded by ``vocabulary``) as the network reads them: the codes themselves, or
    ``[code, clock code]`` pairs for a clocked network, read from the text's start or on from what ``reader`` has
    read (it is fed)."""
    if clock == "none":
        return codes
    units = [vocabulary.decode([code]) for code in range(len(vocabulary))]
    ticks = clock_codes((units[code] for code in codes), reader or BarClock(clock))
    return [[code, tick] for code, tick in zip(codes, ticks)]


def text_inputs(text: str, vocabulary, clock: str) -> list:
    """``text`` (whole tunes, every character known to ``vocabulary``) coded and, for a clocked network, clocked:
    what the network reads of it."""
    return network_inputs(vocabulary.encode(text), vocabulary, clock)


def clocked(codes: torch.Tensor, ticks: list[int] | None) -> torch.Tensor:
    """One step's inputs for a batch of rows: ``codes`` (rows,) with each row's clock code (``ticks``; None for a
    network without a clock) -> (rows, 1) or (rows, 1, 2)."""
    codes = codes.view(-1, 1)
    if ticks is None:
        return codes
    return torch.stack([codes, torch.tensor(ticks, dtype=torch.long, device=codes.device).view(-1, 1)], dim=-1)


def unit_codes(inputs: torch.Tensor) -> torch.Tensor:
    """The unit codes of network inputs (the inputs themselves for a network without a clock)."""
    return inputs[..., 0] if inputs.dim() == 3 else inputs


class RowClocks:
    """The clocks of the rows a sampler writes, one :class:`BarClock` per row (nothing for a network without one)."""

    def __init__(self, clock: str, rows: int):
        self.rows = rows
        self.clocks = [BarClock(clock) for _ in range(rows)] if clock != "none" else None

    def primer(self, codes: list[int], units: list[str]) -> torch.Tensor:
        """The network's inputs for the primer every row starts from: (rows, time) or (rows, time, 2)."""
        rows = torch.tensor([codes] * self.rows, dtype=torch.long)
        if self.clocks is None:
            return rows
        ticks = [self.clocks[0].feed(unit) for unit in units]  # read once, then every row goes on from there
        self.clocks = [self.clocks[0]] + [self.clocks[0].copy() for _ in self.clocks[1:]]
        return torch.stack([rows, torch.tensor([ticks] * self.rows, dtype=torch.long)], dim=-1)

    def step(self, codes: torch.Tensor, units: list[str]) -> torch.Tensor:
        """One step's inputs: each row's next code (``codes``, (rows,)) and its text (``units``)."""
        return clocked(codes, None if self.clocks is None else [c.feed(u) for c, u in zip(self.clocks, units)])
