"""What the header fields that shape the music say: meter (``M:``), unit note length (``L:``), key signature (``K:``).

The one meter parser (:func:`meter_parts`) serves bar lengths, MIDI time signatures and the validator alike.
"""

from __future__ import annotations

import re
from fractions import Fraction

#: Semitone shift of each ABC accidental.
ACCIDENTAL_SHIFT = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}
_KEY_PARTS = re.compile(r"\s*([A-Ga-g])([#b]?)\s*([A-Za-z]*)")
_KEY_EXTRA_ACCIDENTALS = re.compile(r"(\^\^|\^|__|_|=)([A-Ga-g])")
_MAJOR_FIFTHS = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F#": 6, "C#": 7, "F": -1, "Bb": -2,
                 "Eb": -3, "Ab": -4, "Db": -5, "Gb": -6, "Cb": -7, "G#": 8, "D#": 9, "A#": 10, "E#": 11,
                 "B#": 12, "Fb": -8}
_MODE_SHIFT = {"": 0, "maj": 0, "ion": 0, "mix": -1, "dor": -2, "m": -3, "min": -3, "aeo": -3, "phr": -4,
               "loc": -5, "lyd": 1}
_SHARP_ORDER = "FCGDAEB"


def meter_parts(value: str | None) -> tuple[int, int] | None:
    """Numerator and denominator of an ``M:`` value as written (``C`` = (4, 4), ``C|`` = (2, 2), ``(2+3)/8`` =
    (5, 8)); ``None`` for free or unknown meters. The one meter parser: bar lengths and MIDI time signatures use it."""
    value = (value or "").strip().split(" ")[0]
    if value == "C|":
        return 2, 2
    if value == "C":
        return 4, 4
    match = re.fullmatch(r"\(?([\d+]{1,12})\)?/(\d{1,4})", value)
    if not match:
        return None
    numerator = sum(int(part) for part in match.group(1).split("+") if part)
    denominator = int(match.group(2))
    return (numerator, denominator) if numerator > 0 and denominator > 0 else None


def parse_meter(value: str | None) -> Fraction | None:
    """Bar length of an ``M:`` value in whole notes (``C`` = 4/4, ``C|`` = 2/2); ``None`` for free meter."""
    parts = meter_parts(value)
    return Fraction(*parts) if parts else None


def default_unit_length(meter: Fraction | None) -> Fraction:
    """The ABC standard's default ``L:`` for a meter: 1/16 below 3/4, else 1/8 (1/8 for free meter)."""
    if meter is not None and meter < Fraction(3, 4):
        return Fraction(1, 16)
    return Fraction(1, 8)


def parse_unit_length(value: str) -> Fraction | None:
    """The ``L:`` value as a fraction of a whole note, or ``None`` when unreadable."""
    match = re.fullmatch(r"\s*(\d{1,4})(?:/(\d{1,4}))?\s*", value)
    if not match:
        return None
    numerator = int(match.group(1))
    denominator = int(match.group(2) or 1)
    if numerator == 0 or denominator == 0:
        return None
    return Fraction(numerator, denominator)


def key_accidentals(value: str) -> dict[str, int]:
    """Semitone shift per note letter (upper case) that a ``K:`` value implies, e.g. ``Dmix`` -> {F: +1}."""
    shifts = {letter: 0 for letter in _SHARP_ORDER}
    text = value.strip()
    if text[:2].lower() == "hp":  # Highland pipes: written without a key signature
        return shifts
    match = _KEY_PARTS.match(text)
    if match and not text.lower().startswith("none"):
        tonic = match.group(1).upper() + match.group(2)
        mode = match.group(3).lower()
        mode = "m" if mode == "m" else mode[:3]
        fifths = _MAJOR_FIFTHS.get(tonic, 0) + _MODE_SHIFT.get(mode, 0)
        fifths = max(-7, min(7, fifths))
        if fifths > 0:
            for letter in _SHARP_ORDER[:fifths]:
                shifts[letter] = 1
        elif fifths < 0:
            for letter in reversed(_SHARP_ORDER[fifths:]):
                shifts[letter] = -1
        rest = text[match.end():]
    else:
        rest = text
    for accidental, letter in _KEY_EXTRA_ACCIDENTALS.findall(rest):
        shifts[letter.upper()] = ACCIDENTAL_SHIFT[accidental]
    return shifts
