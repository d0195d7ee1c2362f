"""Accompaniment: chord symbols -> chords, abc2midi's bass/chord patterns per meter, and chords for tunes that have
none (chosen per bar from the key's diatonic chords by the stressed melody notes they hold), written back as
``"..."`` symbols when asked.

Patterns follow abc2midi's ``%%MIDI gchord`` convention: the string divides the bar into equal slots; ``f`` plays
the bass (the root, or the slash bass), ``c`` the chord, ``z`` rests. Free-text symbols (``"Allegro"``,
``"^fine"``) are no chords and are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from studio.core.abc.chords import Chord
from studio.core.abc.fields import meter_parts
from studio.core.abc.keys import LETTER_PITCH_CLASS, Key, note_name, read_key
from studio.core.abc.timeline import WrittenBar, read_bars, ticks
from studio.core.abc.tokenizer import ScannedTune, scan_tune

# --------------------------------------------------------------------------- meter: beats and patterns


def is_compound(meter: tuple[int, int]) -> bool:
    return meter[1] == 8 and meter[0] % 3 == 0 and meter[0] > 3


def beat_length(meter: tuple[int, int]) -> int:
    """The felt beat in ticks: a dotted quarter in 6/8, 9/8, 12/8; else the meter's note value."""
    return ticks(Fraction(3, 8) if is_compound(meter) else Fraction(1, meter[1]))


def bar_length(meter: tuple[int, int]) -> int:
    """A full bar of ``meter`` in ticks."""
    return ticks(Fraction(meter[0], meter[1]))


