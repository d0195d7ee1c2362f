"""A tune as folk musicians expect to hear it: melody, chords, bass and clicks, as timed notes and a MIDI file.

:func:`arrange` reads the tune once (no verovio): repeats and endings in the order they are played, the tempo from
``Q:`` or a default per rhythm (``R:``), swing for paired eighths (on by default for hornpipes), chords from the
tune's symbols or chosen for it (:mod:`studio.core.sound.accompaniment`) in abc2midi's patterns per meter, a count-in and
metronome clicks on channel 10, transposition, and optionally only a passage of bars (for looping).
:meth:`Arrangement.midi_bytes` / :meth:`Arrangement.to_midi` give a type-1 MIDI file with one named track per part;
:meth:`Arrangement.timed_notes` gives the notes in milliseconds for a player or a score cursor.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import mido

from studio.core.abc.chords import Chord, parse_chord_symbol
from studio.core.abc.text import first_tune_end
from studio.core.abc.timeline import TICKS_PER_WHOLE, WrittenBar, played_order, read_bars
from studio.core.abc.tokenizer import scan_tune
from studio.core.abc.transpose import transpose_abc
from studio.core.sound.accompaniment import (
    bar_length,
    beat_length,
    choose_chords,
    gchord_pattern,
    is_compound,
    tune_meter,
)
from studio.core.sound.midi import default_tempo_qpm, midi_time_signature, parse_key, parse_tempo_qpm
from studio.core.sound.midi_tracks import TrackNotes, midi_file_bytes

TICKS_PER_BEAT = TICKS_PER_WHOLE // 4  # MIDI ticks per quarter note
ACCOMPANIMENTS = ("none", "symbols", "auto")
MELODY_CHANNEL, CHORD_CHANNEL, BASS_CHANNEL, CLICK_CHANNEL = 0, 1, 2, 9
DOWNBEAT_CLICK, BEAT_CLICK = 76, 77  # General MIDI percussion: high and low wood block
#: Quarter notes per minute by ``R:`` when the tune has no ``Q:`` (a steady session pace, not a race).
RHYTHM_TEMPO_QPM = {
    "reel": 180, "hornpipe": 150, "jig": 165, "double jig": 165, "single jig": 165, "slip jig": 165,
    "slide": 180, "polka": 140, "waltz": 150, "mazurka": 130, "march": 110, "strathspey": 120, "barndance": 140,
    "schottische": 130, "set dance": 120, "fling": 130, "highland": 130, "air": 70, "slow air": 60,
}
#: Swing used when none is asked for: abc2midi plays hornpipes with swung pairs, everything else straight.
HORNPIPE_SWING = 66.0
STRAIGHT = 50.0


class ArrangementError(Exception):
    """The options make no sense (unknown accompaniment, swing out of range...); the message is for users."""


@dataclass(frozen=True)
class PlaybackOptions:
    """How to play a tune. ``swing`` in percent of a beat for the first of two eighths (50 straight, 66 = 2:1),
    None for the default by rhythm; ``tempo_qpm`` (quarter notes per minute) overrides ``Q:``; ``passage`` plays
    only written bars ``(first, last)`` (0-based, as :func:`~studio.core.abc.timeline.read_bars` numbers them)."""

    accompaniment: str = "none"
    transpose: int = 0
    swing: float | None = None
    count_in_bars: int = 0
    metronome: bool = False
    tempo_qpm: float | None = None
    passage: tuple[int, int] | None = None
    melody_program: int = 40  # violin (the fiddle)
    chord_program: int = 24  # nylon guitar
    bass_program: int = 32  # acoustic bass
    melody_velocity: int = 90
    chord_velocity: int = 58
    bass_velocity: int = 72

    def check(self) -> None:
        if self.accompaniment not in ACCOMPANIMENTS:
            raise ArrangementError(f"The accompaniment must be one of {', '.join(ACCOMPANIMENTS)}, "
                                   f"not {self.accompaniment!r}.")
        if self.swing is not None and not 50 <= self.swing <= 80:
            raise ArrangementError(f"Swing must be between 50 (straight) and 80 percent, not {self.swing:g}.")
        if not 0 <= self.count_in_bars <= 4:
            raise ArrangementError(f"The count-in must be 0 to 4 bars, not {self.count_in_bars}.")
        if self.tempo_qpm is not None and not 5 <= self.tempo_qpm <= 1000:
            raise ArrangementError(f"The tempo must be between 5 and 1000 quarter notes per minute, "
                                   f"not {self.tempo_qpm:g}.")
        if not -24 <= self.transpose <= 24:
            raise ArrangementError(f"Transpose by -24 to 24 semitones, not {self.transpose}.")
        for name in ("melody_program", "chord_program", "bass_program"):
            if not 0 <= getattr(self, name) <= 127:
                raise ArrangementError(f"{name.replace('_', ' ')} must be between 0 and 127.")


@dataclass(slots=True)
class ArrangedNote:
    """A note of one part (``melody``, ``chords``, ``bass``, ``clicks``) in ticks, with the written bar it plays
    (and, for melody notes, its written onset in that bar: where a score cursor finds it)."""

    part: str
    start: int
    duration: int
    pitch: int
    velocity: int
    bar: int
    onset: int = -1


@dataclass(frozen=True)
class TimedNote:
    """A note in milliseconds, for a player or a score cursor."""

    start_ms: float
    end_ms: float
    channel: int
    pitch: int
    velocity: int
    part: str
    bar: int


@dataclass
class Arrangement:
    """The arranged tune: notes per part in ticks (480 per quarter) and what the MIDI header needs.

    ``bar_spans`` lists each played bar as (written bar index, start tick, end tick), count-in excluded;
    ``music_start`` is where the tune's first note falls (after the count-in)."""

    title: str
    tempo_qpm: float
    meter: tuple[int, int]
    key: str | None
    swing: float
    options: PlaybackOptions
    notes: list[ArrangedNote] = field(default_factory=list)
    bar_spans: list[tuple[int, int, int]] = field(default_factory=list)
    music_start: int = 0
    end: int = 0

    def ms(self, tick: int) -> float:
        return tick * 60_000.0 / (self.tempo_qpm * TICKS_PER_BEAT)

    def part(self, name: str) -> list[ArrangedNote]:
        return [note for note in self.notes if note.part == name]

    def tracks(self) -> list[TrackNotes]:
        """The non-empty parts as MIDI tracks, melody first."""
        options = self.options
        parts = (("Melody", "melody", MELODY_CHANNEL, options.melody_program),
                 ("Chords", "chords", CHORD_CHANNEL, options.chord_program),
                 ("Bass", "bass", BASS_CHANNEL, options.bass_program),
                 ("Clicks", "clicks", CLICK_CHANNEL, 0))  # the standard kit: FluidSynth needs it selected
        result = []
        for name, part, channel, program in parts:
            notes = [(n.start, n.duration, n.pitch, n.velocity) for n in self.notes if n.part == part]
            if notes or part == "melody":
                result.append(TrackNotes(name, channel, program, notes))
        return result

    def midi_bytes(self) -> bytes:
        return midi_file_bytes(self.tracks(), ticks_per_beat=TICKS_PER_BEAT, tempo_qpm=self.tempo_qpm,
                               meter=midi_time_signature(self.meter), key=self.key,
                               title=self.title)

    def to_midi(self) -> mido.MidiFile:
        """The arrangement as a mido MidiFile (for :class:`studio.core.sound.synth.Player` and offline rendering)."""
        return mido.MidiFile(file=io.BytesIO(self.midi_bytes()))

    def write_midi(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_bytes(self.midi_bytes())
        return path

    def timed_notes(self) -> list[TimedNote]:
        """All notes in milliseconds from the start (count-in included), sorted by start."""
        channels = {"melody": MELODY_CHANNEL, "chords": CHORD_CHANNEL, "bass": BASS_CHANNEL, "clicks": CLICK_CHANNEL}
        notes = [TimedNote(self.ms(n.start), self.ms(n.start + n.duration), channels[n.part], n.pitch, n.velocity,
                           n.part, n.bar) for n in self.notes]
        return sorted(notes, key=lambda n: (n.start_ms, n.channel, n.pitch))

    def passage_ms(self, first_bar: int, last_bar: int) -> tuple[float, float]:
        """Start and end (ms) of the first time written bars ``first_bar``..``last_bar`` are played in a row: the
        loop range for a player that plays this whole arrangement. Raises ArrangementError for unknown bars."""
        start = end = None
        for index, bar_start, bar_end in self.bar_spans:
            if start is None and index == first_bar:
                start = bar_start
            if start is not None and first_bar <= index <= last_bar:
                end = bar_end
            elif start is not None:
                break
        if start is None or end is None:
            raise ArrangementError(f"The tune has no bars {first_bar}..{last_bar} to loop.")
        return self.ms(start), self.ms(end)


def default_tempo(rhythm: str, meter: tuple[int, int]) -> float:
    """Quarter notes per minute for a tune without ``Q:``, by its ``R:`` (else by meter)."""
    rhythm = rhythm.strip().lower()
    for name in sorted(RHYTHM_TEMPO_QPM, key=len, reverse=True):
        if name in rhythm:
            return float(RHYTHM_TEMPO_QPM[name])
    return default_tempo_qpm(meter)


def default_swing(rhythm: str) -> float:
    return HORNPIPE_SWING if "hornpipe" in rhythm.lower() else STRAIGHT


def arrange(text: str, options: PlaybackOptions | None = None) -> Arrangement:
    """Arranges the first tune of ``text`` (see the module docstring). Raises ArrangementError for bad options or
    a tune without notes."""
    options = options or PlaybackOptions()
    options.check()
    text = text[:first_tune_end(text)]
    if options.transpose:
        text = transpose_abc(text, options.transpose)
    scanned = scan_tune(text)
    fields = scanned.fields
    meter = tune_meter(scanned)
    rhythm = fields.get("R", "")
    tempo = options.tempo_qpm or parse_tempo_qpm(fields.get("Q"), scanned.unit_length) or default_tempo(rhythm, meter)
    swing = default_swing(rhythm) if options.swing is None else options.swing
    bars = read_bars(scanned)
    arrangement = Arrangement(fields.get("T", ""), float(tempo), meter, parse_key(fields.get("K")), swing, options)
    order = played_order(bars)
    played = _passage(order, options.passage)
    auto = {}
    if options.accompaniment == "auto":
        for chosen in choose_chords(scanned, bars):
            auto.setdefault(chosen.bar, []).append((chosen.onset, chosen.chord))
    full = bar_length(meter)
    count_in = options.count_in_bars * full
    arrangement.music_start = count_in
    for bar_number in range(options.count_in_bars):
        _clicks(arrangement, meter, bar_number * full, full, 0, -1)
    now = count_in
    chord: Chord | None = None
    for position, index in enumerate(order):
        bar = bars[index]
        pickup = full - bar.duration if index == 0 and 0 < bar.duration < full else 0
        changes = auto.get(index, []) if options.accompaniment == "auto" else _symbol_chords(bar)
        if position not in played:
            chord = changes[-1][1] if changes else chord
            continue
        _melody(arrangement, bar, now, pickup, swing)
        if options.accompaniment != "none":
            chord = _accompany(arrangement, bar, now, pickup, changes, chord)
        if options.metronome:
            _clicks(arrangement, meter, now, bar.duration, pickup, index)
        arrangement.bar_spans.append((index, now, now + bar.duration))
        now += bar.duration
    arrangement.end = now
    if not any(note.part == "melody" for note in arrangement.notes) and options.passage is None:
        raise ArrangementError("This ABC has no notes to play.")
    return arrangement


def _passage(order: list[int], passage: tuple[int, int] | None) -> set[int]:
    """Positions in ``order`` to play: all, or from the first ``first`` bar to the first ``last`` bar after it."""
    if passage is None:
        return set(range(len(order)))
    first, last = passage
    if first not in order:
        raise ArrangementError(f"The tune has no bar {first} to start the passage at.")
    start = order.index(first)
    end = next((p for p in range(start, len(order)) if order[p] == last), None)
    if end is None or last < first:
        raise ArrangementError(f"The tune has no bar {last} after bar {first}.")
    return set(range(start, end + 1))


def _symbol_chords(bar: WrittenBar) -> list[tuple[int, Chord]]:
    changes = []
    for onset, text in bar.symbols:
        chord = parse_chord_symbol(text)
        if chord is not None:
            changes.append((onset, chord))
    return changes


def _swung_windows(bar: WrittenBar, swing: float, pickup: int) -> set[int]:
    """Starts (ticks on the bar's beat grid, a pickup bar counted from where a full bar would start) of the
    quarter-note beats that hold a pair of eighths and nothing shorter."""
    if swing == STRAIGHT:
        return set()
    eighth = TICKS_PER_BEAT // 2
    onsets_by_window: dict[int, set[int]] = {}
    for note in bar.notes:
        if note.grace:
            continue
        grid = note.onset + pickup
        window = grid - grid % TICKS_PER_BEAT
        onsets_by_window.setdefault(window, set()).add(grid - window)
    return {window for window, onsets in onsets_by_window.items() if eighth in onsets and onsets <= {0, eighth}}


def _warp(tick: int, windows: set[int], swing: float) -> int:
    """Moves the off-beat eighth of a swung beat to ``swing`` percent of the beat (beat ends stay put)."""
    window = tick - tick % TICKS_PER_BEAT
    if window not in windows:
        return tick
    offset = tick - window
    eighth = TICKS_PER_BEAT // 2
    long_part = round(TICKS_PER_BEAT * swing / 100)
    if offset <= eighth:
        return window + offset * long_part // eighth
    return window + long_part + (offset - eighth) * (TICKS_PER_BEAT - long_part) // eighth


def _melody(arrangement: Arrangement, bar: WrittenBar, start: int, pickup: int, swing: float) -> None:
    meter = arrangement.meter
    windows = set() if is_compound(meter) else _swung_windows(bar, swing, pickup)
    beat = beat_length(meter)
    velocity = arrangement.options.melody_velocity
    for note in bar.notes:
        onset = _warp(note.onset + pickup, windows, swing) - pickup + note.delay
        if note.grace:
            end = onset + note.duration
        else:
            end = note.onset + note.duration
            end = _warp(end + pickup, windows, swing) - pickup if end <= bar.duration else end
        accent = 10 if (note.onset + pickup) % beat == 0 and not note.grace else 0
        arrangement.notes.append(ArrangedNote("melody", start + onset, max(1, end - onset), note.pitch,
                                              min(127, velocity + accent), bar.index, note.onset))


def _accompany(arrangement: Arrangement, bar: WrittenBar, start: int, pickup: int,
               changes: list[tuple[int, Chord]], chord: Chord | None) -> Chord | None:
    """The bar's bass and chord notes in the meter's pattern; returns the chord in force at the bar's end."""
    options = arrangement.options
    pattern = gchord_pattern(arrangement.meter)
    slot = bar_length(arrangement.meter) // len(pattern)
    for number, letter in enumerate(pattern):
        at = number * slot - pickup
        if at < 0 or at >= bar.duration:
            continue
        for onset, change in changes:
            if onset <= at:
                chord = change
        if chord is None or letter == "z":
            continue
        if letter == "f":
            arrangement.notes.append(ArrangedNote("bass", start + at, slot, chord.bass_note(), options.bass_velocity,
                                                  bar.index))
        else:
            for pitch in chord.voicing():
                arrangement.notes.append(ArrangedNote("chords", start + at, slot, pitch, options.chord_velocity,
                                                      bar.index))
    for onset, change in changes:  # a change after the last slot still holds for the next bar
        chord = change
    return chord


def _clicks(arrangement: Arrangement, meter: tuple[int, int], start: int, length: int, pickup: int,
            bar: int) -> None:
    beat = beat_length(meter)
    for position in range(0, bar_length(meter), beat):
        at = position - pickup
        if 0 <= at < length:
            downbeat = position == 0
            arrangement.notes.append(ArrangedNote("clicks", start + at, beat // 2,
                                                  DOWNBEAT_CLICK if downbeat else BEAT_CLICK,
                                                  100 if downbeat else 75, bar))


def arrangement_midi(text: str, **options) -> mido.MidiFile:
    """:func:`arrange` with keyword options (as :class:`PlaybackOptions`), as a mido MidiFile."""
    return arrange(text, PlaybackOptions(**options)).to_midi()


def write_arrangement_midi(text: str, path: str | Path, **options) -> Path:
    """Writes :func:`arrange` of the first tune of ``text`` to ``path`` as a type-1 MIDI file."""
    return arrange(text, PlaybackOptions(**options)).write_midi(path)

