"""Key moves of the training tunes: augmentation (written again in other keys) and one tonic (all in one key).

``TrainConfig.augment_keys`` lists semitone shifts (e.g. ``(-5, -2, 2, 5)``: a tune in D is added in A, C, E and
G). Each training tune gets one transposed copy per shift, through :func:`studio.core.abc.transpose.transpose_abc`
(``K:``, notes, accidentals and chord symbols move; bar lengths stay). The range check: a copy must lie within
:data:`~studio.core.abc.key_moves.PLAYABLE_RANGE` (the span O'Neill's tunes use, G3 to E6: the fiddle's lowest
string to the top of the flute's and whistle's second octave); when the shift itself would leave it, the same key an
octave lower or higher is taken, and a tune that fits neither way gets no copy for that shift. Validation tunes are
never transposed, so the held-out score stays the score of the corpus as written.

``TrainConfig.tonic`` (a letter) writes every tune, training and held-out alike, with that tonic before anything
else (:func:`tunes_in_tonic`): the model then reads and writes tunes in one key, and its held-out score is the
score of the held-out tunes in that key (:func:`studio.core.quality.scoring.score_corpus` moves them the same way).
The keys the training tunes were written in are kept with the run's checkpoints (:func:`keys_written`), so the model
can write each new tune in a key as its corpus would (:mod:`studio.core.generation.model_key`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from studio.core.abc.key_moves import fitting_shift, in_tonic, keys_by_mode, pitch_span
from studio.core.abc.transpose import transpose_abc
from studio.core.corpus import Split, Tune

#: Characters a transposition can write that the original tune may lack (note letters, accidentals, octave marks,
#: the sharp and flat of ``K:`` and chord symbols): a vocabulary for augmented training holds them all.
TRANSPOSITION_ALPHABET = "ABCDEFGabcdefg^_=',#b"


@dataclass
class AugmentationReport:
    """What augmenting made: ``copies`` added, ``octave_moved`` of them taken an octave away from the plain shift to
    stay in range, and ``skipped`` (tune id, shift) pairs that fit the range neither way."""

    shifts: tuple[int, ...]
    tunes: int = 0
    copies: int = 0
    octave_moved: int = 0
    skipped: list[tuple[str, int]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"shifts": list(self.shifts), "tunes": self.tunes, "copies": self.copies,
                "octave_moved": self.octave_moved, "skipped": len(self.skipped)}


def tunes_in_tonic(tunes, tonic: str) -> list[Tune]:
    """``tunes`` written with the tonic ``tonic`` (``TrainConfig.tonic``; ``written``: as they are), ids kept; a tune
    without a readable tonic or that fits no octave stays as written."""
    return list(tunes) if tonic == "written" else [replace(t, text=in_tonic(t.text, tonic)) for t in tunes]


def keys_written(tunes, tonic: str) -> dict:
    """For a one-tonic run, the keys its training ``tunes`` are written in before the move, as a checkpoint's corpus
    record keeps them (``{"keys": {mode: {tonic: count}}}``); ``{}`` for tunes left in their own keys."""
    return {} if tonic == "written" else {"keys": keys_by_mode(t.text for t in tunes)}


def split_in_tonic(split: Split, tonic: str) -> Split:
    """``split`` with its training and held-out tunes written with the tonic ``tonic`` (the same ids)."""
    if tonic == "written":
        return split
    return replace(split, train=tuple(tunes_in_tonic(split.train, tonic)),
                   validation=tuple(tunes_in_tonic(split.validation, tonic)))


def augmented_tunes(tunes, shifts, report: AugmentationReport | None = None) -> list[Tune]:
    """``tunes`` followed by their transposed copies (one per shift that fits; ids ``ID@+2``), in a fixed order."""
    report = report if report is not None else AugmentationReport(tuple(shifts))
    tunes = list(tunes)
    report.tunes = len(tunes)
    copies: list[Tune] = []
    for tune in tunes if shifts else ():  # no shifts: no copies, and no tune read for its span
        span = pitch_span(tune.text)
        for semitones in shifts:
            shift = fitting_shift(span, semitones)
            if shift is None:
                report.skipped.append((tune.id, semitones))
                continue
            report.octave_moved += shift != semitones
            copies.append(Tune(f"{tune.id}@{semitones:+d}", tune.title, transpose_abc(tune.text, shift)))
    report.copies = len(copies)
    return tunes + copies
