"""What the header fields that shape the music say: meter (``M:``), unit note length (``L:``), key signature (``K:``).

The one meter parser (:func:`meter_parts`) serves bar lengths, MIDI time signatures and the validator alike.
"""

from __future__ import annotations

import re
from fractions import Fraction

from studio.core.abc.keys import read_key

#: Semitone shift of each ABC accidental.
ACCIDENTAL_SHIFT = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}
_KEY_EXTRA_ACCIDENTALS = re.compile(r"(\^\^|\^|__|_|=)([A-Ga-g])")
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
    """Semitone shift per note letter (upper case) that a ``K:`` value implies, e.g. ``Dmix`` -> {F: +1}: the key's
    signature (:func:`~studio.core.abc.keys.read_key`), then the accidentals written after it (``K:D exp ^g``)."""
    shifts = {letter: 0 for letter in _SHARP_ORDER}
    key = read_key(value)
    if key is None:
        rest = "" if value.strip()[:2].lower() == "hp" else value  # Highland pipes: no signature, nothing added
    else:
        fifths = max(-7, min(7, key.fifths))
        for letter in _SHARP_ORDER[:fifths] if fifths > 0 else _SHARP_ORDER[7 + fifths:] if fifths < 0 else "":
            shifts[letter] = 1 if fifths > 0 else -1
        rest = key.rest
    for accidental, letter in _KEY_EXTRA_ACCIDENTALS.findall(rest):
        shifts[letter.upper()] = ACCIDENTAL_SHIFT[accidental]
    return shifts
