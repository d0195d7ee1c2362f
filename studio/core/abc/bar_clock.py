"""The bar clock: how far into its bar a tune stands after each unit of its text, the network's second input.

A character model has to count a bar's time from the characters alone, and mostly fails at it (the free tunes' bars
add up in abc2midi's eyes a quarter of the time). With ``ModelConfig.clock`` ``bar`` the network also reads, beside
each unit, the time written so far in the current bar as a share of the meter, in :data:`STEPS` steps of a bar
(a note being written counts with the length its suffix gives so far, as ``A2`` then ``A3`` would); the model still
chooses every character itself. The clock is read with :class:`~studio.core.abc.rhythm.RhythmState`, the tracker
strict sampling feeds, so training, scoring and sampling read the same clock from the same text.

Codes: :data:`HEADER` before the body (the header lines), :data:`UNMEASURED` in a body without a meter or unit
length it can read (``M:none``), ``FIRST_STEP + k`` for ``k`` steps of the bar written (``k = STEPS`` exactly full),
:data:`OVERFULL` beyond the meter.
"""

from __future__ import annotations

import math
from fractions import Fraction

from studio.core.abc.lexer import parse_length
from studio.core.abc.rhythm import RhythmState

#: Steps of a bar the clock tells apart: 24 divides evenly into halves, thirds, quarters, sixths and eighths.
STEPS = 24
HEADER, UNMEASURED, FIRST_STEP = 0, 1, 2
OVERFULL = FIRST_STEP + STEPS + 1
#: How many codes the clock has (the size of the network's clock embedding).
CLOCK_CODES = OVERFULL + 1
#: ``ModelConfig.clock`` values: ``none`` (the lab's network, text alone) or ``bar`` (the text and the bar clock).
CLOCKS = ("none", "bar")


def _pending(state: RhythmState) -> Fraction:
    """The time of the note or rest being written (its suffix so far), 0 when none is."""
    if state.mode not in ("note", "rest") or state.context != "idle" or state.pending_base is None:
        return Fraction(0)
    duration = state.pending_base * parse_length(state.tok)[0] * state.broken_next
    return duration * state.tuplet_factor if state.tuplet_left else duration


def clock_code(state: RhythmState) -> int:
    """The clock's code for where ``state`` stands (see the module docstring)."""
    if state.phase != "body":
        return HEADER
    if not state.meter or state.unit is None:
        return UNMEASURED
    share = (state.used + _pending(state)) / state.meter
    if share > 1:
        return OVERFULL
    return FIRST_STEP + math.floor(share * STEPS)


class BarClock:
    """The clock read one unit at a time (a sampler's row): :meth:`feed` a unit's text, get its code. A blank line
    ends a tune (as in the training text): the clock starts again, in a header, after it."""

    def __init__(self) -> None:
        self.state = RhythmState()
        self._fed = ""  # the last two characters fed

    def copy(self) -> "BarClock":
        """A clock that has read what this one has (cheap: the state is a flat record)."""
        clone = BarClock()
        clone.state, clone._fed = self.state.copy(), self._fed
        return clone

    def feed(self, unit: str) -> int:
        if self._fed == "\n\n":
            self.state, self._fed = RhythmState(), ""
        for ch in unit:
            self.state.feed(ch)
        self._fed = (self._fed + unit)[-2:]
        return clock_code(self.state)


def clock_codes(units, clock: BarClock | None = None) -> list[int]:
    """The clock's code after each of ``units`` (characters, or tokens) of a text of whole tunes, read from its start
    (or on from what ``clock`` has read: it is fed)."""
    clock = clock or BarClock()
    return [clock.feed(unit) for unit in units]
