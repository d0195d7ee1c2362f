"""A tune written with another unit note length (``L:``): the same durations, every length suffix scaled.

O'Neill's writes most tunes with ``L:1/8`` and its hornpipes often with ``L:1/16`` (``A2B2`` for two eighths), the
Essen songs mostly with ``L:1/16`` or ``L:1/4``: the same rhythm spelled in different numbers, which a character
model must learn once per spelling. :func:`in_unit_length` rewrites a tune to one unit: the ``L:`` field and the
length of every note, rest, chord and grace note (a chord's bracket carries the change, ``[df]4`` -> ``[df]2``,
unless only its notes have lengths, ``[d2f2]`` -> ``[df]``); broken rhythms, tuplets and multi-measure rests are
relative and stay.
The rewrite is checked: the tune's notes read back (:func:`~studio.core.abc.meaning.note_sequence`: pitch, duration
and bar of every note) must be those of the text as it came, else None.
"""

from __future__ import annotations

from fractions import Fraction

from studio.core.abc.fields import default_unit_length, parse_unit_length
from studio.core.abc.lexer import NOTE_PARTS, parse_length
from studio.core.abc.meaning import note_sequence
from studio.core.abc.tokenizer import scan_tune

#: The unit O'Neill's writes most tunes in.
EIGHTH = Fraction(1, 8)


def length_suffix(multiplier: Fraction) -> str:
    """How a length multiplier is written after a note: ``""`` (1), ``2``, ``/2``, ``3/2``."""
    if multiplier == 1:
        return ""
    if multiplier.denominator == 1:
        return str(multiplier.numerator)
    top = "" if multiplier.numerator == 1 else str(multiplier.numerator)
    return f"{top}/{multiplier.denominator}"


def _suffix_start(token) -> int:
    if token.kind in ("note", "grace_note"):
        return NOTE_PARTS.match(token.text).start(4)
    return 1  # a rest's letter, a chord's closing bracket


def _scaled(token, factor: Fraction) -> str | None:
    start = _suffix_start(token)
    written, absurd = parse_length(token.text[start:])
    return None if absurd else token.text[:start] + length_suffix(written * factor)


def _scale_chord(tokens, notes: list[int], end: int, factor: Fraction, replacements: dict[int, str]) -> bool:
    """A chord's lengths scaled as a writer would: its notes' when they all carry a length and the bracket none
    (``[d2f2]`` -> ``[df]``), else the bracket's multiplier (``[df]4`` -> ``[df]2``). False when unreadable."""
    inner = notes if tokens[end].text == "]" and notes and all(
        tokens[i].text[_suffix_start(tokens[i]):] for i in notes) else [end]
    for index in inner:
        scaled = _scaled(tokens[index], factor)
        if scaled is None:
            return False
        replacements[index] = scaled
    return True


def in_unit_length(text: str, unit: Fraction = EIGHTH) -> str | None:
    """``text`` with ``L:`` ``unit`` and every length scaled to keep the durations (see the module docstring); the
    text itself when it is already so; None when it cannot be rewritten safely (an ``L:`` inside the music, a
    length that cannot be read, or notes that would not read back the same)."""
    scanned = scan_tune(text)
    header_length = scanned.fields.get("L")
    current = parse_unit_length(header_length) if header_length is not None else default_unit_length(scanned.meter)
    if current is None or current == unit:
        return text if current == unit else None
    factor = current / unit
    replacements: dict[int, str] = {}  # token index -> its new text
    chord: list[int] = []  # the notes of the chord being read (token indices)
    seen_key = False
    for index, token in enumerate(scanned.tokens):
        field = token.text.lstrip()[:2] if token.kind == "field" else ""
        if (token.kind == "inline_field" and token.text[1:2] in "LM") or (seen_key and field in ("L:", "M:")):
            return None  # a unit or meter changed inside the music: left to the writer
        seen_key = seen_key or field == "K:"
        if field == "L:" and not seen_key:
            replacements[index] = f"L:{unit.numerator}/{unit.denominator}"
        elif token.kind == "chord_start":
            chord = [index]
        elif token.kind == "note" and chord:
            chord.append(index)
        elif token.kind == "chord_end" and chord:
            if not _scale_chord(scanned.tokens, chord[1:], index, factor, replacements):
                return None
            chord = []
        elif token.kind in ("note", "grace_note", "rest"):
            scaled = _scaled(token, factor)
            if scaled is None:
                return None
            replacements[index] = scaled
    out, position = [], 0
    for index, replacement in sorted(replacements.items()):
        token = scanned.tokens[index]
        out += [text[position:token.offset], replacement]
        position = token.offset + len(token.text)
    rewritten = "".join(out) + text[position:]
    if header_length is None:
        rewritten = _with_unit_field(rewritten, unit)
    return rewritten if note_sequence(rewritten) == note_sequence(text) else None


def _with_unit_field(text: str, unit: Fraction) -> str:
    """``text`` with an ``L:`` line written before its ``K:`` line (a tune that relied on the meter's default)."""
    lines = text.split("\n")
    key = next((i for i, line in enumerate(lines) if line.startswith("K:")), None)
    if key is None:
        return text
    return "\n".join(lines[:key] + [f"L:{unit.numerator}/{unit.denominator}"] + lines[key:])
