"""Cadences by construction: with a form, strict sampling brings every strain to a tonic-triad note and the tune home.

A strain's last bar is sampled like any other (the model chooses every note), with one more rule: the bar's last
melody note must have the target pitch class (any octave). :class:`CadenceState` (a
:class:`~studio.core.abc.rhythm.RhythmState` that also follows pitches: the key signature, the bar's accidentals)
answers it while the bar is written: a note of another pitch class, a rest or a chord led by another pitch class
must leave time after it in that bar, and a bar line may not close a full bar whose last note is not the target.
The last note lasts at least :data:`SHORTEST_FINAL` (an eighth: O'Neill's strains end on shorter notes in 0.7% of
them; without it the model, kept from its own ending, squeezes the target in as a 64th note).
So masking never lets such a bar end elsewhere; the sampler's back-off (a bar drawn again, then completed greedily
after ``MAX_TRIES``) is the same machinery that makes bars add up, and the greedy completion obeys the rule too.

:class:`CadencePlan` picks each strain's target when its last bar begins: the tonic for the tune's last strain;
for the others a note of the tonic triad, the tonic, third or fifth with the chances O'Neill's shows for strains
ending on the triad in that meter and mode group (:data:`CHANCES`, from :func:`measure_chances`), drawn once per
strain with the tune's own random generator, so a seed still gives one tune.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from studio.core.abc.canonical import meter_spelling
from studio.core.abc.fields import ACCIDENTAL_SHIFT, key_accidentals
from studio.core.abc.keys import LETTER_PITCH_CLASS, LETTERS, read_key
from studio.core.abc.rhythm import RhythmState

#: The tonic triad's scale degrees (indices into :attr:`Key.scale`) a non-final strain may end on, in order.
TRIAD_DEGREES = (0, 2, 4)
#: The shortest last note of a strain (whole notes).
SHORTEST_FINAL = Fraction(1, 8)
#: Strain endings a cell of :data:`CHANCES` needs to be used; fewer fall back to the mode group, then to all tunes.
MIN_STRAINS = 30
#: (meter, mode group, strain position) -> chances of the tonic, third and fifth among strain endings on the tonic
#: triad. Measured on O'Neill's at the canonical text level (tunes of two or more strains; ``first``: the first strain,
#: ``middle``: later ones but the last; ``*``: any): :func:`measure_chances` recomputes them, a test keeps them in step.
CHANCES = {
    ("*", "*", "first"): (0.93, 0.01, 0.05),
    ("*", "*", "middle"): (0.83, 0.01, 0.16),
    ("*", "major", "first"): (0.93, 0.01, 0.06),
    ("*", "major", "middle"): (0.81, 0.02, 0.18),
    ("*", "minor", "first"): (0.97, 0.01, 0.02),
    ("*", "modal", "first"): (0.97, 0.03, 0.0),
    ("2/2", "major", "first"): (0.94, 0.01, 0.04),
    ("2/2", "major", "middle"): (0.98, 0.02, 0.0),
    ("2/2", "minor", "first"): (0.98, 0.0, 0.02),
    ("2/4", "major", "first"): (0.93, 0.01, 0.07),
    ("3/4", "major", "first"): (0.94, 0.02, 0.05),
    ("3/4", "minor", "first"): (0.97, 0.0, 0.03),
    ("4/4", "major", "first"): (0.96, 0.0, 0.04),
    ("4/4", "minor", "first"): (0.95, 0.0, 0.05),
    ("6/8", "major", "first"): (0.94, 0.01, 0.05),
    ("6/8", "major", "middle"): (0.86, 0.01, 0.13),
    ("6/8", "minor", "first"): (0.97, 0.02, 0.02),
    ("9/8", "major", "first"): (0.61, 0.04, 0.35),
}
_GROUPS = {"": "major", "m": "minor"}


def mode_group(mode: str) -> str:
    """``major`` (Ionian), ``minor`` (Aeolian) or ``modal`` (Dorian, Mixolydian and the rest) of a key's mode."""
    return _GROUPS.get(mode, "modal")


