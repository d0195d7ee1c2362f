"""Transposition of ABC text by a number of semitones, as a text edit the score shows.

``K:`` is rewritten (mode kept, the enharmonic key with the fewest sharps or flats chosen), every note is moved by
the key's diatonic step and respelled against the new key and the accidentals already written in its bar (so
explicit accidentals stay explicit, and notes the old key altered are altered by the new one), octave marks follow
the pitch, and chord symbols (``"G/B"`` -> ``"A/C#"``) move with the key. Everything else is kept byte for byte.
"""

from __future__ import annotations

import re

from studio.core.abc.chords import is_chord_symbol
from studio.core.abc.fields import key_accidentals
from studio.core.abc.keys import (
    LETTER_PITCH_CLASS, LETTERS, Key, note_name, read_key, shifted_letter, spell_pitch_class, transposed_key,
)
from studio.core.abc.lexer import FIELD_PARTS, NOTE_PARTS
from studio.core.abc.tokenizer import scan_tune

_CHORD_ROOT = re.compile(r"([A-G])([#b]?)")
_ACCIDENTAL_TEXT = {-2: "__", -1: "_", 0: "=", 1: "^", 2: "^^"}


class _Speller:
    """Spells pitches in the transposed text: the new key, its diatonic step and the bar's written accidentals."""

    def __init__(self, semitones: int):
        self.semitones = semitones
        self.steps = _default_steps(semitones)
        self.signature = key_accidentals("C")
        self.bar: dict[tuple[str, int], int] = {}

    def set_key(self, old: Key | None, new: Key | None, signature: dict[str, int]) -> None:
        if old is not None and new is not None:
            self.steps = (LETTERS.index(new.letter) - LETTERS.index(old.letter)) % 7
        self.signature = signature

    def letter_and_alteration(self, letter: str, pitch: int) -> tuple[str, int, int]:
        """(new letter, alteration, octave number with C4 = 60) for a note of ``letter`` now sounding ``pitch``."""
        new_letter = shifted_letter(letter.upper(), self.steps)
        alteration = spell_pitch_class(pitch % 12, new_letter)
        if alteration is None:  # a double accidental would be needed: take the nearest plain spelling
            new_letter = min(LETTERS, key=lambda L: abs(spell_pitch_class(pitch % 12, L) or 9))
            alteration = spell_pitch_class(pitch % 12, new_letter)
        natural = pitch - alteration
        return new_letter, alteration, natural

    def note_text(self, token_text: str, pitch: int, grace: bool) -> str:
        accidental, letter, _, length = NOTE_PARTS.match(token_text).groups()
        new_letter, alteration, natural = self.letter_and_alteration(letter, pitch)
        implied = self.bar.get((new_letter, natural), self.signature[new_letter])
        written = ""
        if accidental is not None or alteration != implied:
            written = _ACCIDENTAL_TEXT[alteration]
            if not grace:
                self.bar[(new_letter, natural)] = alteration
        return written + _letter_with_octave(new_letter, natural) + length

    def chord_symbol(self, text: str) -> str:
        """``"G/B"`` -> its roots moved; free text and annotations (``"^text"``) unchanged."""
        inner = text[1:-1] if text.endswith('"') and len(text) > 1 else text[1:]
        if not is_chord_symbol(inner):
            return text

        def move(match: re.Match) -> str:
            pitch = LETTER_PITCH_CLASS[match.group(1)] + {"#": 1, "b": -1, "": 0}[match.group(2)] + self.semitones
            new_letter, alteration, _ = self.letter_and_alteration(match.group(1), 60 + pitch % 12)
            return note_name(new_letter, alteration)

        return text[0] + _CHORD_ROOT.sub(move, inner) + text[1 + len(inner):]


def _default_steps(semitones: int) -> int:
    """Diatonic steps for a transposition without a key (from C to the key with the fewest accidentals)."""
    target = transposed_key(Key("C", 0, "", "", ""), semitones)
    return LETTERS.index(target.letter)


def _letter_with_octave(letter: str, natural_pitch: int) -> str:
    """``C`` at 60, ``c`` at 72, ``c'`` at 84, ``C,`` at 48."""
    octave = (natural_pitch - LETTER_PITCH_CLASS[letter]) // 12 - 5  # 0 for the octave of middle C
    if octave >= 1:
        return letter.lower() + "'" * (octave - 1)
    return letter + "," * (-octave)


def transpose_abc(text: str, semitones: int) -> str:
    """The tune text moved by ``semitones`` (any integer; 0 returns the text unchanged). Never raises on odd input:
    what it cannot read it leaves as it is."""
    if semitones == 0:
        return text
    speller = _Speller(semitones)
    out: list[str] = []
    position = 0
    in_grace = False
    for token in scan_tune(text).tokens:
        replacement = None
        if token.kind in ("note", "grace_note") and token.pitch is not None and token.problem != "pitch_out_of_range":
            pitch = token.pitch + semitones
            if 0 <= pitch <= 127:
                replacement = speller.note_text(token.text, pitch, in_grace)
        elif token.kind in ("field", "inline_field"):
            replacement = _transposed_field(token.text, speller)
        elif token.kind == "annotation":
            replacement = speller.chord_symbol(token.text)
        elif token.kind == "bar":
            speller.bar = {}
        elif token.kind == "grace_start":
            in_grace = True
        elif token.kind == "grace_end":
            in_grace = False
        if replacement is not None and replacement != token.text:
            out.append(text[position:token.offset])
            out.append(replacement)
            position = token.offset + len(token.text)
    out.append(text[position:])
    return "".join(out)


def _transposed_field(field_text: str, speller: _Speller) -> str | None:
    parts = FIELD_PARTS.match(field_text)
    if not parts or parts.group(1) != "K":
        return None
    value = parts.group(2)
    old = read_key(value)
    if old is None:
        speller.set_key(None, None, key_accidentals(value))
        return None
    new = transposed_key(old, speller.semitones)
    new_value = " " * (len(value) - len(value.lstrip())) + new.name()
    speller.set_key(old, new, key_accidentals(new_value))
    start = field_text.index(":", field_text.index(parts.group(1))) + 1
    return field_text[:start] + new_value + field_text[start + len(value):]
