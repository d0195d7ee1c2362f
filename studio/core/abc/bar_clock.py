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

The strain clock (``ModelConfig.clock`` ``strain``) reads two more things beside the bar's: the strain's pickup (the
time of its first bar, in steps, once that bar is closed; a strain begins at the body's start and after any bar line
but '|' and an ending) and the number of the bar within its strain (the pickup is bar 0 with the first full bar),
which is what a strain's last bar needs to add up with its pickup (abc2midi's "in repeat" warnings). The three are one
code (:func:`clock_code`), split again by the network (:func:`split_codes`), so inputs stay (..., time, 2).
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
#: The strain clock's pickup codes: :data:`HEADER`, before the strain's first bar closes, a full first bar (or no
#: meter), then ``PICKUP_FIRST + k`` for a first bar of ``k`` steps.
PICKUP_UNKNOWN, PICKUP_NONE, PICKUP_FIRST = 1, 2, 3
PICKUP_CODES = PICKUP_FIRST + STEPS
#: The strain clock's bar numbers: :data:`HEADER`, then ``1 + n`` for the strain's bar ``n`` (at most this).
LAST_STRAIN_BAR = 16
BAR_NUMBER_CODES = LAST_STRAIN_BAR + 2
#: ``ModelConfig.clock`` values: ``none`` (the lab's network, text alone), ``bar`` (the text and the bar clock) or
#: ``strain`` (the bar clock, the strain's pickup and the bar's number in the strain).
CLOCKS = ("none", "bar", "strain")


def _pending(state: RhythmState) -> Fraction:
    """The time of the note or rest being written (its suffix so far), 0 when none is."""
    if state.mode not in ("note", "rest") or state.context != "idle" or state.pending_base is None:
        return Fraction(0)
    duration = state.pending_base * parse_length(state.tok)[0] * state.broken_next
    return duration * state.tuplet_factor if state.tuplet_left else duration


def _bar_code(state: RhythmState) -> int:
    if state.phase != "body":
        return HEADER
    if not state.meter or state.unit is None:
        return UNMEASURED
    share = (state.used + _pending(state)) / state.meter
    if share > 1:
        return OVERFULL
    return FIRST_STEP + math.floor(share * STEPS)


def _strain_code(state: RhythmState) -> int:
    """The pickup and bar-number codes as one: ``pickup + PICKUP_CODES * number``."""
    if state.phase != "body":
        return HEADER
    first = state.strain_first
    if first is None:
        pickup = PICKUP_UNKNOWN
    elif not state.meter or first >= state.meter:
        pickup = PICKUP_NONE
    else:
        pickup = PICKUP_FIRST + math.floor(first / state.meter * STEPS)
    number = state.strain_bars - (pickup >= PICKUP_FIRST)
    return pickup + PICKUP_CODES * (1 + min(max(number, 0), LAST_STRAIN_BAR))


def clock_code(state: RhythmState, clock: str = "bar") -> int:
    """The ``clock`` (``bar`` or ``strain``) code for where ``state`` stands (see the module docstring)."""
    code = _bar_code(state)
    return code + CLOCK_CODES * _strain_code(state) if clock == "strain" else code


def clock_code_count(clock: str) -> int:
    """How many codes ``clock`` (``bar`` or ``strain``) reads: every code is below it."""
    return CLOCK_CODES * (PICKUP_CODES * BAR_NUMBER_CODES if clock == "strain" else 1)


def split_codes(codes):
    """Clock codes (ints or an integer tensor) -> their bar, pickup and bar-number codes."""
    rest = codes // CLOCK_CODES
    return codes % CLOCK_CODES, rest % PICKUP_CODES, rest // PICKUP_CODES


class BarClock:
    """The clock (``bar`` or ``strain``) read one unit at a time (a sampler's row): :meth:`feed` a unit's text, get
    its code. A blank line ends a tune (as in the training text): the clock starts again, in a header, after it."""

    def __init__(self, clock: str = "bar") -> None:
        self.clock = clock
        self.state = RhythmState()
        self._fed = ""  # the last two characters fed

    def copy(self) -> "BarClock":
        """A clock that has read what this one has (cheap: the state is a flat record)."""
        clone = BarClock(self.clock)
        clone.state, clone._fed = self.state.copy(), self._fed
        return clone

    def feed(self, unit: str) -> int:
        if self._fed == "\n\n":
            self.state, self._fed = RhythmState(), ""
        for ch in unit:
            self.state.feed(ch)
        self._fed = (self._fed + unit)[-2:]
        return clock_code(self.state, self.clock)


def clock_codes(units, clock: BarClock | None = None) -> list[int]:
    """The clock's code after each of ``units`` (characters, or tokens) of a text of whole tunes, read from its start
    (or on from what ``clock`` has read: it is fed)."""
    clock = clock or BarClock()
    return [clock.feed(unit) for unit in units]
