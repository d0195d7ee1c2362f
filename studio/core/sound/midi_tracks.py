"""Standard MIDI File bytes (type 1) from timed notes: one named track per part, written directly.

Writing the bytes ourselves (variable-length deltas, running nothing clever) is several times faster than building
mido messages, which matters for bulk export of whole tune books; mido reads the result back (tests, the Player).
The first track carries the tempo, time signature and key signature; each part's track its name and program.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import mido

#: mido's key names -> (sharps/flats, minor) for the key signature meta event.
_KEY_SIGNATURES = {name: (fifths, minor) for minor, names in (
    (0, ["Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#"]),
    (1, ["Abm", "Ebm", "Bbm", "Fm", "Cm", "Gm", "Dm", "Am", "Em", "Bm", "F#m", "C#m", "G#m", "D#m", "A#m"]),
) for fifths, name in zip(range(-7, 8), names)}


_SMALL = [bytes((value,)) for value in range(0x80)]


@dataclass(frozen=True)
class TrackNotes:
    """One part: its track name, channel, program (None for the drum channel) and notes
    ``(start_tick, duration_ticks, pitch, velocity)``."""

    name: str
    channel: int
    program: int | None
    notes: list[tuple[int, int, int, int]]


def _variable_length(value: int) -> bytes:
    if value < 0x80:
        return _SMALL[value]
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(out))


def _meta(kind: int, data: bytes) -> bytes:
    return bytes((0xFF, kind)) + _variable_length(len(data)) + data


def _chunk(events: list[tuple[int, int, bytes]]) -> bytes:
    """A track chunk from (tick, order, event bytes); at one tick, lower ``order`` first (note-offs before ons)."""
    events.sort(key=lambda event: (event[0], event[1]))
    body = bytearray()
    now = 0
    for tick, _, data in events:
        body += _variable_length(tick - now)
        body += data
        now = tick
    body += b"\x00" + _meta(0x2F, b"")
    return b"MTrk" + struct.pack(">I", len(body)) + bytes(body)


def midi_file_bytes(tracks: list[TrackNotes], *, ticks_per_beat: int, tempo_qpm: float,
                    meter: tuple[int, int] | None, key: str | None, title: str = "") -> bytes:
    """A type-1 MIDI file: the tempo map (tempo, meter, key) in the first track with its notes, one track per part."""
    chunks = []
    for number, track in enumerate(tracks):
        events: list[tuple[int, int, bytes]] = [(0, 0, _meta(0x03, track.name.encode("latin-1", "replace")[:120]))]
        if number == 0:
            if title:
                events.append((0, 0, _meta(0x01, title.encode("latin-1", "replace")[:120])))
            tempo = max(1, min(0xFFFFFF, mido.bpm2tempo(tempo_qpm)))
            events.append((0, 0, _meta(0x51, tempo.to_bytes(3, "big"))))
            if meter:
                denominator_power = max(0, meter[1].bit_length() - 1)
                events.append((0, 0, _meta(0x58, bytes((min(meter[0], 255), denominator_power, 24, 8)))))
            if key in _KEY_SIGNATURES:
                fifths, minor = _KEY_SIGNATURES[key]
                events.append((0, 0, _meta(0x59, struct.pack(">bB", fifths, minor))))
        channel = track.channel & 0x0F
        if track.program is not None:
            events.append((0, 1, bytes((0xC0 | channel, track.program & 0x7F))))
        on, off = 0x90 | channel, 0x80 | channel
        for start, duration, pitch, velocity in track.notes:
            events.append((start, 3, bytes((on, pitch & 0x7F, max(1, min(127, velocity))))))
            events.append((start + max(1, duration), 2, bytes((off, pitch & 0x7F, 0))))
        chunks.append(_chunk(events))
    header = b"MThd" + struct.pack(">IHHH", 6, 1, len(chunks), ticks_per_beat)
    return header + b"".join(chunks)
