"""One way of writing a tune: the ``canonical`` and ``melody`` text levels that a corpus is trained on.

Collections differ in how they write the same music (line continuations, ``!`` line breaks, spacing, ``K:E Minor``
against ``K:Em``...), and a character model spends its capacity on the writing. :func:`normalise_tune` rewrites one
tune's tokens (:mod:`studio.core.abc.tokenizer`, never a second parser) at one of three levels:

``raw``
    the text unchanged (today's training text, for the lab's exact replication).
``canonical``
    the same notes, lengths, bar lines, repeats, endings, tuplets, ties, chords and ornaments, written one way: headers
    X T M L Q R K only, every tune numbered ``X:1`` (a reference number is no music, and in the built-in corpora it
    names the collection: Ryan's Mammoth numbers 94% of its tunes 1, so a sampler's ``X:1`` asked for Ryan's style),
    ``L:`` always written; key, meter and unit length in one spelling (``K:Em``, ``K:Ador``,
    ``K:G``; ``M:4/4`` for ``C``, ``M:2/2`` for ``C|``); ``\\`` continuations and ``!`` line breaks joined; back quotes
    and ``y`` spacers dropped; decorations right before their note (``u(AG)`` written ``(uAG)``) and free text in quotes
    placed above the staff (``"p"`` written ``"^p"``); a stray octave mark (``,`` marking no note) dropped; ``::``
    written ``:|:``, ``[:`` and ``:]`` written ``|:`` and ``:|``; a bar line written twice across a line break written
    once; ``| [2`` written ``|2``; a space only where it breaks a beam between two notes shorter than a quarter (as
    written); the music re-broken into lines of **four bars**, and a new line after every section end (``:|``, ``||``,
    ``|]``) and before a ``|:``. Four bars: half of most tunes' 8-bar strains, so every line break is a phrase
    boundary, and lines about as long as O'Neill's (8 bars would outgrow the lab's 100-character window).
``melody``
    canonical without slurs, decorations, grace notes, chord symbols and annotations (what folk-rnn learns from).

A rewrite that would change the music (the note sequence read back by the tokenizer: pitch, duration and bar of
every note) is refused: the tune stays as it came (:attr:`NormalisedTune.kept_raw`). Every level is idempotent.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from studio.core.abc.fields import default_unit_length, parse_meter, parse_unit_length
from studio.core.abc.lexer import REPEAT_SPELLINGS
from studio.core.abc.meaning import note_sequence
from studio.core.abc.note_prefixes import standard_prefixes
from studio.core.abc.text import KEPT_BODY_FIELDS
from studio.core.abc.tokenizer import Token, scan_tune

#: The text levels a corpus can be trained on, plainest last.
TEXT_LEVELS = ("raw", "canonical", "melody")
#: Raise when the rules change: cached rewrites and the identity of corpora at a level depend on it.
CANONICAL_VERSION = 6
#: Header fields a canonical tune keeps, in the order it writes them.
CANONICAL_HEADER_FIELDS = ("X", "T", "M", "L", "Q", "R", "K")
#: Bars per music line in the canonical form.
BARS_PER_LINE = 4
#: Notes shorter than this (whole notes) can be beamed, so a space between two of them means something.
BEAMABLE_BELOW = Fraction(1, 4)
#: Token kinds the ``melody`` level drops (grace notes go with their braces).
MELODY_DROPS = {"slur_start": "slurs", "slur_end": None, "decoration": "decorations", "annotation": None,
                "grace_start": "grace notes", "grace_note": None, "grace_end": None}

_MODES = {"": "", "maj": "", "major": "", "ion": "", "ionian": "", "m": "m", "min": "m", "minor": "m",
          "aeo": "m", "aeolian": "m", "mix": "mix", "mixolydian": "mix", "dor": "dor", "dorian": "dor",
          "phr": "phr", "phrygian": "phr", "lyd": "lyd", "lydian": "lyd", "loc": "loc", "locrian": "loc"}
_KEY_SPELLING = re.compile(r"([A-Ga-g])([#b]?)\s*([A-Za-z]*)(?![A-Za-z])\s*(.*)")
_NUMBER_PAIR = re.compile(r"\s*(\d{1,4})\s*/\s*(\d{1,4})\s*")
_TIMED_KINDS = ("note", "rest", "multirest", "chord_end")
_PREFIX_KINDS = ("annotation", "decoration", "grace_start", "slur_start", "tuplet", "chord_start", "unknown")
_SUFFIX_KINDS = ("tie", "slur_end", "broken")
_GAP_KINDS = ("space", "newline", "continuation", "comment")


@dataclass
class NormalisedTune:
    """One tune at one level: its text, what the rewrite changed (kind -> count) and whether it was refused."""

    text: str
    level: str
    changes: Counter = field(default_factory=Counter)
    kept_raw: bool = False


def canonical_tune(text: str) -> str:
    """The canonical text of one tune (the input itself when rewriting it would change the music)."""
    return normalise_tune(text, "canonical").text


def melody_tune(text: str) -> str:
    """The melody text of one tune: canonical without slurs, decorations, grace notes and chord symbols."""
    return normalise_tune(text, "melody").text


def normalise_tune(text: str, level: str) -> NormalisedTune:
    """``text`` (one tune) rewritten at ``level`` (one of :data:`TEXT_LEVELS`), with the changes counted."""
    if level not in TEXT_LEVELS:
        raise ValueError(f"unknown text level {level!r}; choose one of {', '.join(TEXT_LEVELS)}")
    if level == "raw":
        return NormalisedTune(text, level)
    melody = level == "melody"
    scan = scan_tune(text)
    rewriter = _Rewriter(scan.tokens, melody)
    rewritten = rewriter.rewrite()
    if rewritten is None or note_sequence(rewritten, grace_notes=not melody) != note_sequence(
            scan, grace_notes=not melody):
        return NormalisedTune(text, level, Counter(), kept_raw=True)
    rewriter.changes["spaces"] = max(0, text.count(" ") - rewritten.count(" "))
    return NormalisedTune(rewritten, level, +rewriter.changes)


def key_spelling(value: str) -> str:
    """One spelling of a ``K:`` value (``E Minor`` -> ``Em``, ``A Dorian`` -> ``Ador``, ``Gmaj`` -> ``G``);
    a value it does not recognise (``HP``, ``none``, an unknown mode) comes back only trimmed."""
    value = _without_comment(value)
    match = _KEY_SPELLING.fullmatch(value)
    if not match or match.group(3).lower() not in _MODES:
        return " ".join(value.split())
    tonic, accidental, mode, rest = match.groups()
    spelled = tonic.upper() + accidental + _MODES[mode.lower()]
    return f"{spelled} {' '.join(rest.split())}" if rest.strip() else spelled


def meter_spelling(value: str) -> str:
    """One spelling of an ``M:`` value: ``C`` -> ``4/4``, ``C|`` -> ``2/2``, ``6 / 8`` -> ``6/8``."""
    value = _without_comment(value)
    if value in ("C", "C|"):
        return "4/4" if value == "C" else "2/2"
    match = _NUMBER_PAIR.fullmatch(value)
    return f"{int(match.group(1))}/{int(match.group(2))}" if match else " ".join(value.split())


def unit_length_spelling(value: str) -> str:
    """One spelling of an ``L:`` value: the reduced fraction (``1/8``), or the value trimmed when unreadable."""
    value = _without_comment(value)
    length = parse_unit_length(value)
    return f"{length.numerator}/{length.denominator}" if length else value


def _without_comment(value: str) -> str:
    return value.split("%", 1)[0].strip()


def _field_parts(token: Token) -> tuple[str, str]:
    text = token.text.strip()
    if token.kind == "inline_field":
        text = text[1:-1]
    return text[0], text[2:]


_SPELLINGS = {"K": (key_spelling, "key spellings"), "M": (meter_spelling, "meter spellings"),
              "L": (unit_length_spelling, "unit length spellings"), "X": (lambda _: "1", "reference numbers")}


def _is_section_end(bar: str) -> bool:
    return bar.startswith((":", "||", "|]")) and not bar[-1].isdigit()


def _is_section_start(bar: str) -> bool:
    return bar.startswith(("|:", "[|"))


class _Rewriter:
    """Walks the tokens of one tune once and writes them at the canonical (or melody) level."""

    def __init__(self, tokens: list[Token], melody: bool):
        self.tokens = tokens
        self.melody = melody
        self.changes: Counter = Counter()
        self.lines: list[str] = []
        self.line: list[str] = []
        self.meter: Fraction | None = None
        self.bars_on_line = 0
        self.section_start = True
        self.bar_time = Fraction(0)
        self.previous_timed: Token | None = None  # the last note, rest or chord end of the bar being written
        self.gap = False  # whitespace (or a line break) since the last timed token
        self.space_slot: int | None = None  # where the space before the group being written would go
        self.in_chord = False
        self.chord_head: Token | None = None  # the note of the chord being written that carries its time
        self.in_grace = False
        self.joined_line = False  # a continuation: the next line break is no line break
        self.refused = False  # the tune holds something this rewrite cannot move safely

    # --- the header ---------------------------------------------------------------------------------------------

    def rewrite(self) -> str | None:
        header: dict[str, str] = {}
        index = 0
        for index, token in enumerate(self.tokens):
            if token.kind == "field":
                name, value = _field_parts(token)
                header.setdefault(name, value)
                if name == "K":
                    break
            elif token.kind not in _GAP_KINDS:
                return None  # music before the K: line: not a tune this rewrite understands
        if "K" not in header:
            return None
        self.meter = parse_meter(header.get("M", "")) if "M" in header else None
        if "L" not in header:
            unit = default_unit_length(self.meter)
            header["L"] = f"{unit.numerator}/{unit.denominator}"
            self.changes["unit length spellings"] += 1
        self.changes["other fields"] += sum(name not in CANONICAL_HEADER_FIELDS for name in header)
        for name in CANONICAL_HEADER_FIELDS:
            if name in header:
                self.lines.append(f"{name}:{self._field_value(name, header[name])}")
        body, changes = standard_prefixes(self.tokens[index + 1:])
        self.changes.update(changes)
        self._body(body)
        self._end_line()
        return None if self.refused else "\n".join(self.lines)

    def _field_value(self, name: str, value: str) -> str:
        if name in _SPELLINGS:
            spell, kind = _SPELLINGS[name]
            spelled = spell(value)
            if spelled != value:
                self.changes[kind] += 1
            return spelled
        if name == "R":
            spelled = " ".join(value.lower().split())
            self.changes["rhythm spellings"] += spelled != value
            return spelled
        return " ".join(value.split())

    # --- the body -----------------------------------------------------------------------------------------------

    def _body(self, tokens: list[Token]) -> None:
        pending_bar: Token | None = None
        for position, token in enumerate(tokens):
            kind = token.kind
            if kind in _GAP_KINDS or kind == "line_break":
                self._count_gap(token)
                continue
            if kind == "spacer":
                self.changes["spacers"] += 1
                continue
            if kind == "unknown" and not token.text.strip(",'"):
                self.changes["stray octave marks"] += 1  # ",F" after a space (Ryan's): no note's octave mark, but
                continue  # music21 would give it to the note before once the space goes ("B2,F4" reads B,)
            if kind == "unknown" and token.text[0] in "^_=":
                self.refused = True  # a dangling accidental (e.g. quoted-printable "=20"): music21 reads it with
                continue  # whatever note follows, so moving a line break past it would change the music
            if pending_bar is not None and kind not in ("bar", "ending"):
                self._write_bar(pending_bar.text, tokens, position)
                pending_bar = None
            if kind == "bar":
                pending_bar = self._merge_bars(pending_bar, token)
            elif kind == "ending":
                if pending_bar is not None and pending_bar.text in ("|", ":|", "||"):
                    self.changes["ending spellings"] += 1
                    pending_bar = Token("bar", pending_bar.text + token.text[1:], 0, 0, 0)
                else:
                    if pending_bar is not None:
                        self._write_bar(pending_bar.text, tokens, position)
                        pending_bar = None
                    self._boundary(token.text)
            elif kind == "field":
                name, value = _field_parts(token)
                if name in KEPT_BODY_FIELDS:
                    self._end_line()
                    self.lines.append(f"{name}:{self._field_value(name, value)}")
                    self.meter = parse_meter(value) if name == "M" else self.meter
                else:
                    self.changes["other fields"] += 1
            elif kind == "inline_field":
                name, value = _field_parts(token)
                self._boundary(f"[{name}:{self._field_value(name, value)}]")
                self.meter = parse_meter(value) if name == "M" else self.meter
            else:
                self._music(token)
        if pending_bar is not None:
            self._write_bar(pending_bar.text, tokens, len(tokens))

    def _count_gap(self, token: Token) -> None:
        """Whitespace, a ``!`` line break or a continuation: a beam break unless inside a chord or grace group;
        a line break after a ``\\`` continuation joins the lines (no beam break)."""
        if token.kind == "continuation":
            self.changes["line continuations"] += 1
            self.joined_line = True
            return
        if token.kind == "line_break":
            self.changes["! line breaks"] += 1
        joined, self.joined_line = self.joined_line and token.kind == "newline", False
        if not (joined or self.in_chord or self.in_grace or token.kind == "comment"):
            self.gap = True

    def _merge_bars(self, pending: Token | None, token: Token) -> Token:
        """Two bar lines with only whitespace between them: a plain ``|`` beside another bar line is dropped."""
        if pending is None:
            return token
        if token.text == "|" or (token.text == "||" and _is_section_end(pending.text)):
            self.changes["repeated bar lines"] += 1
            return pending
        if pending.text == "|" and not _is_section_start(token.text):
            self.changes["repeated bar lines"] += 1
            return token
        self._write_bar(pending.text, [token], 0)
        return token

    def _music(self, token: Token) -> None:
        kind = token.kind
        if kind in ("grace_start", "grace_end"):
            self.in_grace = kind == "grace_start"
        if self.melody and kind in MELODY_DROPS:
            label = MELODY_DROPS[kind]
            if kind == "annotation":
                label = "chord symbols" if token.text[1:2] in "ABCDEFG" and token.text[1:2] else "annotations"
            if label:
                self.changes[label] += 1
            if token.advance:
                self.bar_time += token.advance
            return
        if token.advance and kind in ("note", "rest", "multirest"):
            self.bar_time += token.advance
        if self.in_chord or kind == "grace_note" or kind == "grace_end" or kind in _SUFFIX_KINDS:
            self.line.append(token.text)
        elif kind in _PREFIX_KINDS:
            self._open_group()
            self.line.append(token.text)
        elif kind in ("note", "rest", "multirest"):
            self._open_group()
            self.line.append(token.text)
            self._close_group(token)
        else:  # chord_end outside a chord (stray): written as it is
            self.line.append(token.text)
        if kind == "chord_start":
            self.in_chord = True
            self.chord_head = None
        elif kind == "chord_end" and self.in_chord:
            self.in_chord = False
            self._close_group(self.chord_head or token)
        elif self.in_chord and kind == "note" and token.advance and self.chord_head is None:
            self.chord_head = token

    def _open_group(self) -> None:
        if self.space_slot is None:
            self.space_slot = len(self.line)
            self.line.append("")

    def _close_group(self, head: Token) -> None:
        """A note, rest or chord ended: decide the space before its group (beams as written)."""
        if self.in_chord:
            return
        beamable = head.duration is not None and 0 < head.duration < BEAMABLE_BELOW
        previous = self.previous_timed
        keep = (self.gap and previous is not None and beamable and previous.duration is not None
                and 0 < previous.duration < BEAMABLE_BELOW)
        if self.space_slot is not None:
            self.line[self.space_slot] = " " if keep else ""
        self.space_slot = None
        self.previous_timed = head
        self.gap = False

    def _boundary(self, text: str) -> None:
        """A token that ends the bar's beaming (an ending, an inline field): written without spaces around it."""
        self._drop_open_slot()
        self.line.append(text)
        self.previous_timed = None
        self.gap = False

    def _drop_open_slot(self) -> None:
        if self.space_slot is not None:
            self.line[self.space_slot] = ""
            self.space_slot = None

    def _write_bar(self, bar: str, tokens: list[Token], following: int) -> None:
        """Writes a bar line, counting the bar it closes (not a pickup) and breaking the line after four bars, after
        a section end and before a section start. ``::`` is written ``:|:`` (the same repeats): music21 drops a note
        written right before ``::`` and what follows it on the line (Aird's ``book3:0418``: ``EFA::``)."""
        if bar == "::":
            bar = ":|:"
            self.changes["double repeat spellings"] += 1
        elif bar in REPEAT_SPELLINGS:
            bar = REPEAT_SPELLINGS[bar]
            self.changes["repeat spellings"] += 1
        counted = self.bar_time > 0 and not (
            self.section_start and self.meter is not None and self.bar_time < self.meter)
        if self.bar_time > 0:
            self.section_start = False
        self.bar_time = Fraction(0)
        if _is_section_start(bar):
            self._drop_open_slot()
            if "".join(self.line).strip():
                self._end_line()
            self.section_start = True
        self._boundary(bar)
        self.bars_on_line += counted
        next_kind = next((tokens[i].kind for i in range(following, len(tokens)) if tokens[i].kind not in _GAP_KINDS),
                         None)
        if _is_section_end(bar):
            self._end_line()
            self.section_start = True
        elif self.bars_on_line >= BARS_PER_LINE and not bar[-1].isdigit() and next_kind != "ending":
            self._end_line()

    def _end_line(self) -> None:
        self._drop_open_slot()
        text = "".join(self.line).strip()
        if text:
            self.lines.append(text)
        self.line = []
        self.bars_on_line = 0
        self.previous_timed = None
        self.gap = False
