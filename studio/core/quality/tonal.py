"""Tonal measures of one tune: its tonic, where the tune and each strain end, and pitch classes from the tonic.

Definitions (used by the metrics, the critic, the cadence sampler's corpus chances and the benches alike):

- **tonic**: the pitch class of the tonic of the header's ``K:`` (mode aware through
  :func:`~studio.core.abc.keys.read_key`: ``K:Ador`` A, ``K:Gmix`` G, ``K:Em`` E); a tune without a readable key
  (``K:none``, ``K:HP``) has none, and every measure below is then 0. The **tonic triad** is the mode's triad
  (degrees 1, 3, 5: ``K:Ador`` A C E, ``K:D`` D F# A).
- **last melody note** of a stretch of bars: the note sounding last in its last bar, grace notes left out, a chord
  counted by its first written note, a tied note by its pitch (read by :func:`~studio.core.abc.timeline.read_bars`).
- **strains**: the bars up to each bar line that closes a section (an end repeat ``:|`` or ``::``, a double bar
  ``||``, a final bar ``|]``) and up to the tune's end (:func:`~studio.core.abc.timeline.strain_ranges`). A strain
  with first and second endings (``|1 ... :|2 ... ||``) is one strain, and its last note is the last note of its
  last ending, the one that goes on (the first ending leads back into the repeat). A pickup bar belongs to the
  strain it leads into. The tune's last strain ends with the tune's last note.
- **relative pitch-class histogram**: the melody notes' pitch classes counted in 12 bins from the tonic (bin 0 the
  tonic, bin 7 its fifth), so tunes in different keys compare; without a tonic, all zeros.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.core.abc.keys import read_key
from studio.core.abc.timeline import WrittenBar, read_bars, strain_ranges
from studio.core.abc.tokenizer import ScannedTune, scan_tune


@dataclass(slots=True)
class TonalMeasures:
    """The tonal measures of one tune (see the module docstring for the definitions)."""

    tonic: int | None
    triad: frozenset[int]
    final_pitch: int | None
    strain_final_pitches: list[int] = field(default_factory=list)
    relative_histogram: list[int] = field(default_factory=lambda: [0] * 12)

    def on_tonic(self, pitch: int | None) -> bool:
        return self.tonic is not None and pitch is not None and pitch % 12 == self.tonic

    def on_triad(self, pitch: int | None) -> bool:
        return pitch is not None and pitch % 12 in self.triad

    @property
    def final_on_tonic(self) -> bool:
        """True when the tune's last melody note is the tonic (any octave)."""
        return self.on_tonic(self.final_pitch)

    @property
    def strain_tonic_share(self) -> float:
        """Share of the strains whose last melody note is the tonic."""
        endings = self.strain_final_pitches
        return sum(self.on_tonic(p) for p in endings) / len(endings) if endings and self.tonic is not None else 0.0

    @property
    def strain_triad_share(self) -> float:
        """Share of the strains whose last melody note belongs to the tonic triad."""
        endings = self.strain_final_pitches
        return sum(self.on_triad(p) for p in endings) / len(endings) if endings else 0.0


def last_melody_pitch(bar: WrittenBar) -> int | None:
    """The pitch of a bar's last melody note (a chord's first written note; grace notes left out), or None."""
    last = None
    for note in bar.notes:
        if not note.grace and (last is None or note.onset > last.onset):
            last = note
    return last.pitch if last is not None else None


def relative_histogram(pitch_class_histogram: list[int], tonic: int | None) -> list[int]:
    """A 12-bin pitch-class histogram (C first) turned to start at ``tonic``; zeros without a tonic."""
    if tonic is None:
        return [0] * 12
    return [pitch_class_histogram[(tonic + step) % 12] for step in range(12)]


def tonal_measures(tune: ScannedTune | str, pitch_class_histogram: list[int] | None = None) -> TonalMeasures:
    """The tonal measures of a tune (text or scanned; pass its melody's pitch-class histogram when known)."""
    scanned = scan_tune(tune) if isinstance(tune, str) else tune
    key = read_key(scanned.fields.get("K", ""))
    tonic = key.tonic_pitch_class if key is not None else None
    triad = key.triad if key is not None else frozenset()
    bars = read_bars(scanned)
    endings = []
    for _, last in strain_ranges(bars):
        pitch = next((p for p in map(last_melody_pitch, reversed(bars[:last + 1])) if p is not None), None)
        if pitch is not None:
            endings.append(pitch)
    if pitch_class_histogram is None:
        pitch_class_histogram = [0] * 12
        for token in scanned.melody():
            pitch_class_histogram[token.pitch % 12] += 1
    final = next((p for p in map(last_melody_pitch, reversed(bars)) if p is not None), None)
    return TonalMeasures(tonic, triad if tonic is not None else frozenset(), final, endings,
                         relative_histogram(pitch_class_histogram, tonic))
