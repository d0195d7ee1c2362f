"""Keys and spelling: read a ``K:`` value (tonic, mode), its scale, and spell pitches and key names in a key.

The one place that knows how a key name maps to a tonic pitch class, a mode, a number of sharps or flats and the
seven scale degrees; transposition (:mod:`studio.core.abc.transpose`) and harmonisation
(:mod:`studio.core.sound.accompaniment`) both build on it, and so do the key signature the tokenizer plays
(:func:`~studio.core.abc.fields.key_accidentals`) and the MIDI file's key (:func:`studio.core.sound.midi.parse_key`), so
what is played, spelled and written agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LETTERS = "CDEFGAB"
#: Pitch class of each natural letter.
LETTER_PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
#: Position of each letter on the circle of fifths, relative to C.
_LETTER_FIFTHS = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}
#: Mode -> fifths added to the tonic's major signature.
MODE_FIFTHS = {"": 0, "maj": 0, "ion": 0, "mix": -1, "dor": -2, "m": -3, "min": -3, "aeo": -3, "phr": -4,
               "loc": -5, "lyd": 1}
#: Mode -> the semitone steps of its scale from the tonic.
MODE_STEPS = {"": (0, 2, 4, 5, 7, 9, 11), "mix": (0, 2, 4, 5, 7, 9, 10), "dor": (0, 2, 3, 5, 7, 9, 10),
              "m": (0, 2, 3, 5, 7, 8, 10), "phr": (0, 1, 3, 5, 7, 8, 10), "lyd": (0, 2, 4, 6, 7, 9, 11),
              "loc": (0, 1, 3, 5, 6, 8, 10)}
_MODE_ALIASES = {"maj": "", "ion": "", "min": "m", "aeo": "m"}
_KEY = re.compile(r"\s*([A-Ga-g])([#b]?)([ \t]*)([A-Za-z]*)")
_ACCIDENTAL_TEXT = {-2: "bb", -1: "b", 0: "", 1: "#", 2: "##"}


@dataclass(frozen=True)
class Key:
    """A key read from ``K:``: tonic letter (upper case), its alteration in semitones, the mode as written
    (``m``, ``Dor``, ``mix``...), the mode's canonical name (``""`` major, ``m``, ``dor``, ``mix``, ...) and the
    text after the mode (explicit accidentals, clef), kept verbatim."""

    letter: str
    alteration: int
    mode_text: str
    mode: str
    rest: str

    @property
    def tonic_pitch_class(self) -> int:
        return (LETTER_PITCH_CLASS[self.letter] + self.alteration) % 12

    @property
    def fifths(self) -> int:
        """Sharps (positive) or flats (negative) of the key signature."""
        return _LETTER_FIFTHS[self.letter] + 7 * self.alteration + MODE_FIFTHS.get(self.mode, 0)

    @property
    def scale(self) -> tuple[int, ...]:
        """Pitch classes of the seven scale degrees, tonic first."""
        return tuple((self.tonic_pitch_class + step) % 12 for step in MODE_STEPS[self.mode])

    @property
    def triad(self) -> frozenset[int]:
        """Pitch classes of the mode's tonic triad: scale degrees 1, 3 and 5 (``Ador``: A C E, ``Dmix``: D F# A)."""
        scale = self.scale
        return frozenset((scale[0], scale[2], scale[4]))

    @property
    def scale_letters(self) -> str:
        """The letters of the seven scale degrees, tonic first."""
        start = LETTERS.index(self.letter)
        return "".join(LETTERS[(start + i) % 7] for i in range(7))

    def name(self) -> str:
        """The key as ``K:`` text: ``F#m``, ``Bbmix``, ``Ador exp ^g`` (mode spelled as it was)."""
        return f"{self.letter}{_ACCIDENTAL_TEXT[self.alteration]}{self.mode_text}{self.rest}"


def read_key(value: str) -> Key | None:
    """The key of a ``K:`` value, or None for no tonic (``none``, ``HP``, percussion, empty, unreadable)."""
    text = value.strip()
    if text[:2].lower() == "hp" or text.lower().startswith("none"):
        return None
    match = _KEY.match(text)
    if not match:
        return None
    mode_text = match.group(4)
    lowered = mode_text.lower()
    mode = "m" if lowered == "m" else lowered[:3]
    if mode not in MODE_FIFTHS:
        # "K:G clef=treble", "K:D exp ^f", or a slip such as "K:Bn": no mode word, the tonic's major signature
        # (abc2midi refuses an unknown mode; playing the tonic's key is closer to what the writer meant)
        mode, mode_text = "", ""
        rest = text[match.end(2):]
    else:
        rest = text[match.end():]
        mode_text = match.group(3) + mode_text if mode_text else ""
    mode = _MODE_ALIASES.get(mode, mode)
    letter = match.group(1).upper()
    alteration = {"#": 1, "b": -1, "": 0}[match.group(2)]
    return Key(letter, alteration, mode_text, mode, rest)


def spell_pitch_class(pitch_class: int, letter: str) -> int | None:
    """The alteration (-2..2) that makes ``letter`` sound ``pitch_class``; None when more than a double."""
    alteration = (pitch_class - LETTER_PITCH_CLASS[letter] + 6) % 12 - 6
    return alteration if -2 <= alteration <= 2 else None


def shifted_letter(letter: str, steps: int) -> str:
    """The letter ``steps`` diatonic steps above ``letter`` (``steps`` may be negative)."""
    return LETTERS[(LETTERS.index(letter) + steps) % 7]


def note_name(letter: str, alteration: int) -> str:
    """``F`` + 1 -> ``F#``: a chord-symbol style name."""
    return letter + _ACCIDENTAL_TEXT[alteration]


def transposed_key(key: Key, semitones: int) -> Key:
    """The key ``semitones`` higher, spelled with the fewest sharps or flats (sharps on a tie)."""
    pitch_class = (key.tonic_pitch_class + semitones) % 12
    best = None
    for letter in LETTERS:
        alteration = spell_pitch_class(pitch_class, letter)
        if alteration is None or abs(alteration) > 1:
            continue
        candidate = Key(letter, alteration, key.mode_text, key.mode, key.rest)
        score = (abs(candidate.fifths), candidate.fifths < 0)
        if best is None or score < best[0]:
            best = (score, candidate)
    return best[1]
