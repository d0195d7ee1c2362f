"""Tune streams for stream-context training: each batch row reads its own shuffled stream of whole tunes.

``TrainConfig.context`` ``stream`` trains as char-rnn does (truncated backpropagation through time): row ``r`` of
every batch reads the training tunes (each followed by the blank line that ends it in the training text) in its own
shuffled order, one window of ``length`` characters after the other, and the trainer carries the LSTM state (h, c)
from one step to the next, detached. A *pass* is one reading of the whole pool; when a row's pass is read (the last
part shorter than a window is skipped) the row starts a new pass in a new order, with a zero state: the reset mask
says which rows start over at a step. Orders depend on (seed, rank, row, pass) alone, so the position (pass and
window per row, :meth:`TuneStreams.state_dict`) is all a checkpoint needs to continue exactly; under data-parallel
training each rank reads its own streams and rank 0 reads what a single process would.

Validation of a stream run reads whole tunes from a zero state (what sampling faces): :func:`validation_tunes` picks
a fixed subset of them within a character budget.
"""

from __future__ import annotations

import hashlib

import torch

from studio.core.quality.scoring import TUNE_ENDING


def _order_seed(*parts: int) -> int:
    """A 63-bit seed from the parts (stable across runs and machines, unlike Python's ``hash``)."""
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


class TuneStreams:
    """``rows`` streams over tunes given as codes: ``data`` (all tunes back to back) and each tune's ``lengths``."""

    def __init__(self, data: torch.Tensor, lengths: list[int], rows: int, length: int, seed: int, rank: int = 0):
        if sum(lengths) != len(data) or not lengths:
            raise ValueError("the tune lengths must add up to the data")
        self.data = data
        self.lengths = torch.tensor(lengths, dtype=torch.long)
        self.starts = torch.cumsum(self.lengths, 0) - self.lengths
        self.rows, self.length, self.seed, self.rank = rows, length, seed, rank
        #: windows per pass: every window needs its target, one character further
        self.windows_per_pass = (len(data) - 1) // length
        if self.windows_per_pass < 1:
            raise ValueError("the tunes are shorter than one window")
        self.passes = [0] * rows
        self.windows = [0] * rows  # the next window of each row's current pass
        self._orders: dict[int, tuple[int, torch.Tensor, torch.Tensor]] = {}  # row -> (pass, order, ends)

    def order(self, row: int, pass_number: int) -> torch.Tensor:
        """The tune indices of ``row``'s pass ``pass_number``, in reading order."""
        generator = torch.Generator().manual_seed(_order_seed(self.seed, self.rank, row, pass_number))
        return torch.randperm(len(self.lengths), generator=generator)

    def _row_window(self, row: int) -> torch.Tensor:
        cached = self._orders.get(row)
        if cached is None or cached[0] != self.passes[row]:
            order = self.order(row, self.passes[row])
            cached = self._orders[row] = (self.passes[row], order, torch.cumsum(self.lengths[order], 0))
        _, order, ends = cached
        positions = self.windows[row] * self.length + torch.arange(self.length + 1)
        which = torch.searchsorted(ends, positions, right=True)
        tunes = order[which]
        return self.data[self.starts[tunes] + positions - (ends[which] - self.lengths[tunes])]

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(inputs, targets) of shape (rows, length) and ``reset`` (rows,), true where a row's stream starts over
        (its carried state must be zero); advances every row by one window."""
        chunks, reset = [], []
        for row in range(self.rows):
            if self.windows[row] >= self.windows_per_pass:
                self.passes[row] += 1
                self.windows[row] = 0
            reset.append(self.windows[row] == 0)
            chunks.append(self._row_window(row))
            self.windows[row] += 1
        chunk = torch.stack(chunks)
        return chunk[:, :-1], chunk[:, 1:], torch.tensor(reset)

    def state_dict(self) -> dict:
        """The position of every row (plain lists: a checkpoint stores it)."""
        return {"passes": list(self.passes), "windows": list(self.windows)}

    def load_state_dict(self, state: dict) -> None:
        if len(state["passes"]) != self.rows or len(state["windows"]) != self.rows:
            raise ValueError(f"the stream position has {len(state['passes'])} rows, the batch {self.rows}")
        self.passes = [int(p) for p in state["passes"]]
        self.windows = [int(w) for w in state["windows"]]


def carried_state(state: tuple[torch.Tensor, torch.Tensor] | None, reset: torch.Tensor):
    """The LSTM state (h, c) to start a step from: ``state`` with the rows that start over set to zero (None, a zero
    state, when nothing is carried or every row starts over)."""
    if state is None or bool(reset.all()):
        return None
    keep = (~reset).to(state[0].dtype).to(state[0].device)[None, :, None]
    return tuple(s * keep for s in state)


def validation_tunes(tunes, characters: int, seed: int = 0) -> list:
    """A fixed subset of ``tunes`` (in a shuffled order fixed by ``seed``) holding at most ``characters`` characters
    (at least one tune): cheap enough to read whole at every validation."""
    tunes = list(tunes)
    chosen, total = [], 0
    for index in torch.randperm(len(tunes), generator=torch.Generator().manual_seed(seed)).tolist():
        size = len(tunes[index].text) + len(TUNE_ENDING)
        if chosen and total + size > characters:
            break
        chosen.append(tunes[index])
        total += size
    return chosen
