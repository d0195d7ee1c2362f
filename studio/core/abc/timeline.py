"""A tune's written bars as timed notes and chord symbols, and the order repeats and endings play them in.

:func:`read_bars` walks the tokenizer's tokens once: each bar gets its notes (onset within the bar, duration, MIDI
pitch; tied notes merged, chord notes sharing their onset, grace notes taking a short time from the note they
ornament, as abc2midi and verovio play them), its quoted chord symbols with their
onsets, its bar lines and the ending (volta) it belongs to. :func:`played_order` expands ``|: :|``, ``::``, first and
second endings (``[1``, ``|1``, ``:|2``) the way abc2midi plays them: an end repeat without a start repeat goes back
to the previous double bar or taken repeat (or the tune's start); each repeat is taken once.
Times are integer ticks, :data:`TICKS_PER_WHOLE` to a whole note (480 to a quarter, MIDI's usual resolution; exact
for every duration folk ABC writes but septuplets), so the playback arithmetic stays in fast integers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from studio.core.abc.tokenizer import ScannedTune, scan_tune

TICKS_PER_WHOLE = 1920


def ticks(duration: Fraction) -> int:
    """A duration in whole notes as ticks (rounded to the nearest tick)."""
    denominator = duration.denominator
    return (2 * duration.numerator * TICKS_PER_WHOLE + denominator) // (2 * denominator)


#: Longest time a grace note takes (a 32nd note).
GRACE_TICKS = TICKS_PER_WHOLE // 32


@dataclass(slots=True)
class WrittenNote:
    """A sounding note: ``onset`` from its bar's start, ``duration`` (ties merged), MIDI ``pitch``.

    A note ornamented by grace notes keeps its written ``onset`` and sounds ``delay`` ticks later (the time its
    grace notes take); grace notes have ``grace`` set, the written onset of the note they ornament and their own
    ``delay`` from it, and are no melody notes for harmony or swing."""

    onset: int
    duration: int
    pitch: int
    grace: bool = False
    delay: int = 0


@dataclass(slots=True)
class WrittenBar:
    """One bar as written: notes, chord symbols ``(onset, text)``, bar lines, ending numbers (e.g. {1})."""

    index: int
    notes: list[WrittenNote] = field(default_factory=list)
    symbols: list[tuple[int, str]] = field(default_factory=list)
    duration: int = 0
    opening: str = ""
    closing: str = ""
    volta: frozenset[int] = frozenset()
    first_token: int = 0  # index (in the scanned tokens) of the bar's first token after its opening bar line

    @property
    def starts_repeat(self) -> bool:
        return "|:" in self.opening or "::" in self.opening or self.opening.endswith(":")

    @property
    def ends_repeat(self) -> bool:
        return self.closing.startswith(":")

    @property
    def ends_section(self) -> bool:
        """A bar line that closes a strain: a repeat, a double bar or the final bar."""
        return self.ends_repeat or "||" in self.closing or "|]" in self.closing or self.closing.endswith(":")


def _volta_numbers(text: str) -> frozenset[int]:
    numbers: set[int] = set()
    for part in text.split(","):
        low, _, high = part.partition("-")
        if low.isdigit():
            numbers.update(range(int(low), int(high) + 1 if high.isdigit() else int(low) + 1))
    return frozenset(n for n in numbers if n < 100)


def read_bars(scanned: ScannedTune | str) -> list[WrittenBar]:
    """The bars of a tune (text or scanned) with timed notes and chord symbols; empty bars are merged away."""
    if isinstance(scanned, str):
        scanned = scan_tune(scanned)
    bars: list[WrittenBar] = []
    bar = WrittenBar(0)
    time = 0
    chord_time: int | None = None
    chord_advance = 0
    tie_from: dict[int, WrittenNote] = {}  # pitch -> note a tie continues
    last_notes: list[WrittenNote] = []
    pending_ending = ""
    graces: list[int] = []
    volta: frozenset[int] = frozenset()
    tokens = scanned.tokens
    for position, token in enumerate(tokens):
        kind = token.kind
        if kind == "note" and token.pitch is not None and token.duration:
            onset = chord_time if chord_time is not None else time
            earlier = tie_from.pop(token.pitch, None)
            if earlier is not None:
                earlier.duration += ticks(token.duration)
                note = earlier
            else:
                note = WrittenNote(onset, ticks(token.duration), token.pitch)
                if graces and chord_time is None:
                    each = max(1, min(GRACE_TICKS, note.duration // (2 * len(graces))))
                    bar.notes.extend(WrittenNote(onset, each, pitch, grace=True, delay=k * each)
                                     for k, pitch in enumerate(graces))
                    note.delay = each * len(graces)
                bar.notes.append(note)
            graces = []
            if chord_time is None:
                time += ticks(token.advance)
                last_notes = [note]
                tie_from.clear()
            else:
                chord_advance = max(chord_advance, ticks(token.advance))
                last_notes.append(note)
        elif kind == "grace_note" and token.pitch is not None:
            graces.append(token.pitch)
        elif kind == "rest":
            time += ticks(token.advance)
            tie_from.clear()
            graces = []
        elif kind == "chord_start":
            chord_time, chord_advance, last_notes = time, 0, []
            tie_from.clear()
        elif kind == "chord_end" and chord_time is not None:
            time = chord_time + chord_advance
            chord_time = None
        elif kind == "tie":
            tie_from = {note.pitch: note for note in last_notes}
        elif kind == "annotation" and len(token.text) > 1:
            bar.symbols.append((time, token.text.strip('"')))
        elif kind == "ending":
            pending_ending = token.text[1:]
        elif kind == "bar":
            chord_time = None
            digits = token.text.lstrip(":|[]").lstrip(":|]")
            if bar.notes or time > 0:
                bar.duration = time
                bar.closing = token.text
                bar.volta = volta
                bars.append(bar)
                if bar.ends_section:
                    volta = frozenset()
                bar = WrittenBar(len(bars), opening=token.text, first_token=position + 1)
                time = 0
            else:  # an empty bar (e.g. ":|" at a line end, "|:" at the next start): merge the bar lines
                if bars and not bars[-1].ends_repeat and token.text.startswith(":"):
                    bars[-1].closing = ":" + bars[-1].closing
                bar.opening += token.text
                bar.first_token = position + 1
            pending_ending = digits if digits[:1].isdigit() else pending_ending
        if pending_ending and kind in ("note", "rest", "chord_start"):
            volta = _volta_numbers(pending_ending)
            pending_ending = ""
    if bar.notes or time > 0:
        bar.duration = time
        bar.volta = volta
        bars.append(bar)
    return bars


def played_order(bars: list[WrittenBar]) -> list[int]:
    """Indices of ``bars`` in the order they are played (repeats taken once, endings by pass)."""
    order: list[int] = []
    taken: set[int] = set()
    section_start = 0
    second_pass = False
    i = 0
    while i < len(bars):
        bar = bars[i]
        if bar.starts_repeat and i != section_start and not second_pass:
            section_start = i
        if second_pass and bar.volta and 2 not in bar.volta:
            i += 1
            continue
        order.append(i)
        if bar.ends_repeat and i not in taken:
            taken.add(i)
            second_pass = True
            i = section_start
            continue
        if bar.ends_section or (second_pass and bar.volta and i + 1 < len(bars) and not bars[i + 1].volta):
            second_pass = False
            section_start = i + 1
        i += 1
    return order


def strain_ranges(bars: list[WrittenBar]) -> list[tuple[int, int]]:
    """Written bars ``(first, last)`` of each strain: a strain ends at a repeat, double or final bar line that is
    not followed by another ending of the same strain (so ``|1 ... :|2 ... ||`` stays one strain); a pickup bar
    (``F|:``) belongs to the strain it leads into."""
    strains: list[tuple[int, int]] = []
    first = None
    for i, bar in enumerate(bars):
        if first is None:
            if not bar.notes:
                continue
            first = i
        following = bars[i + 1] if i + 1 < len(bars) else None
        pickup = i == first == 0 and following is not None and bar.duration < following.duration
        if following is None or (bar.ends_section and not following.volta and not pickup):
            strains.append((first, i))
            first = None
    return strains