def ending_chances(meter: str, mode: str, position: str) -> tuple[float, float, float]:
    """The chances of ending a non-final strain on the tonic, third and fifth (see :data:`CHANCES`)."""
    group = mode_group(mode)
    for cell in ((meter_spelling(meter), group, position), ("*", group, position), ("*", "*", position),
                 ("*", "*", "first")):
        if cell in CHANCES:
            return CHANCES[cell]
    return (1.0, 0.0, 0.0)


def measure_chances(texts, min_strains: int = MIN_STRAINS) -> dict[tuple[str, str, str], tuple[float, float, float]]:
    """:data:`CHANCES` measured on tunes (texts), rounded to two places; cells with fewer strain endings on the
    triad than ``min_strains`` are left out."""
    from studio.core.abc.tokenizer import scan_tune
    from studio.core.quality.tonal import tonal_measures

    counts: dict[tuple, Counter] = {}
    for text in texts:
        scanned = scan_tune(text)
        key = read_key(scanned.fields.get("K", ""))
        endings = tonal_measures(scanned).strain_final_pitches if key is not None else []
        degrees = [key.scale[d] for d in TRIAD_DEGREES] if key is not None else []
        for number, pitch in enumerate(endings[:-1]):
            if pitch % 12 not in degrees:
                continue
            position = "first" if number == 0 else "middle"
            meter, group = meter_spelling(scanned.fields.get("M", "")), mode_group(key.mode)
            for cell in ((meter, group, position), ("*", group, position), ("*", "*", position)):
                counts.setdefault(cell, Counter())[degrees.index(pitch % 12)] += 1
    return {cell: tuple(round(c[i] / sum(c.values()), 2) for i in range(3))
            for cell, c in sorted(counts.items()) if sum(c.values()) >= min_strains}


_CADENCE_INITIAL = dict(target=None, key_text="", key_shift=(0,) * 7, bar_shift=(), note_natural=0, note_letter="C",
                        note_accidental=None, note_pc=None, last_pc=None, chord_pc=None)


