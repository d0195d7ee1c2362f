"""Offline sound from MIDI: FluidSynth (loaded with a clear fix when missing), the SoundFont, rendering to PCM/WAV.

:func:`render_midi_to_pcm` needs no audio device: it feeds the MIDI events to a FluidSynth ``Synth`` at their
times and pulls the samples with ``get_samples`` (much faster than real time), plus a release tail. Real-time
playing (the Player, its sinks, the audio probe) is :mod:`studio.core.sound.playback`.

``import fluidsynth`` raises ImportError when the system library is missing: every entry point that needs it
raises :class:`SynthUnavailable` with the fix instead.
"""

from __future__ import annotations

import contextlib
import io
import os
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import mido

if TYPE_CHECKING:
    import numpy as np

FIX_HINT = "sudo apt-get install libfluidsynth3 timgm6mb-soundfont"
SOUNDFONT_ENV = "ABC_STUDIO_SOUNDFONT"
SOUNDFONT_CANDIDATES = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/soundfonts/default.sf2",
    "/usr/share/soundfonts/freepats-general-midi.sf2",
)
DEFAULT_GAIN = 0.5
RELEASE_TAIL_S = 1.5
_CHUNK_FRAMES = 4096


class SynthUnavailable(Exception):
    """FluidSynth (the system library) is not installed; the message says how to install it."""


class SoundFontError(Exception):
    """No usable SoundFont (missing file, unreadable file)."""


def load_fluidsynth():
    """The ``fluidsynth`` module, or :class:`SynthUnavailable` with the fix."""
    try:
        # pyfluidsynth prints where it found the library when $CI is set: that line must not reach our stdout,
        # which commands such as ``report`` use for their answer.
        with contextlib.redirect_stdout(io.StringIO()):
            import fluidsynth
    except ImportError as exc:
        raise SynthUnavailable(f"FluidSynth is not available ({exc}). Install it with: {FIX_HINT}") from exc
    except (OSError, AttributeError) as exc:  # the library is there but cannot be loaded (broken or wrong version)
        raise SynthUnavailable(f"The FluidSynth library could not be loaded ({exc}). Reinstall it with: "
                               f"{FIX_HINT}") from exc
    return fluidsynth


def find_soundfont(preferred: str | os.PathLike | None = None) -> Path | None:
    """The first existing SoundFont of: ``$ABC_STUDIO_SOUNDFONT``, ``preferred``, the usual system places."""
    for candidate in (os.environ.get(SOUNDFONT_ENV), preferred, *SOUNDFONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _resolve_soundfont(soundfont: str | os.PathLike | None) -> Path:
    if soundfont is not None:
        path = Path(soundfont)
        if not path.is_file():
            raise SoundFontError(f"The SoundFont {path} does not exist.")
        return path
    found = find_soundfont()
    if found is None:
        raise SoundFontError(
            f"No SoundFont found (looked at ${SOUNDFONT_ENV} and {', '.join(SOUNDFONT_CANDIDATES)}). "
            f"Install one with: {FIX_HINT}"
        )
    return found


def new_synth(soundfont: str | os.PathLike | None, sample_rate: int, gain: float):
    """A FluidSynth Synth with the SoundFont loaded: (synth, soundfont id)."""
    fluidsynth = load_fluidsynth()
    path = _resolve_soundfont(soundfont)
    synth = fluidsynth.Synth(gain=gain, samplerate=float(sample_rate))
    sfid = synth.sfload(str(path))
    if sfid < 0:
        synth.delete()
        raise SoundFontError(f"FluidSynth could not load the SoundFont {path} (not a valid .sf2 file?).")
    return synth, sfid


def send_to_synth(synth, sfid: int, message: mido.Message, program: int | None) -> None:
    """Plays one channel message on a FluidSynth synth (``program`` overrides the file's program changes)."""
    kind = message.type
    if kind == "note_on" and message.velocity > 0:
        synth.noteon(message.channel, message.note, message.velocity)
    elif kind in ("note_off", "note_on"):
        synth.noteoff(message.channel, message.note)
    elif kind == "program_change":
        drums = message.channel == 9  # the drum channel keeps its kit when ``program`` overrides the instruments
        synth.program_select(message.channel, sfid, 128 if drums else 0,
                             message.program if program is None or drums else program)
    elif kind == "control_change":
        synth.cc(message.channel, message.control, message.value)
    elif kind == "pitchwheel":
        synth.pitch_bend(message.channel, message.pitch)


@dataclass(frozen=True)
class TimedMessage:
    """A channel message at ``time_ms`` from the start (at the file's own tempo)."""

    time_ms: float
    message: mido.Message


def midi_events(midi: mido.MidiFile) -> list[TimedMessage]:
    """The channel messages of a MIDI file with absolute times in milliseconds (tempo changes applied)."""
    events, now = [], 0.0
    for message in midi:  # mido yields delta times in seconds
        now += message.time
        if not message.is_meta and message.type != "sysex":
            events.append(TimedMessage(now * 1000.0, message))
    return events


def midi_channels(events: list[TimedMessage]) -> list[int]:
    return sorted({e.message.channel for e in events if hasattr(e.message, "channel")}) or [0]


def render_midi_to_pcm(
    midi: mido.MidiFile,
    soundfont: str | os.PathLike | None = None,
    sample_rate: int = 44100,
    *,
    program: int | None = None,
    gain: float = DEFAULT_GAIN,
    tail_s: float = RELEASE_TAIL_S,
) -> np.ndarray:
    """Renders a MIDI file offline: int16 stereo samples of shape (frames, 2), length = music + ``tail_s``.

    ``program`` (0-127) replaces the file's instrument; ``gain`` is FluidSynth's master gain (0-10).
    Raises SynthUnavailable / SoundFontError.
    """
    import numpy as np  # here, not at the top: the window imports this module while it starts

    events = midi_events(midi)
    synth, sfid = new_synth(soundfont, sample_rate, gain)
    try:
        if program is not None:
            for channel in midi_channels(events):
                if channel != 9:
                    synth.program_select(channel, sfid, 0, program)
        chunks: list[np.ndarray] = []
        done = 0

        def advance_to(frame: int) -> None:
            nonlocal done
            while done < frame:
                count = min(_CHUNK_FRAMES, frame - done)
                chunks.append(np.asarray(synth.get_samples(count), dtype=np.int16).reshape(-1, 2))
                done += count

        for event in events:
            advance_to(int(round(event.time_ms * sample_rate / 1000.0)))
            send_to_synth(synth, sfid, event.message, program)
        end_ms = max(midi.length * 1000.0, events[-1].time_ms if events else 0.0)
        advance_to(int(round((end_ms / 1000.0 + tail_s) * sample_rate)))
    finally:
        synth.delete()
    return np.concatenate(chunks) if chunks else np.zeros((0, 2), dtype=np.int16)


def write_wav(pcm: np.ndarray, path: str | os.PathLike, sample_rate: int = 44100) -> Path:
    """Writes int16 PCM of shape (frames, channels) or (frames,) as a WAV file."""
    import numpy as np

    pcm = np.asarray(pcm)
    if pcm.dtype != np.int16:
        raise ValueError(f"WAV export needs int16 samples, not {pcm.dtype}.")
    channels = 1 if pcm.ndim == 1 else pcm.shape[1]
    path = Path(path)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(np.ascontiguousarray(pcm).tobytes())
    return path
