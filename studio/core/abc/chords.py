"""Chord symbols of ABC (``"G"``, ``"Em7"``, ``"D/F#"``): what they mean, and telling them from free text.

A quoted string is a chord when it is a root (``A``-``G`` with ``#`` or ``b``), a known quality and an optional
slash bass; anything else (``"Allegro"``, ``"^fine"``, placement-prefixed annotations) is text, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from studio.core.abc.keys import LETTER_PITCH_CLASS

#: Chord quality as written -> semitones above the root.
CHORD_QUALITIES = {
    "": (0, 4, 7), "maj": (0, 4, 7), "M": (0, 4, 7), "m": (0, 3, 7), "min": (0, 3, 7), "-": (0, 3, 7),
    "7": (0, 4, 7, 10), "m7": (0, 3, 7, 10), "min7": (0, 3, 7, 10), "-7": (0, 3, 7, 10),
    "maj7": (0, 4, 7, 11), "M7": (0, 4, 7, 11), "dim": (0, 3, 6), "o": (0, 3, 6), "°": (0, 3, 6),
    "dim7": (0, 3, 6, 9), "o7": (0, 3, 6, 9), "m7b5": (0, 3, 6, 10), "aug": (0, 4, 8), "+": (0, 4, 8),
    "sus4": (0, 5, 7), "sus": (0, 5, 7), "sus2": (0, 2, 7), "6": (0, 4, 7, 9), "m6": (0, 3, 7, 9),
    "9": (0, 4, 7, 10, 14), "5": (0, 7),
}
_SYMBOL = re.compile(r"\(?([A-G])([#b]?)([^/()]*)(?:/([A-G])([#b]?))?\)?")
_ALTERATION = {"#": 1, "b": -1, "": 0}


@dataclass(frozen=True)
class Chord:
    """A chord: root and bass pitch classes, intervals above the root, and the name it is written with."""

    root: int
    intervals: tuple[int, ...]
    bass: int
    name: str

    @cached_property
    def pitch_classes(self) -> frozenset[int]:
        return frozenset((self.root + i) % 12 for i in self.intervals) | {self.bass}

    def voicing(self, low: int = 52) -> list[int]:
        """Close-position chord notes from the first pitch at or above ``low`` (MIDI)."""
        root = low + (self.root - low) % 12
        return [root + i for i in self.intervals if i < 12] or [root]

    def bass_note(self, low: int = 40) -> int:
        return low + (self.bass - low) % 12


def parse_chord_symbol(text: str) -> Chord | None:
    """``"G"``, ``"Em7"``, ``"D/F#"``, ``"Bbdim"`` -> a :class:`Chord`; free text and annotations -> None."""
    text = text.strip().strip('"').strip()
    match = _SYMBOL.fullmatch(text)
    if not match or match.group(3) not in CHORD_QUALITIES:
        return None
    root = (LETTER_PITCH_CLASS[match.group(1)] + _ALTERATION[match.group(2)]) % 12
    bass = root
    if match.group(4):
        bass = (LETTER_PITCH_CLASS[match.group(4)] + _ALTERATION[match.group(5)]) % 12
    return Chord(root, CHORD_QUALITIES[match.group(3)], bass, text.strip("()"))


def is_chord_symbol(text: str) -> bool:
    """Whether a quoted string (quotes optional) is a chord symbol rather than free text."""
    return parse_chord_symbol(text) is not None
