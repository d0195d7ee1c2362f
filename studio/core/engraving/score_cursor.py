"""Which engraved notes sound at a moment of playback: verovio's note ids mapped onto an arrangement's notes.

verovio's timemap (:mod:`studio.core.engraving.notation`) plays the tune straight, at its own tempo, repeats expanded its
own way (a repeated note's id gets a ``-rend2`` suffix; verovio 6.4 plays a first ending on both passes). The
arrangement (:mod:`studio.core.sound.arrangement`) adds swing, a count-in, transposition, accompaniment and passages and
plays endings right, so times differ. Both agree on *where* a note is written: :func:`engraved_positions` places
each engraved id at its written bar and onset (from the timemap's bars), and :class:`ScoreCursor` then asks, for a
playback time, which arranged melody notes sound and which ids sit at their written bar and onset. A tune verovio
could not engrave has no ids and the cursor stays empty; the music still plays.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from studio.core.engraving.notation import TimedEvent
from studio.core.sound.arrangement import TICKS_PER_BEAT, Arrangement

_REPEAT_SUFFIX = re.compile(r"-rend\d+$")


def engraved_id(note_id: str) -> str:
    """The SVG id of a timemap note id (repeats are played from the same engraved note)."""
    return _REPEAT_SUFFIX.sub("", note_id)


def engraved_positions(timemap: Iterable[TimedEvent]) -> dict[tuple[int, int], list[str]]:
    """Engraved note ids by (written bar, onset in ticks within the bar), from verovio's timemap with measures.

    verovio's bars, in the order their ids first sound, are the written bars (as
    :func:`~studio.core.abc.timeline.read_bars` numbers them); an id's onset is its time from its bar's start. Only
    the first time an id sounds counts, so how verovio expands repeats and endings does not matter."""
    bar_numbers: dict[str, int] = {}
    bar, bar_start = -1, 0.0
    placed: dict[str, tuple[int, int]] = {}
    for event in timemap:
        if event.measure:
            bar = bar_numbers.setdefault(engraved_id(event.measure), len(bar_numbers))
            bar_start = event.qstamp
        for note_id in event.on:
            placed.setdefault(engraved_id(note_id), (bar, round((event.qstamp - bar_start) * TICKS_PER_BEAT)))
    positions: dict[tuple[int, int], list[str]] = {}
    for note_id, position in placed.items():
        positions.setdefault(position, []).append(note_id)
    return positions


class ScoreCursor:
    """Engraved ids sounding at a time (ms from the arrangement's start): ``ids_at(ms)``."""

    def __init__(self, arrangement: Arrangement, positions: dict[tuple[int, int], list[str]]):
        self._spans: list[tuple[float, float, tuple[str, ...]]] = []
        for note in arrangement.notes:
            if note.part != "melody":
                continue
            ids = positions.get((note.bar, note.onset))
            if ids:
                self._spans.append((arrangement.ms(note.start), arrangement.ms(note.start + note.duration),
                                    tuple(ids)))
        self._spans.sort()
        self._starts = [start for start, _end, _ids in self._spans]
        self._longest = max((end - start for start, end, _ids in self._spans), default=0.0)

    @classmethod
    def for_timemap(cls, arrangement: Arrangement, timemap: Iterable[TimedEvent]) -> ScoreCursor:
        return cls(arrangement, engraved_positions(timemap))

    @property
    def mapped_notes(self) -> int:
        """How many arranged melody notes have an engraved id."""
        return len(self._spans)

    def ids_at(self, ms: float) -> list[str]:
        """Ids of the written notes whose arranged notes sound at ``ms`` (empty in a count-in or a rest)."""
        found: list[str] = []
        index = bisect.bisect_right(self._starts, ms) - 1
        while index >= 0 and self._spans[index][0] >= ms - self._longest:
            start, end, ids = self._spans[index]
            if start <= ms < end:
                found.extend(i for i in ids if i not in found)
            index -= 1
        return found

    def start_of(self, note_id: str) -> float | None:
        """When the written note ``note_id`` first sounds (ms), or None (not arranged)."""
        return next((start for start, _end, ids in self._spans if note_id in ids), None)
