"""A fast hand-written tokenizer for the ABC subset of folk tunes, with pitches, durations and bars.

One compiled regular expression splits the text into tokens in a single left-to-right pass (linear time, no
backtracking blow-ups); a second loop over the tokens tracks the musical state: meter (``M:``), unit note length
(``L:``, default from the meter per the ABC standard), key signature (``K:`` incl. modes such as Dmix, Ador; these
field values are read by :mod:`studio.core.abc.fields`), bar-scoped accidentals, chords, tuplets, broken rhythm and
grace notes. Each note gets a MIDI pitch and a duration as a :class:`~fractions.Fraction` of a whole note.
:func:`scan_tune` also groups the notes into bars.

The spellings (which ``!`` is a decoration and which a line break, back quotes, ``y`` spacers, ``[|]``...) are
read by :mod:`studio.core.abc.lexer`; this module gives the tokens their time and pitch.

Nothing here raises on bad input: characters that are no ABC become ``unknown`` tokens, absurd lengths and pitches
outside MIDI are clamped and flagged in :attr:`Token.problem`, so :mod:`studio.core.abc.validate` can report them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from math import lcm

from studio.core.abc.fields import (ACCIDENTAL_SHIFT, default_unit_length, key_accidentals, meter_parts, parse_meter,
                                    parse_unit_length)
from studio.core.abc.lexer import FIELD_PARTS, NOTE_PARTS, UNIT_FACTOR, lex, parse_length

__all__ = ["BROKEN_FACTORS", "LONGEST_DURATION", "SHORTEST_DURATION", "Bar", "ScannedTune", "Token",
           "parse_tuplet", "scan_tune", "tokenize"]

#: Shortest and longest single duration (fractions of a whole note) accepted as plausible; a note may also last up
#: to two bars of a long meter (``M:4/1``: Essen's songs) or 16 unit lengths (``L:1/2``: Josquin's long rests).
SHORTEST_DURATION = Fraction(1, 256)
LONGEST_DURATION = Fraction(2)
_MAX_TUPLET = 64
_ONE = UNIT_FACTOR

_NATURAL_PITCH = {"C": 60, "D": 62, "E": 64, "F": 65, "G": 67, "A": 69, "B": 71}
BROKEN_FACTORS = {">": (Fraction(3, 2), Fraction(1, 2)), ">>": (Fraction(7, 4), Fraction(1, 4)),
                   ">>>": (Fraction(15, 8), Fraction(1, 8)), "<": (Fraction(1, 2), Fraction(3, 2)),
                   "<<": (Fraction(1, 4), Fraction(7, 4)), "<<<": (Fraction(1, 8), Fraction(15, 8))}
_DEFAULT_TUPLET_Q = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}


def parse_tuplet(text: str, meter_numerator: int) -> tuple[Fraction, int] | None:
    """Time factor q/p and note count r of a tuplet token ``(p``, ``(p:q`` or ``(p:q:r``; None when absurd.

    A missing q takes the ABC standard's default (3 for p = 2, 4 or 8, 2 for 3 or 6, else 3 in compound meters and
    2 in simple ones).
    """
    numbers = text[1:].split(":")
    try:
        p = int(numbers[0][:3])
        q = int(numbers[1][:3]) if len(numbers) > 1 and numbers[1] else 0
        r = int(numbers[2][:3]) if len(numbers) > 2 and numbers[2] else p
    except ValueError:
        return None
    if not q:
        compound = meter_numerator % 3 == 0 and meter_numerator > 3
        q = _DEFAULT_TUPLET_Q.get(p, 3 if compound else 2)
    if p <= 1 or q <= 0 or p > _MAX_TUPLET or r <= 0 or r > _MAX_TUPLET:
        return None
    return Fraction(q, p), r


@dataclass(slots=True)
class Token:
    """One piece of ABC text. Notes and rests carry ``duration`` (whole notes) and notes a MIDI ``pitch``.

    ``advance`` is how far the token moves the time of its bar: the duration for melody notes and rests, the
    first note's duration for a chord (held by the first note, 0 for the others), 0 for grace notes.
    ``problem`` names what is wrong with the token, if anything (``absurd_length``, ``pitch_out_of_range``,
    ``unclosed``).
    """

    kind: str
    text: str
    line: int
    column: int
    offset: int
    pitch: int | None = None
    duration: Fraction | None = None
    advance: Fraction = Fraction(0)
    problem: str | None = None


@dataclass(slots=True)
class Bar:
    """Notes between two bar lines, with their total time (``duration``, whole notes) and the meter in force.

    A bar may be empty (two bar lines in a row, e.g. ``:|`` at the end of a line and ``|:`` at the start of the
    next): abc2midi checks the time carried into it, so the bar view keeps it.
    """

    index: int
    notes: list[Token]
    duration: Fraction
    meter: Fraction | None
    line: int
    column: int
    opening: str = ""
    closing: str = ""
    ending: str | None = None

    @property
    def pitches(self) -> list[int]:
        """MIDI pitches of the bar's melody notes (chord tops excluded, grace notes excluded)."""
        return [t.pitch for t in self.notes if t.kind == "note" and t.advance and t.pitch is not None]


@dataclass(slots=True)
class ScannedTune:
    """A tokenized tune: tokens, bars and the header values the tokenizer used."""

    tokens: list[Token]
    bars: list[Bar]
    fields: dict[str, str] = field(default_factory=dict)
    meter: Fraction | None = None
    unit_length: Fraction = Fraction(1, 8)
    key: str = "C"

    def melody(self) -> list[Token]:
        """Notes that carry the tune, in order: one per chord (its first note), no grace notes."""
        return [t for t in self.tokens if t.kind == "note" and t.advance and t.pitch is not None]


@lru_cache(maxsize=4096)
def _note_parts(text: str) -> tuple[str | None, str, int, str]:
    """A note token's accidental, letter (upper case), natural MIDI pitch (octave marks applied) and length."""
    accidental, letter, octave_marks, length = NOTE_PARTS.match(text).groups()
    natural = _NATURAL_PITCH[letter.upper()] + (12 if letter.islower() else 0)
    natural += 12 * (octave_marks.count("'") - octave_marks.count(","))
    return accidental, letter.upper(), natural, length


class _State:
    """The musical context while walking the tokens of one tune."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.meter: Fraction | None = None
        self.meter_numerator = 4
        self.bar_longest = self.longest = LONGEST_DURATION  # the meter's limit; with the unit's: longest
        self.unit_length: Fraction | None = None
        self.key = "C"
        self.key_shift = key_accidentals("C")
        self.bar_shift: dict[int, int] = {}
        self.in_chord = False
        self.chord_notes: list[Token] = []
        self.in_grace = False
        self.tuplet_left = 0
        self.tuplet_factor = _ONE
        self.broken_next = _ONE
        self.last_item: list[Token] = []
        self._lengths_unit: Fraction | None = None
        self._lengths: dict[str, tuple[Fraction, bool, bool]] = {}

    def unit(self) -> Fraction:
        if self.unit_length is None:
            self.unit_length = default_unit_length(self.meter)
        return self.unit_length

    def apply_field(self, name: str, value: str, first: bool) -> None:
        if first:
            self.fields.setdefault(name, value.strip())
        if name == "M":
            self.meter = parse_meter(value)
            parts = meter_parts(value)
            self.meter_numerator = parts[0] if parts else 4
            self.bar_longest = max(LONGEST_DURATION, 2 * self.meter) if self.meter else LONGEST_DURATION
            self._lengths_unit = None
        elif name == "L":
            self.unit_length = parse_unit_length(value) or self.unit_length
            self._lengths_unit = None
        elif name == "K":
            self.key = value.strip() or "C"
            self.key_shift = key_accidentals(self.key)
            if self.unit_length is None:
                self.unit_length = default_unit_length(self.meter)

    def length(self, suffix: str) -> tuple[Fraction, bool, bool]:
        """(duration, absurd, in range) of a length suffix at the unit length in force, cached per unit."""
        unit = self.unit()
        if unit is not self._lengths_unit:
            self._lengths_unit, self._lengths = unit, {}
            self.longest = max(self.bar_longest, 16 * unit)
        known = self._lengths.get(suffix)
        if known is None:
            multiplier, absurd = parse_length(suffix)
            duration = unit * multiplier
            known = (duration, absurd, SHORTEST_DURATION <= duration <= self.longest)
            self._lengths[suffix] = known
        return known

    def timed(self, tokens: list[Token], multiplier: Fraction) -> None:
        """Applies tuplet and broken-rhythm factors to a note, rest or chord that just ended."""
        if multiplier is _ONE and self.broken_next is _ONE and self.tuplet_left <= 0:
            tokens[0].advance = tokens[0].duration  # no factor: the common case, without Fraction arithmetic
            self.last_item = tokens
            return
        factor = multiplier * self.broken_next
        self.broken_next = _ONE
        if self.tuplet_left > 0:
            factor *= self.tuplet_factor
            self.tuplet_left -= 1
        for token in tokens:
            token.duration = token.duration * factor
        tokens[0].advance = tokens[0].duration
        self.last_item = tokens

    def start_tuplet(self, token: Token) -> None:
        parsed = parse_tuplet(token.text, self.meter_numerator)
        if parsed is None:
            token.problem = "absurd_length"
            return
        self.tuplet_factor, self.tuplet_left = parsed

    def broken(self, token: Token) -> None:
        before, after = BROKEN_FACTORS[token.text]
        if not self.last_item:
            token.problem = "dangling"
            return
        for note in self.last_item:
            note.duration = note.duration * before
        self.last_item[0].advance = self.last_item[0].duration
        self.broken_next = after

    def note(self, token: Token) -> None:
        accidental, letter, natural, length = _note_parts(token.text)
        if accidental is not None:
            shift = ACCIDENTAL_SHIFT[accidental]
            if not self.in_grace:
                self.bar_shift[natural] = shift
        else:
            shift = self.bar_shift.get(natural, self.key_shift[letter])
        pitch = natural + shift
        if pitch < 0 or pitch > 127:
            token.problem = "pitch_out_of_range"
            pitch = max(0, min(127, pitch))
        token.pitch = pitch
        duration, absurd, in_range = self.length(length)
        if absurd:
            token.problem = "absurd_length"
        token.duration = duration
        if self.in_grace:
            token.kind = "grace_note"
            token.duration = Fraction(0)
        elif self.in_chord:
            self.chord_notes.append(token)
        else:
            self.timed([token], _ONE)
        if token.duration is not duration:
            in_range = SHORTEST_DURATION <= token.duration <= self.longest
        if token.duration and not in_range and not self.in_chord:
            token.problem = token.problem or "absurd_length"

    def rest(self, token: Token) -> None:
        duration, absurd, in_range = self.length(token.text[1:])
        if absurd:
            token.problem = "absurd_length"
        token.duration = duration
        if self.in_chord:
            return
        self.timed([token], _ONE)
        if token.duration is not duration:
            in_range = SHORTEST_DURATION <= token.duration <= self.longest
        if not in_range:
            token.problem = token.problem or "absurd_length"

    def chord_end(self, token: Token) -> None:
        if not self.in_chord:
            token.problem = "stray"
            return
        self.in_chord = False
        if self.chord_notes:
            multiplier, absurd = parse_length(token.text[1:])
            if absurd:
                token.problem = "absurd_length"
            self.timed(self.chord_notes, multiplier)
            if not SHORTEST_DURATION <= self.chord_notes[0].duration <= self.longest:
                token.problem = token.problem or "absurd_length"
        self.chord_notes = []


def tokenize(text: str) -> list[Token]:
    """Splits ABC text into tokens with pitches and durations (see :func:`scan_tune` for bars)."""
    return scan_tune(text).tokens


def _total_advance(notes: list[Token]) -> Fraction:
    """The sum of the notes' advances, exactly as ``sum`` of the Fractions gives it, in integers: a bar's notes
    mostly share a denominator, and one Fraction made at the end costs far less than one per addition (summing the
    bars was a third of the tokenizer's time on long texts)."""
    numerator, denominator = 0, 1
    for token in notes:
        advance = token.advance
        top, bottom = advance.numerator, advance.denominator
        if bottom == denominator:
            numerator += top
        elif top:
            common = lcm(denominator, bottom)
            numerator = numerator * (common // denominator) + top * (common // bottom)
            denominator = common
    return Fraction(numerator, denominator)


def _bar_closed(bars: list[Bar], notes: list[Token], duration: Fraction, state: _State, token: Token | None,
                opening: str, ending: str | None) -> None:
    if not notes and (not bars or token is None):
        return  # bar lines before the first note, or nothing after the last bar line
    line, column = (token.line, token.column) if token is not None else (notes[-1].line, notes[-1].column)
    bars.append(Bar(len(bars), notes, duration, state.meter, line, column, opening,
                    token.text if token is not None else "", ending))


def scan_tune(text: str) -> ScannedTune:
    """Tokenizes one tune and groups its notes into bars, tracking meter, unit length and key."""
    tokens: list[Token] = []
    bars: list[Bar] = []
    state = _State()
    line = 1
    line_start = 0
    in_header = True
    bar_notes: list[Token] = []
    bar_time = Fraction(0)
    opening = ""
    ending: str | None = None
    append = tokens.append
    for kind, piece, start in lex(text):
        token = Token(kind, piece, line, start - line_start, start)
        append(token)
        if kind == "newline":
            line += 1
            line_start = start + 1
        elif kind == "note":
            state.note(token)
            bar_notes.append(token)
        elif kind == "rest":
            state.rest(token)
            bar_notes.append(token)
        elif kind == "chord_start":
            if state.in_chord:
                token.problem = "nested"
            state.in_chord = True
            state.chord_notes = []
        elif kind == "chord_end":
            state.chord_end(token)
        elif kind == "bar" or kind == "ending":
            if kind == "bar":
                bar_time = _total_advance(bar_notes)
                _bar_closed(bars, bar_notes, bar_time, state, token, opening, ending)
                bar_notes = []
                opening = token.text
                digits = token.text.lstrip(":|[]").lstrip(":|]")
                ending = digits if digits[:1].isdigit() else None
                state.bar_shift = {}
                state.last_item = []
                if state.in_chord:
                    state.in_chord = False
                    state.chord_notes = []
            else:
                ending = token.text[1:]
        elif kind == "field" or kind == "inline_field":
            parts = FIELD_PARTS.match(token.text)
            if parts:
                name, value = parts.group(1), parts.group(2)
                state.apply_field(name, value, first=in_header)
                if name == "K":
                    in_header = False
        elif kind == "broken":
            state.broken(token)
        elif kind == "tuplet":
            state.start_tuplet(token)
        elif kind == "grace_start":
            state.in_grace = True
        elif kind == "grace_end":
            state.in_grace = False
        elif kind == "annotation":
            if len(token.text) < 2 or not token.text.endswith('"'):
                token.problem = "unclosed"
    if state.in_chord:
        # notes of an unclosed chord still take the first note's time
        if state.chord_notes:
            state.timed(state.chord_notes, Fraction(1))
    bar_time = _total_advance(bar_notes)
    _bar_closed(bars, bar_notes, bar_time, state, None, opening, ending)
    return ScannedTune(tokens, bars, state.fields, _first_meter(state), state.unit(), state.key)


def _first_meter(state: _State) -> Fraction | None:
    value = state.fields.get("M")
    return parse_meter(value) if value is not None else state.meter
