"""ABC -> MIDI files (mido) with the tune's tempo, meter, key and instrument (output ports:
:mod:`studio.core.sound.midi_ports`).

Notes come from verovio's MIDI (rendered in the safe child process of :mod:`studio.core.engraving.notation`; verovio
plays repeats), falling back to music21 when verovio fails (and to music21's notes without measures when it cannot
measure them). Whatever the source, the tempo, time signature, key signature
and program change are rewritten from the tune's headers so every export looks the same.

Default tempo when the tune has no ``Q:`` and none is given: 120 quarter notes per minute, except compound meters
(6/8, 9/8, 12/8, ...) where the dotted quarter gets 100 beats per minute (150 quarter notes per minute), a relaxed
jig/slide pace. ``tempo_bpm`` arguments are always quarter notes per minute.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import mido

from studio.core.abc.fields import meter_parts
from studio.core.abc.keys import read_key
from studio.core.abc.text import read_headers, tune_title
from studio.core.engraving.notation import MAX_ENGRAVED_CHARS, NotationRenderer, Rendering, shared_renderer

DEFAULT_PROGRAM = 40  # General MIDI violin (the fiddle)
DEFAULT_VELOCITY = 90
SIMPLE_METER_QPM = 120.0
COMPOUND_METER_BEATS_PER_MINUTE = 100.0

_MAJOR_BY_FIFTHS = ["Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#"]
_MINOR_BY_FIFTHS = ["Abm", "Ebm", "Bbm", "Fm", "Cm", "Gm", "Dm", "Am", "Em", "Bm", "F#m", "C#m", "G#m", "D#m", "A#m"]
#: Modes whose MIDI key signature is named as a minor key (the others as major).
_MINOR_LIKE_MODES = frozenset({"m", "dor", "phr", "loc"})


class MidiExportError(Exception):
    """Raised when no MIDI could be made from the ABC; the message is for users."""


# --------------------------------------------------------------------------- headers -> meta values


def parse_tempo_qpm(value: str | None, unit_length: Fraction = Fraction(1, 8)) -> float | None:
    """``Q:`` value -> quarter notes per minute. ``1/4=120``, ``3/8=100``, ``"Allegro" 1/4=120``; a bare ``120``
    counts beats of the unit note length ``L:`` (old ABC)."""
    value = re.sub(r'"[^"]*"', " ", value or "").strip()
    match = re.search(r"((?:\d+/\d+\s*)+)=\s*(\d+(?:\.\d+)?)", value)
    if match:
        beat = sum((Fraction(part) for part in match.group(1).split()), Fraction(0))
        bpm = float(match.group(2))
    else:
        bare = re.fullmatch(r"(\d+(?:\.\d+)?)", value)
        if not bare:
            return None
        beat, bpm = unit_length, float(bare.group(1))
    qpm = bpm * float(beat) * 4
    return qpm if 5 <= qpm <= 1000 else None


def default_tempo_qpm(meter: tuple[int, int] | None) -> float:
    """The tempo used when neither ``Q:`` nor an argument gives one (see the module docstring)."""
    if meter and meter[1] == 8 and meter[0] % 3 == 0 and meter[0] > 3:
        return COMPOUND_METER_BEATS_PER_MINUTE * 1.5
    return SIMPLE_METER_QPM


def parse_key(value: str | None) -> str | None:
    """``K:`` value -> a mido key name with the same signature (modes map to major/minor: ``Ador`` -> ``Em``).

    ``HP`` (highland pipes, no signature) -> ``C``, ``Hp`` -> ``D``; ``none``, percussion or unknown -> None.
    """
    value = (value or "").strip()
    if value.startswith("HP"):
        return "C"
    if value.startswith("Hp"):
        return "D"
    key = read_key(value)
    if key is None or not -7 <= key.fifths <= 7:
        return None
    return (_MINOR_BY_FIFTHS if key.mode in _MINOR_LIKE_MODES else _MAJOR_BY_FIFTHS)[key.fifths + 7]


@dataclass(frozen=True)
class TuneMeta:
    """The header values that go into a MIDI file."""

    tempo_qpm: float
    meter: tuple[int, int] | None
    key: str | None
    title: str


def midi_time_signature(meter: tuple[int, int] | None) -> tuple[int, int] | None:
    """The meter as a MIDI time signature, or None where MIDI cannot store it (a denominator not a power of two)."""
    if meter is None or meter[1] & (meter[1] - 1):
        return None
    return meter


def tune_meta(abc_text: str, tempo_bpm: float | None = None) -> TuneMeta:
    headers = read_headers(abc_text)
    meter = midi_time_signature(meter_parts(headers.get("M")))
    try:
        unit = Fraction(headers.get("L", "1/8").strip())
    except (ValueError, ZeroDivisionError):
        unit = Fraction(1, 8)
    tempo = tempo_bpm or parse_tempo_qpm(headers.get("Q"), unit) or default_tempo_qpm(meter)
    return TuneMeta(tempo_qpm=float(tempo), meter=meter, key=parse_key(headers.get("K")), title=tune_title(abc_text))


# --------------------------------------------------------------------------- note sources


def _notes_from_verovio(abc_text: str, renderer: NotationRenderer, rendering: Rendering | None) -> mido.MidiFile:
    if rendering is None:  # a rendering that failed is not tried again (a crash costs a restart)
        rendering = renderer.render(abc_text)
    if rendering.error:
        raise MidiExportError(rendering.error)
    return mido.MidiFile(file=io.BytesIO(rendering.midi))


def _notes_from_music21(abc_text: str) -> mido.MidiFile:
    from music21 import converter, stream
    from music21.exceptions21 import StreamException
    from music21.midi import translate

    from studio.core.abc.lexer import plain_spellings

    score = converter.parse(plain_spellings(abc_text), format="abc")
    try:
        data = translate.music21ObjectToMidiFile(score).writestr()
    except StreamException:  # music21 10 cannot measure an overfull first bar (its meter "already found"): notes only
        notes = stream.Stream()
        for note in score.flatten().notesAndRests:
            notes.insert(note.getOffsetInHierarchy(score), note)
        data = translate.music21ObjectToMidiFile(notes).writestr()
    return mido.MidiFile(file=io.BytesIO(data))


_REPLACED_META = {"set_tempo", "time_signature", "key_signature", "track_name"}


def _rewrite(source: mido.MidiFile, meta: TuneMeta, program: int, velocity: int | None) -> mido.MidiFile:
    """A single-track copy of ``source`` with our tempo/meter/key/program and (optionally) one velocity."""
    merged = mido.merge_tracks(source.tracks)
    channels = sorted({m.channel for m in merged if not m.is_meta and hasattr(m, "channel")}) or [0]
    head: list[mido.Message | mido.MetaMessage] = []
    if meta.title:
        head.append(mido.MetaMessage("track_name", name=meta.title[:120]))
    head.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(meta.tempo_qpm)))
    if meta.meter:
        head.append(mido.MetaMessage("time_signature", numerator=meta.meter[0], denominator=meta.meter[1]))
    if meta.key:
        head.append(mido.MetaMessage("key_signature", key=meta.key))
    head += [mido.Message("program_change", channel=c, program=program) for c in channels]
    track = mido.MidiTrack(head)
    carried = 0  # delta time of dropped messages moves to the next kept one
    for message in merged:
        carried += message.time
        if message.is_meta and message.type in _REPLACED_META | {"end_of_track"}:
            continue
        if message.type == "program_change":
            continue
        if velocity is not None and message.type == "note_on" and message.velocity > 0:
            message = message.copy(velocity=velocity)
        track.append(message.copy(time=carried))
        carried = 0
    track.append(mido.MetaMessage("end_of_track", time=carried))
    result = mido.MidiFile(type=0, ticks_per_beat=source.ticks_per_beat)
    result.tracks.append(track)
    return result


def abc_to_midi(
    abc_text: str,
    *,
    tempo_bpm: float | None = None,
    program: int = DEFAULT_PROGRAM,
    velocity: int | None = DEFAULT_VELOCITY,
    renderer: NotationRenderer | None = None,
    rendering: Rendering | None = None,
) -> mido.MidiFile:
    """The first tune of ``abc_text`` as a type-0 MIDI file.

    ``tempo_bpm`` (quarter notes per minute) overrides ``Q:``; ``program`` is a General MIDI program 0-127;
    ``velocity`` sets every note's loudness (None keeps the source's). ``rendering``: a successful
    :class:`Rendering` of this same text, to reuse its MIDI instead of engraving again. Raises :class:`MidiExportError`.
    """
    if not 0 <= program <= 127:
        raise MidiExportError(f"The MIDI program must be between 0 and 127, not {program}.")
    if velocity is not None and not 1 <= velocity <= 127:
        raise MidiExportError(f"The note velocity must be between 1 and 127, not {velocity}.")
    if tempo_bpm is not None and not 5 <= tempo_bpm <= 1000:
        raise MidiExportError(f"The tempo must be between 5 and 1000 quarter notes per minute, not {tempo_bpm}.")
    meta = tune_meta(abc_text, tempo_bpm)
    try:
        source = _notes_from_verovio(abc_text, renderer or shared_renderer(), rendering)
    except MidiExportError as verovio_error:
        if len(abc_text) > MAX_ENGRAVED_CHARS:
            raise MidiExportError(f"{verovio_error} The tune is too long ({len(abc_text):,} characters) to try "
                                  f"music21 instead (limit {MAX_ENGRAVED_CHARS:,}).") from verovio_error
        try:
            source = _notes_from_music21(abc_text)
        except Exception as exc:
            raise MidiExportError(f"{verovio_error} music21 could not read it either: {exc}") from exc
    if not any(m.type == "note_on" for m in mido.merge_tracks(source.tracks)):
        raise MidiExportError("This ABC has no notes to play.")
    return _rewrite(source, meta, program, velocity)


def write_midi(abc_text: str, path: str | Path, **options) -> Path:
    """Writes :func:`abc_to_midi` of ``abc_text`` to ``path`` (options as for abc_to_midi)."""
    path = Path(path)
    midi = abc_to_midi(abc_text, **options)
    try:
        midi.save(str(path))
    except OSError as exc:
        raise MidiExportError(f"Could not write the MIDI file {path}: {exc.strerror or exc}") from exc
    return path
