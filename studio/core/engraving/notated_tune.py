"""A tune read into measures of notated events, from the studio's own tokenizer: what MusicXML writes.

:func:`read_score` walks :func:`studio.core.abc.tokenizer.scan_tune`'s tokens once (their durations are final:
broken rhythm, tuplets and chord lengths applied) and keeps what notation needs and a player does not: the written
spelling of each note (letter, alteration, octave, a written accidental), its written type and dots (a length no
single note can show is split into tied notes), tuplet brackets, ties (only between notes of the same pitch: a tie
between two pitches is a slur in folk ABC), slurs, grace notes, beams (ABC beams the notes written without a space
between them), chord symbols, text annotations, decorations, meter and key changes, bar lines with their repeats and
first/second endings. :mod:`studio.core.engraving.musicxml` writes it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from studio.core.abc.chords import parse_chord_symbol
from studio.core.abc.fields import default_unit_length, meter_parts, parse_meter, parse_unit_length
from studio.core.abc.lexer import FIELD_PARTS, NOTE_PARTS, parse_length
from studio.core.abc.tokenizer import parse_tuplet, scan_tune

#: Written note types by their length in quarter notes.
NOTE_TYPES = ((Fraction(8), "breve"), (Fraction(4), "whole"), (Fraction(2), "half"), (Fraction(1), "quarter"),
              (Fraction(1, 2), "eighth"), (Fraction(1, 4), "16th"), (Fraction(1, 8), "32nd"),
              (Fraction(1, 16), "64th"), (Fraction(1, 32), "128th"))
_BEAMED = {"eighth", "16th", "32nd", "64th", "128th"}
_NATURAL = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTALS = {"^": "sharp", "^^": "double-sharp", "_": "flat", "__": "flat-flat", "=": "natural"}
#: ABC decoration -> (MusicXML notations group, element). No mordents: MuseScore 3 stops reading the part at one.
DECORATIONS = {".": ("articulations", "staccato"), "!staccato!": ("articulations", "staccato"),
               "H": ("notations", "fermata"), "!fermata!": ("notations", "fermata"),
               "T": ("ornaments", "trill-mark"), "!trill!": ("ornaments", "trill-mark"),
               "L": ("articulations", "accent"), "!accent!": ("articulations", "accent"),
               "!>!": ("articulations", "accent"), "~": ("ornaments", "turn"), "!roll!": ("ornaments", "turn"), "u": ("technical", "up-bow"),
               "v": ("technical", "down-bow"), "!tenuto!": ("articulations", "tenuto")}


#: Every length one note shows (quarter notes) -> (type, dots), and the same lengths longest first.
_SHOWN = {base * (2 - Fraction(1, 2 ** dots)): (name, dots) for base, name in reversed(NOTE_TYPES) for dots in range(4)}
_SHOWN_LONGEST_FIRST = sorted(_SHOWN, reverse=True)


def note_type(quarters: Fraction) -> tuple[str, int] | None:
    """(type, dots) of a written length in quarter notes (``3/4`` -> ('eighth', 1)); None when no note shows it."""
    return _SHOWN.get(quarters)


def split_length(quarters: Fraction) -> list[Fraction]:
    """A length as written notes to tie, longest first (``5/2`` -> [2, 1/2]); one piece when one note shows it."""
    pieces: list[Fraction] = []
    left = quarters
    while left > 0 and left not in _SHOWN and len(pieces) < 8:
        piece = next((length for length in _SHOWN_LONGEST_FIRST if length <= left), None)
        if piece is None:
            break
        pieces.append(piece)
        left -= piece
    return pieces + [left] if left > 0 else pieces


@dataclass
class Note:
    """One written note or rest. ``quarters`` is how long it sounds (tuplets applied); ``step``/``alter``/``octave``
    spell it (``step`` None for a rest); ``midi`` is its pitch for tie matching."""

    quarters: Fraction
    type: str
    dots: int = 0
    step: str | None = None
    alter: int = 0
    octave: int = 4
    midi: int | None = None
    accidental: str | None = None
    chord: bool = False
    grace: str | None = None  # "plain" or "slash" (acciaccatura)
    hidden: bool = False
    tuplet: tuple[int, int] | None = None  # (actual, normal)
    tuplet_marks: list[str] = field(default_factory=list)  # start / stop
    tie_start: bool = False
    tie_stop: bool = False
    beam: str | None = None  # begin / continue / end
    slurs: list[tuple[str, int]] = field(default_factory=list)
    marks: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Measure:
    """A measure: its items in order (``Note``, or ('harmony', root, alter, quality, bass, bass alter), ('words',
    text), ('key', K value), ('time', M value), ('tempo', Q value)), its bar lines and endings."""

    items: list = field(default_factory=list)
    forward_repeat: bool = False
    backward_repeat: bool = False
    left_style: str = ""
    right_style: str = ""
    ending_start: str = ""
    ending_stop: str = ""  # the ending's number
    ending_stop_type: str = "stop"  # stop (with a hook: a repeat follows) or discontinue

    @property
    def notes(self) -> list[Note]:
        return [item for item in self.items if isinstance(item, Note)]

    @property
    def quarters(self) -> Fraction:
        return sum((n.quarters for n in self.notes if not n.chord and not n.grace), Fraction(0))


@dataclass
class Score:
    """A tune's header values and its measures."""

    title: str
    fields: dict[str, str]
    meter: str | None
    key: str
    tempo: str | None
    measures: list[Measure]
    unit_length: Fraction = Fraction(1, 8)


