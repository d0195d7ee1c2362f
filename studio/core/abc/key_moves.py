"""Moving a whole tune to another key within the range the instruments play: by a shift, or to one tonic.

Key augmentation (:mod:`studio.core.learning.augmentation`) writes a training tune again a few semitones away; the
one-tonic setting (``TrainConfig.tonic``) writes every tune with the same tonic, mode kept (a reel in G major
becomes a reel in D major, a jig in A dorian one in D dorian), so a model learns its cadences on one pitch, as
folk-rnn's later data were written in one key. Both move notes, accidentals, ``K:`` and chord symbols through
:func:`~studio.core.abc.transpose.transpose_abc` (bar lengths stay) and keep the tune inside :data:`PLAYABLE_RANGE`:
when the plain move would leave it, the same key an octave lower or higher is taken. :func:`keys_by_mode` counts the
keys a collection writes, so a one-tonic model's new tune can be moved to a key as the collection would write it.
"""

from __future__ import annotations

from collections import Counter

from studio.core.abc.keys import note_name, read_key
from studio.core.abc.tokenizer import scan_tune
from studio.core.abc.transpose import transpose_abc

#: MIDI pitches a moved tune may use: G3 (55) to E6 (88), the lowest and highest notes of O'Neill's 1850.
PLAYABLE_RANGE = (55, 88)
#: ``TrainConfig.tonic``: ``written`` leaves every tune in its own key; a letter writes every tune with that tonic.
TONICS = ("written", "C", "D", "E", "F", "G", "A", "B")


def pitch_span(text: str) -> tuple[int, int] | None:
    """The lowest and highest MIDI pitch of a tune's notes (grace notes included), or None without notes."""
    pitches = [t.pitch for t in scan_tune(text).tokens if t.kind in ("note", "grace_note") and t.pitch is not None]
    return (min(pitches), max(pitches)) if pitches else None


def fitting_shift(span: tuple[int, int] | None, semitones: int, playable=PLAYABLE_RANGE) -> int | None:
    """``semitones``, or the same key an octave lower or higher, whichever keeps ``span`` inside ``playable`` (the
    smallest move first); None when no octave fits."""
    if span is None:
        return None
    low, high = span
    for shift in sorted((semitones, semitones - 12, semitones + 12), key=abs):
        if playable[0] <= low + shift and high + shift <= playable[1]:
            return shift
    return None


def nearer_way_to_tonic(text: str, tonic: str) -> int | None:
    """The semitones (-5 to +6) from the tonic of ``text``'s ``K:`` to ``tonic`` (a letter, see :data:`TONICS`);
    None without a readable tonic (``K:none``, no ``K:``). The range is not looked at (a primer has few notes)."""
    key, target = read_key(scan_tune(text).fields.get("K", "")), read_key(tonic)
    if key is None or target is None:
        return None
    return (target.tonic_pitch_class - key.tonic_pitch_class + 5) % 12 - 5


def shift_to_tonic(text: str, tonic: str) -> int | None:
    """The semitones that write ``text`` with the tonic ``tonic``: the nearer way, an octave further when the range
    asks; 0 when the tune is already there; None when the tune has no readable tonic or fits no octave."""
    semitones = nearer_way_to_tonic(text, tonic)
    if semitones is None:
        return None
    return fitting_shift(pitch_span(text), semitones) if semitones else 0


def in_tonic(text: str, tonic: str) -> str:
    """``text`` written with the tonic ``tonic`` (``written``: unchanged); a tune that cannot move stays as it is."""
    if tonic == "written":
        return text
    shift = shift_to_tonic(text, tonic)
    return transpose_abc(text, shift) if shift else text


def tonic_clause(tonic: str) -> str:
    """How a run's or model's ``tonic`` setting reads after what it reads: ``""`` for ``written``."""
    return "" if tonic == "written" else f", every tune written with the tonic {tonic} (so it writes in {tonic})"


def keys_by_mode(texts) -> dict[str, dict[str, int]]:
    """How many of ``texts`` are written with each tonic, per mode (``""`` major, ``m``, ``dor``, ``mix``...):
    ``{"": {"G": 812, "D": 640, ...}, "m": {"E": 150, ...}}``; tunes without a readable key are not counted."""
    counts: dict[str, Counter] = {}
    for text in texts:
        key = read_key(scan_tune(text).fields.get("K", ""))
        if key is not None:
            counts.setdefault(key.mode, Counter())[note_name(key.letter, key.alteration)] += 1
    return {mode: dict(tonics.most_common()) for mode, tonics in counts.items()}
