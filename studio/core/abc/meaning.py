"""What a tune plays, read two ways: note sequences through the studio's tokenizer and through music21.

A rewrite of a tune's text (:mod:`studio.core.abc.canonical`) must keep these. :func:`note_sequence` (the
tokenizer, a few milliseconds) is the check applied to every tune; :func:`music21_note_sequence` (about 50 ms a tune)
is the second opinion used by the tests and ``bench/canonical_check.py``; :func:`sounding_notes` and
:func:`music21_sounding_notes` put both readings in the same units so they can be compared with each other.
"""

from __future__ import annotations

from fractions import Fraction

from studio.core.abc.tokenizer import ScannedTune, scan_tune


def note_sequence(tune: str | ScannedTune, grace_notes: bool = True) -> list[tuple]:
    """What a tune plays as the tokenizer reads it: (bar, pitch, duration) per note, rest and chord note.

    Bars are numbered among the bars that hold a note, so a bar line written twice does not shift them; a rest
    has pitch ``None``; grace notes (duration 0) are left out when ``grace_notes`` is false.
    """
    kinds = ("note", "rest", "grace_note") if grace_notes else ("note", "rest")
    sequence = []
    scan = tune if isinstance(tune, ScannedTune) else scan_tune(tune)
    bars = [bar for bar in scan.bars if bar.notes]
    for index, bar in enumerate(bars):
        sequence.extend((index, t.pitch, t.duration) for t in bar.notes if t.kind in kinds)
    return sequence


def music21_note_sequence(text: str, grace_notes: bool = True) -> list[tuple]:
    """What a tune plays as music21 reads it (about 50 ms a tune): (bar, pitches, quarter length) per note, rest and
    chord, bars numbered among the measures that hold a note; chord symbols are left out, and grace notes too when
    ``grace_notes`` is false. The second opinion on :func:`note_sequence` for tests and ``bench/``."""
    from music21 import converter, harmony  # imported lazily: music21 takes a while to import

    sequence = []
    measures: dict[int, int] = {}
    for item in converter.parse(text, format="abc").recurse().notesAndRests:
        if isinstance(item, harmony.Harmony) or (item.duration.isGrace and not grace_notes):
            continue
        measure = item.getContextByClass("Measure")
        bar = measures.setdefault(id(measure), len(measures))
        pitches = tuple(p.midi for p in item.pitches) if not item.isRest else ()
        sequence.append((bar, pitches, Fraction(item.duration.quarterLength).limit_denominator(100_000)))
    return sequence


def without_grace_notes(sequence: list[tuple]) -> list[tuple]:
    """A :func:`music21_note_sequence` (read with grace notes) without them: grace notes last no time."""
    return [item for item in sequence if item[2] or not item[1]]


def sounding_notes(text: str) -> list[tuple]:
    """The tokenizer's reading as (pitch, quarter length) per sounding pitch (rests: pitch ``None``), a chord's
    pitches sorted, grace notes and bars left out: the units of :func:`music21_sounding_notes`."""
    out: list[tuple] = []
    chord: list = []
    in_chord = False
    for token in scan_tune(text).tokens:
        if token.kind == "chord_start":
            in_chord, chord = True, []
        elif token.kind == "chord_end":
            if in_chord and chord:
                out.extend((pitch, chord[0].duration * 4) for pitch in sorted(t.pitch for t in chord))
            in_chord = False
        elif token.kind == "note" and in_chord:
            chord.append(token)
        elif token.kind in ("note", "rest"):
            out.append((token.pitch, token.duration * 4))
    return out


def music21_sounding_notes(sequence: list[tuple]) -> list[tuple]:
    """A :func:`music21_note_sequence` as :func:`sounding_notes` gives it (bars left out: music21 splits an over-full
    bar in two, the tokenizer does not)."""
    return [(pitch, length) for _, pitches, length in without_grace_notes(sequence)
            for pitch in (sorted(pitches) or [None])]