def _bar_style(text: str) -> tuple[str, str]:
    """(right style of the measure it closes, left style of the measure it opens) of a bar line."""
    core = text.rstrip("0123456789,-")
    if core.startswith("[|"):
        return "", "heavy-light"
    if core.startswith(":") or core.endswith("|]") or core == "|]":
        return "light-heavy", ""
    if core.startswith("||"):
        return "light-light", ""
    return "", ""


class _Reader:
    def __init__(self, text: str):
        self.scan = scan_tune(text)
        self.measures = [Measure()]
        self.fields: dict[str, str] = {}
        self.in_header = True
        self.meter_numerator = 4
        self.meter: Fraction | None = None
        self.unit: Fraction | None = None
        self.tuplet_left = 0
        self.tuplet: tuple[int, int] | None = None
        self.tuplet_notes: list[Note] = []
        self.chord_tokens: list = []
        self.in_chord = self.in_grace = False
        self.grace_kind = "plain"
        self.tied: list[Note] = []
        self.last_item: list[Note] = []
        self.beam_run: list[Note] = []
        self.slur_stack: list[tuple[Note | None, int]] = []
        self.pending_slurs = 0
        self.pending_marks: list[tuple[str, str]] = []
        self.open_ending = ""
        self.ending_bars = 0
        self.first_ending_bars = 0

    @property
    def measure(self) -> Measure:
        return self.measures[-1]

    # -- notes
    def _spelled(self, token, quarters: Fraction, type_dots: tuple[str, int]) -> Note:
        accidental, letter, marks, _ = NOTE_PARTS.match(token.text).groups()
        octave = 4 + (1 if letter.islower() else 0) + marks.count("'") - marks.count(",")
        natural = 12 * (octave + 1) + _NATURAL[letter.upper()]
        return Note(quarters, type_dots[0], type_dots[1], letter.upper(), token.pitch - natural, octave, token.pitch,
                    _ACCIDENTALS.get(accidental or ""))

    def _written(self, token, quarters: Fraction) -> list[Note]:
        """One note or rest token as notes (several tied ones when no single note shows its length)."""
        factor = Fraction(self.tuplet[1], self.tuplet[0]) if self.tuplet else 1
        written = quarters / factor
        pieces = [written] if note_type(written) or self.tuplet else split_length(written)
        notes = []
        for piece in pieces:
            shape = note_type(piece) or ("quarter", 0)
            if token.kind in ("note", "grace_note"):
                note = self._spelled(token, piece * factor, shape)
            else:
                note = Note(piece * factor, shape[0], shape[1], hidden=token.text.startswith("x"))
            note.tuplet = self.tuplet
            notes.append(note)
        for before, after in zip(notes, notes[1:]):
            if before.step:
                before.tie_start = after.tie_stop = True
        return notes

    def _place(self, group: list[Note]) -> None:
        """Puts one timed item (a note, a rest or a chord's notes) into the measure with its marks."""
        head = group[0]
        for note in self.tied:
            for new in group:
                if new.midi is not None and new.midi == note.midi and not new.chord:
                    note.tie_start = new.tie_stop = True
        self.tied = []
        for _ in range(self.pending_slurs):
            number = len(self.slur_stack) + 1
            head.slurs.append(("start", number))
            self.slur_stack.append((head, number))
        self.pending_slurs = 0
        head.marks.extend(self.pending_marks)
        self.pending_marks = []
        if self.tuplet:
            if not self.tuplet_notes:
                head.tuplet_marks.append("start")
            self.tuplet_notes.append(head)
            self.tuplet_left -= 1
            if self.tuplet_left <= 0:
                self.tuplet_notes[-1].tuplet_marks.append("stop")
                self.tuplet, self.tuplet_notes = None, []
        if head.step and head.type in _BEAMED:
            self.beam_run.append(head)
        else:
            self._end_beam()
        self.measure.items.extend(group)
        self.last_item = group

    def _end_beam(self) -> None:
        if len(self.beam_run) > 1:
            for note in self.beam_run:
                note.beam = "continue"
            self.beam_run[0].beam, self.beam_run[-1].beam = "begin", "end"
        self.beam_run = []

    def _note_or_rest(self, token) -> None:
        notes = self._written(token, token.duration * 4)
        self._place(notes[:1])
        for extra in notes[1:]:
            self._end_beam()
            self.measure.items.append(extra)
        self.last_item = notes[-1:]

    def _grace(self, token) -> None:
        multiplier, _ = parse_length(NOTE_PARTS.match(token.text).group(4))
        quarters = (self.unit or default_unit_length(self.meter)) * multiplier * 4
        note = self._spelled(token, Fraction(0), note_type(quarters) or ("eighth", 0))
        note.grace = self.grace_kind
        self.measure.items.append(note)

    def _chord_end(self) -> None:
        tokens = [t for t in self.chord_tokens if t.pitch is not None]
        self.in_chord, self.chord_tokens = False, []
        if not tokens:
            return
        quarters = tokens[0].duration * 4
        notes = self._written(tokens[0], quarters)[:1]
        for token in sorted(tokens[1:], key=lambda t: t.pitch):
            note = self._written(token, quarters)[0]
            note.chord, note.tie_start, note.tie_stop, note.tuplet = True, False, False, notes[0].tuplet
            notes.append(note)
        self._place(notes)

    # -- bars
    def _bar(self, text: str) -> None:
        self._end_beam()
        digits = text.lstrip(":|[]").lstrip(":|]")
        digits = digits if digits[:1].isdigit() else ""
        core = text[: len(text) - len(digits)]
        end_repeat, start_repeat = core.startswith(":"), core.endswith(":") and core != ":"
        right, left = _bar_style(core)
        measure = self.measure
        if not measure.notes:
            if end_repeat and len(self.measures) > 1 and not self.measures[-2].backward_repeat:
                measure = self.measures[-2]
            else:
                measure = None
        if measure is not None:
            measure.backward_repeat |= end_repeat
            measure.right_style = right or measure.right_style
            if self.open_ending:
                self.ending_bars += 1
                plain = not (end_repeat or start_repeat or digits or right)
                limit = self.first_ending_bars if self.open_ending != "1" and self.first_ending_bars else 0
                if not plain or (limit and self.ending_bars >= limit):
                    self._close_ending(measure, end_repeat)
        if self.measure.notes:
            self.measures.append(Measure())
        self.measure.forward_repeat |= start_repeat
        self.measure.left_style = left or self.measure.left_style
        if digits:
            self._open_ending(digits)

    def _open_ending(self, digits: str) -> None:
        if self.open_ending and len(self.measures) > 1:
            self._close_ending(self.measures[-2], False)
        self.measure.ending_start = digits
        self.open_ending, self.ending_bars = digits, 0

    def _close_ending(self, measure: Measure, repeat: bool) -> None:
        measure.ending_stop = self.open_ending
        measure.ending_stop_type = "stop" if repeat else "discontinue"
        if self.open_ending == "1":
            self.first_ending_bars = self.ending_bars
        self.open_ending = ""

    # -- fields and everything else
    def _field(self, token) -> None:
        parts = FIELD_PARTS.match(token.text)
        if not parts:
            return
        name, value = parts.group(1), parts.group(2).strip()
        if name == "M":
            parsed = meter_parts(value)
            self.meter_numerator, self.meter = (parsed[0] if parsed else 4), parse_meter(value)
        elif name == "L":
            self.unit = parse_unit_length(value) or self.unit
        if self.in_header:
            self.fields.setdefault(name, value)
            self.in_header = name != "K"
        elif name in ("M", "K"):
            self.measure.items.append(("time" if name == "M" else "key", value))
        elif name == "Q":
            self.measure.items.append(("tempo", value))

    def _annotation(self, text: str) -> None:
        text = text.strip('"')
        chord = parse_chord_symbol(text)
        if chord is None:
            words = (text[1:] if text[:1] in "^_<>@" else text).strip()
            if words:
                self.measure.items.append(("words", words))
            return
        root, _, bass = chord.name.partition("/")
        alter = {"#": 1, "b": -1}.get(root[1:2], 0)
        bass_alter = {"#": 1, "b": -1}.get(bass[1:2], 0)
        self.measure.items.append(("harmony", root[0], alter, root[1 + (alter != 0):], bass[:1], bass_alter))

    def read(self) -> Score:
        for token in self.scan.tokens:
            kind = token.kind
            if kind in ("field", "inline_field"):
                self._field(token)
            elif self.in_header:
                continue
            elif kind == "note":
                if self.in_chord:
                    self.chord_tokens.append(token)
                else:
                    self._note_or_rest(token)
            elif kind == "rest":
                if not self.in_chord:
                    self._note_or_rest(token)
            elif kind == "grace_note":
                self._grace(token)
            elif kind == "chord_start":
                self.in_chord, self.chord_tokens = True, []
            elif kind == "chord_end":
                self._chord_end()
            elif kind == "bar":
                self._bar(token.text)
            elif kind == "ending":
                self._open_ending(token.text[1:])
            elif kind == "tuplet":
                parsed = parse_tuplet(token.text, self.meter_numerator)
                if parsed:
                    factor, self.tuplet_left = parsed
                    self.tuplet, self.tuplet_notes = (factor.denominator, factor.numerator), []
            elif kind == "tie":
                self.tied = list(self.last_item)
            elif kind == "slur_start":
                self.pending_slurs += 1
            elif kind == "slur_end" and self.slur_stack and self.last_item:
                self.slur_stack.pop()
                self.last_item[0].slurs.append(("stop", len(self.slur_stack) + 1))
            elif kind == "grace_start":
                self.in_grace, self.grace_kind = True, "slash" if token.text == "{/" else "plain"
                self._end_beam()
            elif kind == "grace_end":
                self.in_grace = False
            elif kind == "annotation":
                self._annotation(token.text)
            elif kind == "decoration" and token.text in DECORATIONS:
                self.pending_marks.append(DECORATIONS[token.text])
            elif kind in ("space", "newline"):
                self._end_beam()
        return self._finished()

    def _finished(self) -> Score:
        self._end_beam()
        for note, number in self.slur_stack:  # slurs never closed are left out
            note.slurs.remove(("start", number))
        if not self.measure.notes and len(self.measures) > 1:
            last = self.measures.pop()
            self.measures[-1].items.extend(i for i in last.items if not isinstance(i, Note))
        if self.open_ending:
            self._close_ending(self.measures[-1], self.measures[-1].backward_repeat)
        for note in self.tuplet_notes[-1:]:
            note.tuplet_marks.append("stop")
        fields = self.fields
        return Score(fields.get("T", ""), fields, fields.get("M"), fields.get("K", "C"), fields.get("Q"),
                     self.measures, self.scan.unit_length)


def read_score(text: str) -> Score:
    """The tune's measures as notation (see the module docstring)."""
    return _Reader(text).read()