def gchord_pattern(meter: tuple[int, int]) -> str:
    """abc2midi's default pattern: 2/4, 4/4, 2/2 ``fzczfzcz``, 3/4 ``fzczcz``, 6/8 ``fzcfzc``, 9/8 ``fzcfzcfzc``..."""
    numerator = meter[0]
    if is_compound(meter):
        return "fzc" * (numerator // 3)
    if numerator in (2, 4):
        return "fzczfzcz"
    if numerator == 3:
        return "fzczcz"
    return "fz" + "cz" * (numerator - 1)


def tune_meter(scanned: ScannedTune) -> tuple[int, int]:
    """The tune's meter as (numerator, denominator), 4/4 for free or unreadable meters."""
    return meter_parts(scanned.fields.get("M", "")) or (4, 4)


# --------------------------------------------------------------------------- stressed notes and fit


def stressed_pitches(bar: WrittenBar, meter: tuple[int, int], start: int = 0, end: int | None = None,
                     pickup_shift: int = 0) -> list[tuple[int, int]]:
    """(pitch, weight) of the notes sounding on the beats of ``bar`` between ``start`` and ``end`` (the downbeat
    weighs 2). ``pickup_shift`` moves beat positions for a pickup bar (its notes end where a full bar would)."""
    beat = beat_length(meter)
    full = bar_length(meter)
    end = bar.duration if end is None else end
    result = []
    position = 0
    while position < full:
        at = position - pickup_shift
        if start <= at < end:
            for note in bar.notes:
                if not note.grace and note.onset <= at < note.onset + note.duration:
                    result.append((note.pitch, 2 if position == 0 else 1))
                    break
        position += beat
    return result


def chord_fit(chord: Chord, stressed: list[tuple[int, int]]) -> int:
    """Weight of the stressed notes that are tones of ``chord``."""
    tones = chord.pitch_classes
    return sum(weight for pitch, weight in stressed if pitch % 12 in tones)


# --------------------------------------------------------------------------- chords for tunes without any

#: Scale degrees (1-based) offered as chords, by mode: no diminished triads; iii left out in major.
_DEGREES = {"": (1, 4, 5, 6, 2), "mix": (1, 7, 4, 5, 2), "dor": (1, 7, 4, 3, 5), "m": (1, 7, 3, 4, 5, 6),
            "phr": (1, 2, 4, 7), "lyd": (1, 2, 5, 6), "loc": (2, 3, 6)}
#: Degrees that lead home at a strain's end (the chord before the final tonic).
_DOMINANTS = {"": (5,), "mix": (7, 5), "dor": (7, 5), "m": (5, 7)}


def diatonic_chords(key: Key) -> list[tuple[int, Chord]]:
    """(degree, triad) for the degrees the mode offers, tonic first, named in the key's spelling."""
    scale, letters = key.scale, key.scale_letters
    chords = []
    for degree in _DEGREES[key.mode]:
        i = degree - 1
        root = scale[i]
        third = (scale[(i + 2) % 7] - root) % 12
        fifth = (scale[(i + 4) % 7] - root) % 12
        if fifth != 7:
            continue
        alteration = (root - LETTER_PITCH_CLASS[letters[i]] + 6) % 12 - 6
        name = note_name(letters[i], alteration) + ("m" if third == 3 else "")
        chords.append((degree, Chord(root, (0, third, fifth), root, name)))
    return chords


@dataclass(frozen=True)
class ChosenChord:
    """A chord chosen for written bar ``bar`` from ``onset`` (ticks from the bar's start)."""

    bar: int
    onset: int
    chord: Chord


def _best(candidates: list[tuple[int, Chord]], stressed, bonus: dict[int, float]) -> tuple[float, Chord]:
    scored = [(chord_fit(chord, stressed) + bonus.get(degree, 0.0) - 0.01 * rank, chord)
              for rank, (degree, chord) in enumerate(candidates)]
    return max(scored, key=lambda item: item[0])


def _onset_at(bar: WrittenBar, at: int) -> bool:
    return any(note.onset == at and not note.grace for note in bar.notes)


def choose_chords(text_or_scanned: str | ScannedTune, bars: list[WrittenBar] | None = None) -> list[ChosenChord]:
    """Chords for every bar of a tune (its chord symbols are not read): per bar, or per half bar in 4/4 and 6/8 when
    the two halves want different chords and a note starts at the half; the strain's last bar prefers the tonic
    and the bar before it the dominant. A tune without a readable key is harmonised in C major. ``bars``: the
    tune's :func:`read_bars`, when the caller has them already."""
    scanned = scan_tune(text_or_scanned) if isinstance(text_or_scanned, str) else text_or_scanned
    key = read_key(scanned.fields.get("K", "C")) or read_key("C")
    if key.mode not in _DEGREES:
        key = read_key("C")
    meter = tune_meter(scanned)
    full = bar_length(meter)
    candidates = diatonic_chords(key)
    bars = read_bars(scanned) if bars is None else bars
    may_split = meter in ((4, 4), (6, 8))
    tonic_degree = 1 if any(d == 1 for d, _ in candidates) else candidates[0][0]
    chosen: list[ChosenChord] = []
    for position, bar in enumerate(bars):
        shift = full - bar.duration if position == 0 and bar.duration < full else 0
        last = bar.ends_section or position == len(bars) - 1
        before_last = position + 1 < len(bars) and (bars[position + 1].ends_section or position + 2 == len(bars))
        bonus = {tonic_degree: 0.6} if position == 0 else {}
        if last:
            bonus = {tonic_degree: 2.5}
        elif before_last:
            bonus = {degree: 1.2 - 0.3 * n for n, degree in enumerate(_DOMINANTS.get(key.mode, ()))}
        stressed = stressed_pitches(bar, meter, pickup_shift=shift)
        score, chord = _best(candidates, stressed, bonus)
        half = full // 2
        if may_split and not shift and not last and _onset_at(bar, half):
            first = _best(candidates, stressed_pitches(bar, meter, end=half), bonus if position == 0 else {})
            second = _best(candidates, stressed_pitches(bar, meter, start=half), bonus)
            if first[1] != second[1] and first[0] + second[0] >= score + 1:
                chosen.append(ChosenChord(bar.index, 0, first[1]))
                chosen.append(ChosenChord(bar.index, half, second[1]))
                continue
        chosen.append(ChosenChord(bar.index, 0, chord))
    return chosen


def stressed_chord_tone_share(bars: list[WrittenBar], chords: list[ChosenChord], meter: tuple[int, int]) -> float:
    """Share (by count) of the stressed notes that are tones of the chord in force: the fit of a harmonisation."""
    by_bar: dict[int, list[ChosenChord]] = {}
    for chosen in chords:
        by_bar.setdefault(chosen.bar, []).append(chosen)
    total = fitting = 0
    full = bar_length(meter)
    for position, bar in enumerate(bars):
        in_bar = sorted(by_bar.get(bar.index, []), key=lambda c: c.onset)
        shift = full - bar.duration if position == 0 and bar.duration < full else 0
        for n, chosen in enumerate(in_bar):
            end = in_bar[n + 1].onset if n + 1 < len(in_bar) else None
            stressed = stressed_pitches(bar, meter, chosen.onset, end, pickup_shift=shift)
            total += len(stressed)
            fitting += sum(1 for pitch, _ in stressed if pitch % 12 in chosen.chord.pitch_classes)
    return fitting / total if total else 1.0


# --------------------------------------------------------------------------- writing chords into the text

_PREFIX_KINDS = {"decoration", "grace_start", "tuplet", "slur_start", "annotation"}


def add_chord_symbols(text: str, chords: list[ChosenChord] | None = None) -> str:
    """The tune text with ``"G"``-style symbols written before the notes where ``chords`` (default: the
    :func:`choose_chords` of the text) change, and again at each ending and strain start so every pass reads
    right. The first tune only; an existing symbol at the same place stays after the new one."""
    scanned = scan_tune(text)
    chords = choose_chords(scanned) if chords is None else chords
    bars = read_bars(scanned)
    by_index = {bar.index: bar for bar in bars}
    insertions: list[tuple[int, str]] = []
    previous = None
    for chosen in chords:
        bar = by_index.get(chosen.bar)
        if bar is None:
            continue
        restart = chosen.onset == 0 and (bar.volta or bar.starts_repeat or
                                         (bar.index > 0 and bars[bar.index - 1].ends_section))
        if chosen.chord.name == previous and not restart:
            continue
        offset = _insertion_offset(scanned.tokens, bar, chosen.onset)
        if offset is not None:
            insertions.append((offset, f'"{chosen.chord.name}"'))
            previous = chosen.chord.name
    for offset, symbol in sorted(insertions, reverse=True):
        text = text[:offset] + symbol + text[offset:]
    return text


def _insertion_offset(tokens, bar: WrittenBar, onset: int) -> int | None:
    """Text offset in front of the note, rest or chord of ``bar`` starting at ``onset`` (before its decorations,
    grace notes, tuplet or slur mark); None when nothing starts there."""
    time = 0
    start = None
    in_chord, chord_advance = False, 0
    for token in tokens[bar.first_token:]:
        kind = token.kind
        if kind == "bar":
            return None
        if in_chord:
            if kind == "note":
                chord_advance = max(chord_advance, ticks(token.advance))
            elif kind == "chord_end":
                in_chord, time = False, time + chord_advance
            continue
        if kind in ("note", "rest", "chord_start"):
            if time == onset:
                return start if start is not None else token.offset
            if time > onset:
                return None
            if kind == "chord_start":
                in_chord, chord_advance = True, 0
            else:
                time += ticks(token.advance)
            start = None
        elif kind in _PREFIX_KINDS:
            start = token.offset if start is None else start
        elif kind not in ("grace_note", "grace_end"):
            start = None
    return None
