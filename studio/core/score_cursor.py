"""Which engraved notes sound at a moment of playback: verovio's note ids mapped onto an arrangement's notes.

verovio's timemap (:mod:`studio.core.notation`) plays the tune straight, at its own tempo, repeats expanded (a
repeated note's id gets a ``-rend2`` suffix). The arrangement (:mod:`studio.core.arrangement`) adds swing, a
count-in, transposition, accompaniment and passages, so its times differ. Both agree on *where* a note is written:
:func:`engraved_positions` places each engraved id at its written bar and onset by laying the timemap over a
straight arrangement of the same text, and :class:`ScoreCursor` then asks, for a playback time, which arranged
melody notes sound and which ids sit at their written bar and onset. A tune verovio could not engrave has no ids
and the cursor stays empty; the music still plays.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from studio.core.arrangement import TICKS_PER_BEAT, Arrangement, PlaybackOptions, arrange
from studio.core.notation import TimedEvent

_REPEAT_SUFFIX = re.compile(r"-rend\d+$")


def engraved_id(note_id: str) -> str:
    """The SVG id of a timemap note id (repeats are played from the same engraved note)."""
    return _REPEAT_SUFFIX.sub("", note_id)


def engraved_positions(text: str, timemap: Iterable[TimedEvent]) -> dict[tuple[int, int], list[str]]:
    """Engraved note ids by (written bar, onset in ticks within the bar), from verovio's straight timemap.

    The first time an id sounds decides its place, so repeats and endings (which verovio and the arrangement
    both play in the written order) map onto the bars they are written in."""
    straight = arrange(text, PlaybackOptions(swing=50.0))
    starts = [start for _bar, start, _end in straight.bar_spans]
    placed: dict[str, tuple[int, int]] = {}
    for event in timemap:
        tick = round(event.qstamp * TICKS_PER_BEAT)
        span = bisect.bisect_right(starts, tick) - 1
        if span < 0 or not event.on:
            continue
        bar, start, _end = straight.bar_spans[span]
        for note_id in event.on:
            placed.setdefault(engraved_id(note_id), (bar, tick - start))
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
    def for_tune(cls, arrangement: Arrangement, text: str, timemap: Iterable[TimedEvent]) -> ScoreCursor:
        return cls(arrangement, engraved_positions(text, timemap))

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
