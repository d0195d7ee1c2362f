"""The subset of ABC that strict sampling writes, and the test that a bar can still be filled exactly.

Strict sampling reads any ABC (a primer may use all of it) but writes a plain subset: note lengths from
:data:`SUFFIXES`, header values from :data:`METERS`, :data:`UNIT_LENGTHS` and :data:`KEYS`, chord symbols that
abc2midi reads as chords (:func:`written_chord_symbols`), short ``!..!`` decorations, no ties, comments or inline
fields. :func:`fillable` answers whether the time left in a bar can be filled exactly with such notes;
:func:`feed_header` applies the header rules to a :class:`~studio.core.abc.rhythm.RhythmState`.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from studio.core.abc.lexer import parse_length
from studio.core.abc.tokenizer import LONGEST_DURATION, SHORTEST_DURATION, parse_tuplet

#: Note-length suffixes strict sampling may write (every real length in O'Neill's but a handful of 1-in-50,000).
SUFFIXES = ("", "2", "3", "4", "6", "8", "12", "/", "/2", "//", "/4", "/8", "3/", "3/2", "3/4", "7/2")
#: Bars are completed on a grid of this fraction of the unit length (the shortest suffix, ``/8``).
GRID = Fraction(1, 8)
#: Header values strict sampling may write.
METERS = ("2/4", "3/4", "4/4", "6/8", "9/8", "12/8", "C", "C|", "3/2", "2/2", "3/8", "6/4")
UNIT_LENGTHS = ("1/8", "1/16", "1/4")
_MODES = ("", "maj", "m", "min", "mix", "dor", "aeo", "phr", "lyd", "loc", "ion")
KEYS = tuple(t + a + m for t in "ABCDEFG" for a in ("", "#", "b") for m in _MODES)
NOTE_LETTERS = frozenset("ABCDEFGabcdefg")
GENERATED_DECORATIONS = frozenset("~.Tuv")  # no H: abc2midi lengthens notes under a fermata
ALL_DECORATIONS = frozenset("~.HLMOPSTuvJRk")
#: Chord qualities strict sampling writes: those of :data:`~studio.core.abc.chords.CHORD_QUALITIES` that abc2midi
#: reads (it refuses ``maj``, ``min``, ``M``, ``-``, ``o``, and a bare number other than 5, 6, 7 and 9: ``"D2"``),
#: written with :data:`CHORD_SYMBOL_CHARS`.
WRITTEN_CHORD_QUALITIES = ("", "m", "5", "6", "7", "9", "m6", "m7", "maj7", "m7b5", "dim", "dim7", "aug",
                           "sus", "sus2", "sus4")
_ROOTS = tuple(letter + accidental for letter in "ABCDEFG" for accidental in ("", "#", "b"))
#: Characters that may stand inside quotes; the closing quote only after one of :func:`written_chord_symbols`. Not a
#: prefix mask on purpose: the models mostly open quotes for fingerings and annotations (``"4"``, ``"^Segno"``), and a
#: quote that cannot close sends strict sampling back to the bar's start, where a prefix mask would make a chord of it.
CHORD_SYMBOL_CHARS = frozenset("ABCDEFG#bmajindugs23456789/")
MAX_QUOTE = 10
FIELD = re.compile(r"[ \t]*\[?([A-Za-z+]):([^\]]*)")
HEADER_LETTERS = frozenset("XTMLRK")
MAX_HEADER_LINES = 6
MAX_TEXT_VALUE = 40
MAX_DECORATION = 20
MAX_GRACE_NOTES = 6
MAX_CHORD_NOTES = 4  # fiddle double and triple stops; abc2midi refuses long chords
MAX_OCTAVE_MARKS = 2


def _prefixes(words) -> frozenset[str]:
    return frozenset(w[:i] for w in words for i in range(len(w) + 1))


SUFFIX_SET = frozenset(SUFFIXES)
SUFFIX_PREFIXES = _prefixes(SUFFIXES)
MULTIPLIERS = tuple(sorted({parse_length(s)[0] for s in SUFFIXES}))
COMPLETIONS = {p: tuple(sorted({parse_length(s)[0] for s in SUFFIXES if s.startswith(p)})) for p in SUFFIX_PREFIXES}
#: The meters abc2midi plays an ``R:hornpipe`` tune in.
HORNPIPE_METERS = frozenset({"2/4", "4/4", "C"})
VALUE_PREFIXES = {"M": _prefixes(METERS), "L": _prefixes(UNIT_LENGTHS), "K": _prefixes(KEYS)}
VALUE_COMPLETE = {"M": frozenset(METERS), "L": frozenset(UNIT_LENGTHS), "K": frozenset(KEYS)}
ONE = Fraction(1)


@lru_cache(maxsize=1 << 16)
def fillable(remaining: Fraction, tuplet_left: int, tuplet_factor: Fraction, broken: Fraction, unit: Fraction,
             need: Fraction | None = None) -> bool:
    """True when ``remaining`` time can be filled exactly with notes of the strict suffixes.

    ``tuplet_left`` notes still take ``tuplet_factor``, the next note takes ``broken`` and, when ``need`` is given,
    must have that written length (abc2midi applies broken rhythm to equal notes only).
    """
    if remaining < 0:
        return False
    if not tuplet_left and broken == 1:
        return (remaining / (unit * GRID)).denominator == 1
    factor = broken * (tuplet_factor if tuplet_left else ONE)
    for multiplier in MULTIPLIERS:
        written = unit * multiplier
        if need is not None and written != need:
            continue
        duration = written * factor
        if duration > remaining:
            break
        if SHORTEST_DURATION <= duration <= LONGEST_DURATION and fillable(
                remaining - duration, max(tuplet_left - 1, 0), tuplet_factor, ONE, unit):
            return True
    return False


def feed_header(state, ch: str) -> None:
    """One character of a header line: the strict rules for field letters and values; ends the header at K:."""
    line = state.line
    if ch == "\n":
        _end_header_line(state)
        return
    if not line:
        missing = [f for f in "MLK" if f not in state.fields]
        if (ch not in HEADER_LETTERS or (ch == "X" and state.header_lines) or (ch in "MLK" and ch in state.fields)
                or (ch == "K" and len(missing) > 1)
                or (state.header_lines >= MAX_HEADER_LINES and ch != missing[0])):
            state.forbidden = True
    elif len(line) == 1:
        if ch != ":":
            state.forbidden = True
    else:
        value = line[2:] + ch
        letter = line[0]
        if letter in VALUE_PREFIXES:
            if value not in VALUE_PREFIXES[letter]:
                state.forbidden = True
        elif letter == "X":
            if not ch.isdigit() or len(value) > 4:
                state.forbidden = True
        elif ch == "%" or (len(value) == 1 and ch in "|:") or len(value) > MAX_TEXT_VALUE:
            state.forbidden = True
    state.line = line + ch



def _end_header_line(state) -> None:
    line, state.line = state.line, ""
    match = FIELD.match(line)
    if not match or len(line) < 2 or line[1] != ":":
        state.forbidden = True
        return
    letter, value = match.group(1), match.group(2)
    if letter in VALUE_COMPLETE and value not in VALUE_COMPLETE[letter]:
        state.forbidden = True
    if letter == "X" and not value.strip():
        state.forbidden = True
    state.header_lines += 1
    state.fields = state.fields + (letter,)
    state.apply_field(letter, value)
    if state.hornpipe and state.meter_text is not None and state.meter_text not in HORNPIPE_METERS:
        state.forbidden = True  # abc2midi: "Hornpipe must be in 2/4 or 4/4 time"
    if letter == "K":
        state.phase = "body"
        state.line_start = True


@lru_cache(maxsize=1)
def written_chord_symbols() -> frozenset[str]:
    """Every chord symbol strict sampling may write: a root, a quality of :data:`WRITTEN_CHORD_QUALITIES` and an
    optional slash bass (``D``, ``Em7``, ``Bbmaj7``, ``G/B``)."""
    chords = {root + quality for root in _ROOTS for quality in WRITTEN_CHORD_QUALITIES}
    return frozenset(chords | {chord + "/" + bass for chord in chords for bass in _ROOTS})


class TextModes:
    """The lexical modes of a :class:`~studio.core.abc.rhythm.RhythmState` that take no time: endings, fields,
    comments, quoted chord symbols and ``!..!`` decorations (each ends at its closing character)."""

    def _mode_ending(self, ch: str) -> None:
        if ch.isdigit() or ch in ",-":
            self.tok += ch
        else:
            self._redispatch(ch)

    def _mode_field(self, ch: str) -> None:
        self._deny()
        inline = self.tok.startswith("[")
        if (inline and ch == "]") or (not inline and ch == "\n"):
            match = FIELD.match(self.tok)
            if match:
                self.apply_field(match.group(1), match.group(2))
            self.mode, self.tok = "idle", ""
            if ch == "\n":
                self.line_start = True
        elif inline and ch == "\n":
            self.mode, self.tok = "idle", ""
            self._mode_idle(ch)
        else:
            self.tok += ch

    def _mode_comment(self, ch: str) -> None:
        self._deny()
        if ch == "\n":
            self.mode = "idle"
            self.line_start = True

    def _mode_quote(self, ch: str) -> None:
        if ch == '"':
            if self.tok not in written_chord_symbols():
                self._deny()
            self.mode, self.tok = "idle", ""
        elif ch == "\n":
            self._deny()
            self.mode, self.tok = "idle", ""
            self._mode_idle(ch)
        else:
            if ch not in CHORD_SYMBOL_CHARS or len(self.tok) >= MAX_QUOTE:
                self._deny()
            self.tok += ch

    def _mode_deco(self, ch: str) -> None:
        if ch == self.tok[0]:
            if len(self.tok) < 2:
                self._deny()
            self.mode, self.tok, self.decorated = "idle", "", True
        elif ch == "\n":
            self._deny()
            self.mode, self.tok = "idle", ""
            self._mode_idle(ch)
        else:
            if not ch.isalpha() or len(self.tok) > MAX_DECORATION:
                self._deny()
            self.tok += ch


class BarCompletion:
    """Whether a :class:`~studio.core.abc.rhythm.RhythmState`'s current bar can still be completed to exactly the
    meter with the notes strict sampling writes (:func:`fillable`), including a note, chord, tuplet or broken rhythm
    still being written. A subclass may restrict how the note being written leaves the bar (:meth:`_may_leave`;
    :mod:`studio.core.generation.cadence` does, in a strain's last bar); ``target`` is what it asks about."""

    target = None

    def _may_leave(self, duration: Fraction, remaining: Fraction) -> bool:
        """True when the note, rest or chord being written may last ``duration`` with ``remaining`` left in the bar."""
        return True

    def viable(self) -> bool:
        """True when the current bar can still be completed to exactly the meter (always True in the header)."""
        if self.phase == "header" or self.meter is None or self.unit is None:
            return True
        mode = self.mode
        if mode == "broken":
            settled = self.copy()
            settled._apply_broken()
            settled.mode = "idle"
            return settled.viable()
        if mode == "tuplet":
            parsed = parse_tuplet(self.tok, self.meter_numerator)
            if parsed is None:
                return False
            settled = self.copy()
            (settled.tuplet_factor, settled.tuplet_left), settled.mode = parsed, "idle"
            return settled.viable()
        remaining = self.meter - self.used
        if remaining < 0:
            return False
        if self.context == "chord" or mode == "chord_suffix" or (mode == "bracket"):
            first = self.chord_first if self.chord_first is not None else self.unit
            tok = self.tok if mode == "chord_suffix" else ""
            return self._pending_fits(remaining, first, COMPLETIONS.get(tok, ()))
        if self.context == "idle" and mode in ("note", "rest"):
            completions = COMPLETIONS.get(self.tok) or (parse_length(self.tok)[0],)
            return self._pending_fits(remaining, self.pending_base, completions)
        if self.context == "idle" and mode == "acc":
            return self._pending_fits(remaining, self.unit, MULTIPLIERS)
        return fillable(remaining, self.tuplet_left, self.tuplet_factor, self.broken_next, self.unit,
                        self.broken_need)

    def _pending_fits(self, remaining: Fraction, base: Fraction, multipliers) -> bool:
        """Whether a note (or chord) being written, with one of ``multipliers``, leaves a bar that can be filled."""
        factor = self.broken_next * (self.tuplet_factor if self.tuplet_left else ONE)
        left = max(self.tuplet_left - 1, 0)
        for multiplier in multipliers:
            written = base * multiplier
            if self.broken_need is not None and written != self.broken_need:
                continue
            duration = written * factor
            if duration <= remaining and self._may_leave(duration, remaining) and SHORTEST_DURATION <= duration <= LONGEST_DURATION and fillable(
                    remaining - duration, left, self.tuplet_factor, ONE, self.unit):
                return True
        return False
