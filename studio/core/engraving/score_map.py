"""Engraved notes and the ABC characters that spell them, both ways: what a click on the score selects.

verovio's SVG (:mod:`studio.core.engraving.notation`) draws each bar (``class="measure"``) and, inside it, each note
(``class="note"``: grace notes, chord notes and both notes of a tie included) in written order, each with its own
id; :func:`~studio.core.abc.timeline.read_bars` gives the written bars and the tokenizer each note's characters.
:class:`ScoreMap` pairs them bar by bar, in order, where a bar has as many engraved as written notes (a bar where the
two readers disagree is left unmapped rather than mapped wrong): a note id gives the characters of its note, and a
character range gives the ids of the notes written in it (to highlight a text selection in the score). Build a new
map whenever the text is engraved again: the ids and the offsets belong to one text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from studio.core.abc.timeline import read_bars
from studio.core.abc.tokenizer import scan_tune

#: Token kinds an engraved note stands for.
_NOTES = ("note", "grace_note")
#: A bar or a note of verovio's SVG, in drawing order.
_ELEMENT = re.compile(r'<g id="([^"]+)" class="(measure|note)\b')


class ScoreMap:
    """Note ids <-> ``(start, end)`` character ranges of one text (see the module docstring)."""

    def __init__(self, text: str, pages: Iterable[str]):
        self.text = text
        scanned = scan_tune(text)
        tokens = scanned.tokens
        bars = read_bars(scanned)
        written = []  # each bar's note tokens (grace notes included), in written order
        for index, bar in enumerate(bars):
            stop = bars[index + 1].first_token if index + 1 < len(bars) else len(tokens)
            written.append([t for t in tokens[bar.first_token:stop] if t.kind in _NOTES and t.pitch is not None])
        engraved: list[list[str]] = []  # each engraved bar's note ids, in drawing order
        for element_id, kind in _ELEMENT.findall("".join(pages)):
            if kind == "measure":
                engraved.append([])
            elif engraved:
                engraved[-1].append(element_id)
        self._ranges: dict[str, tuple[int, int]] = {}
        if len(engraved) == len(written):
            for ids, notes in zip(engraved, written):
                if len(ids) == len(notes):  # the same notes: paired in order
                    for note_id, token in zip(ids, notes):
                        self._ranges[note_id] = (token.offset, token.offset + len(token.text))
        self._by_start = sorted((start, end, note_id) for note_id, (start, end) in self._ranges.items())
        self._starts = [start for start, _end, _id in self._by_start]

    def __len__(self) -> int:
        return len(self._ranges)

    def range_of(self, note_id: str) -> tuple[int, int] | None:
        """The characters spelling the engraved note ``note_id`` (None: not a mapped note)."""
        return self._ranges.get(note_id)

    def ids_in(self, start: int, end: int) -> list[str]:
        """Ids of the engraved notes written within ``text[start:end]`` (a caret, ``start == end``, touches one)."""
        first = bisect.bisect_right(self._starts, start) - 1
        found = []
        for begin, stop, note_id in self._by_start[max(first, 0):]:
            if begin >= max(end, start + 1):
                break
            if stop > start:
                found.append(note_id)
        return found