class CadenceState(RhythmState):
    """A rhythm state that also knows the pitch class of each melody note, and a ``target`` (a set of pitch classes,
    or None) that the current bar's last melody note must belong to (see the module docstring).

    Pitches follow :mod:`studio.core.abc.tokenizer`: the key signature, accidentals lasting to the bar's end at their
    own octave (grace notes' accidentals do not), a chord's melody note its first. Every value is immutable, so
    :meth:`copy` stays cheap."""

    def __init__(self) -> None:
        super().__init__()
        self.__dict__.update(_CADENCE_INITIAL)

    def key(self) -> tuple:
        if self.target is None:
            return super().key() + (None,)
        target = self.target
        return super().key() + (target, self.key_shift, self.bar_shift, self.note_pc in target,
                                self.last_pc in target, self.chord_pc in target, self.chord_pc is None)

    def viable(self) -> bool:
        if not super().viable():
            return False
        if self.target is None or self.phase == "header":
            return True
        if self.bar_full():
            return self.last_pc in self.target
        settled = (self.mode == "idle" and self.context == "idle" and not self.tuplet_left
                   and self.broken_next == 1)
        return not settled or self.meter - self.used >= SHORTEST_FINAL

    def _may_leave(self, duration: Fraction, remaining: Fraction) -> bool:
        if self.target is None:
            return True
        if duration == remaining:
            return duration >= SHORTEST_FINAL and not self._room_needed()
        return remaining - duration >= SHORTEST_FINAL

    def _room_needed(self) -> bool:
        """True when the note, rest or chord being written may not be the bar's last: its pitch misses the target."""
        target = self.target
        if target is None or self.phase == "header":
            return False
        if self.context == "chord" or self.mode in ("chord_suffix", "bracket"):
            return self.chord_pc is not None and self.chord_pc not in target
        if self.context != "idle":
            return False
        if self.mode == "note":
            return self.note_pc not in target
        if self.mode == "acc":
            shift = ACCIDENTAL_SHIFT[self.tok]
            return all((pc + shift) % 12 not in target for pc in LETTER_PITCH_CLASS.values())
        return self.mode == "rest"

    # ---- following pitches -------------------------------------------------------------------------------
    def apply_field(self, letter: str, value: str) -> None:
        super().apply_field(letter, value)
        if letter == "K":
            shifts = key_accidentals(value)
            self.key_text, self.key_shift = value.strip(), tuple(shifts[name] for name in LETTERS)

    def _pitch_class(self) -> int:
        natural, accidental = self.note_natural, self.note_accidental
        if accidental is not None:
            return (natural + ACCIDENTAL_SHIFT[accidental]) % 12
        shift = dict(self.bar_shift).get(natural, self.key_shift[LETTERS.index(self.note_letter)])
        return (natural + shift) % 12

    def _start_note(self, mode: str, ch: str) -> None:
        if mode == "note":
            self.note_accidental = self.tok if self.mode == "acc" else None
            self.note_letter = ch.upper()
            self.note_natural = 60 + LETTER_PITCH_CLASS[self.note_letter] + (12 if ch.islower() else 0)
            self.note_pc = self._pitch_class()
        super()._start_note(mode, ch)

    def _mode_note(self, ch: str) -> None:
        if ch in "',":
            self.note_natural += 12 if ch == "'" else -12
            self.note_pc = self._pitch_class()
        elif not (ch.isdigit() or ch == "/"):
            self._note_ended()
        super()._mode_note(ch)

    def _note_ended(self) -> None:
        if self.note_accidental is not None and self.context != "grace":
            shifts = dict(self.bar_shift)
            shifts[self.note_natural] = ACCIDENTAL_SHIFT[self.note_accidental]
            self.bar_shift = tuple(sorted(shifts.items()))
        if self.context == "idle":
            self.last_pc = self.note_pc
        elif self.context == "chord" and self.chord_first is None:
            self.chord_pc = self.note_pc

    def _mode_chord_suffix(self, ch: str) -> None:
        if not (ch.isdigit() or ch == "/"):
            self.last_pc, self.chord_pc = self.chord_pc, None
        super()._mode_chord_suffix(ch)

    def _close_bar(self) -> None:
        if self.target is not None and self.bar_has_notes and self.used == self.meter and self.last_pc not in self.target:
            self._deny()
        super()._close_bar()
        self.bar_shift, self.last_pc, self.chord_pc = (), None, None


class CadencePlan:
    """The targets of one tune's strain endings: ``strains`` strains of ``strain_bars`` full bars; ``draw()`` gives
    a uniform number in [0, 1) from the tune's generator."""

    def __init__(self, strains: int, strain_bars: int, draw):
        self.strains, self.strain_bars, self.draw = strains, strain_bars, draw
        self.drawn: dict[int, frozenset[int]] = {}

    def target(self, state: CadenceState) -> frozenset[int] | None:
        """The pitch classes the bar about to begin must end on: None unless it is a strain's last bar."""
        bar = state.full_bars + 1
        key = read_key(state.key_text)
        if bar % self.strain_bars or key is None:
            return None
        strain = bar // self.strain_bars
        if strain >= self.strains:
            return frozenset({key.tonic_pitch_class})
        if strain not in self.drawn:
            chances = ending_chances(state.meter_text or "", key.mode, "first" if strain == 1 else "middle")
            draw, degree = self.draw(), 0
            while degree < len(TRIAD_DEGREES) - 1 and draw >= chances[degree]:
                draw -= chances[degree]
                degree += 1
            self.drawn[strain] = frozenset({key.scale[TRIAD_DEGREES[degree]]})
        return self.drawn[strain]
