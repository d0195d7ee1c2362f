"""Real-time playing: a Player with a position clock, the sinks it plays on, and whether this machine has sound.

* :class:`Player` is a plain class (no Qt) with hook methods ``on_position``, ``on_note``, ``on_finished`` and
  ``on_error`` that a thin Qt adapter turns into signals. A background thread schedules the events by a position
  clock and sends them to a sink: :class:`FluidSynthSink` (sound card through FluidSynth's audio driver),
  :class:`MidiPortSink` (a MIDI output port, see :mod:`studio.core.sound.midi_ports`) or :class:`NullSink` (clock only:
  the cursor moves, nothing sounds; the mode for machines without a sound card and for tests).
* :func:`probe_audio` finds out, in a child process so that a broken driver can neither hang nor crash us, whether
  FluidSynth can open a sound card here.
"""

from __future__ import annotations

import bisect
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import mido

from studio.core.sound.synth import (DEFAULT_GAIN, SynthUnavailable, TimedMessage, load_fluidsynth,
                                     midi_channels, midi_events, new_synth, send_to_synth)

AUDIO_DRIVERS = ("pulseaudio", "pipewire", "alsa")


class AudioUnavailable(Exception):
    """No sound card / audio server can be opened; WAV export and the clock-only player still work."""


# --------------------------------------------------------------------------- audio devices


@dataclass(frozen=True)
class AudioStatus:
    """Whether real-time audio works here; ``driver`` is the FluidSynth audio driver that opened."""

    available: bool
    message: str
    driver: str | None = None


_PROBE_CODE = """
import json, sys
try:
    import fluidsynth
except ImportError as exc:
    print(json.dumps({"driver": None, "error": "no FluidSynth: %s" % exc})); sys.exit()
synth = fluidsynth.Synth()
for driver in sys.argv[1:]:
    synth.setting("audio.driver", driver)
    handle = fluidsynth.new_fluid_audio_driver(synth.settings, synth.synth)
    if handle:
        fluidsynth.delete_fluid_audio_driver(handle)
        print(json.dumps({"driver": driver})); sys.exit()
print(json.dumps({"driver": None, "error": "no driver opened"}))
"""

_probe_cache: dict[tuple[str, ...], AudioStatus] = {}


def probe_audio(drivers: tuple[str, ...] = AUDIO_DRIVERS, timeout_s: float = 10.0, refresh: bool = False) -> AudioStatus:
    """Tries FluidSynth's audio drivers in a child process (a hang or crash there cannot hurt us). Cached."""
    if not refresh and drivers in _probe_cache:
        return _probe_cache[drivers]
    try:
        load_fluidsynth()
    except SynthUnavailable as exc:
        return AudioStatus(False, str(exc))
    no_card = "" if Path("/dev/snd").exists() or sys.platform != "linux" else " This machine has no sound card (/dev/snd is absent)."
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE_CODE, *drivers], capture_output=True, text=True,
                              timeout=timeout_s)
        answer = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
        errors = [line.strip() for line in done.stderr.splitlines() if line.startswith("fluidsynth: error")]
        detail = "; ".join(errors[:3])
    except subprocess.TimeoutExpired:
        answer, detail = {}, f"the audio drivers did not answer within {timeout_s:g} s"
    if answer.get("driver"):
        status = AudioStatus(True, f"Audio works through FluidSynth's {answer['driver']} driver.", answer["driver"])
    else:
        status = AudioStatus(False, f"No audio output could be opened (tried {', '.join(drivers)})."
                             f"{no_card} {detail}".rstrip() + " WAV export and MIDI ports still work.")
    _probe_cache[drivers] = status
    return status


# --------------------------------------------------------------------------- sinks for the player


class NullSink:
    """Plays nothing: the player's clock and hooks run as usual (for machines without sound, and tests)."""

    def send(self, message: mido.Message) -> None:
        pass

    def close(self) -> None:
        pass


class MidiPortSink:
    """Sends the player's messages to a MIDI output port (``studio.core.sound.midi_ports.open_output``)."""

    def __init__(self, output):
        self.output = output

    def send(self, message: mido.Message) -> None:
        self.output.send(message)

    def close(self) -> None:
        self.output.close()


class FluidSynthSink:
    """FluidSynth playing through the sound card. ``open`` raises AudioUnavailable when there is none."""

    def __init__(self, synth, sfid: int, driver_handle, driver: str):
        self._synth, self._sfid, self._driver_handle, self.driver = synth, sfid, driver_handle, driver

    @classmethod
    def open(cls, soundfont: str | os.PathLike | None = None, driver: str | None = None,
             sample_rate: int = 44100, gain: float = DEFAULT_GAIN) -> FluidSynthSink:
        status = probe_audio((driver,) if driver else AUDIO_DRIVERS)
        if not status.available:
            raise AudioUnavailable(status.message)
        fluidsynth = load_fluidsynth()
        synth, sfid = new_synth(soundfont, sample_rate, gain)
        synth.setting("audio.driver", status.driver)
        handle = fluidsynth.new_fluid_audio_driver(synth.settings, synth.synth)
        if not handle:
            synth.delete()
            raise AudioUnavailable(f"FluidSynth could not open the {status.driver} audio driver.")
        return cls(synth, sfid, handle, status.driver)

    def send(self, message: mido.Message) -> None:
        send_to_synth(self._synth, self._sfid, message, None)

    def close(self) -> None:
        if self._synth is not None:
            load_fluidsynth().delete_fluid_audio_driver(self._driver_handle)
            self._synth.delete()
            self._synth = None


# --------------------------------------------------------------------------- the player


class Player:
    """Plays a MIDI file in real time on a sink, with a position clock running in a background thread.

    Override the hooks (or let a Qt adapter do it); they are called from the player's thread.
    Controls: ``load``, ``play``, ``pause``, ``stop``, ``seek(ms)``, ``set_tempo_factor``, ``loop``,
    ``set_volume(0..1)``, ``set_program(0..127 | None)``. Positions are in milliseconds of the file's own time.
    """

    position_interval_ms = 30.0

    def __init__(self, sink=None):
        self.sink = sink if sink is not None else NullSink()
        self.loop = False
        self._events: list[TimedMessage] = []
        self._times: list[float] = []
        self._duration_ms = 0.0
        self._tempo_factor = 1.0
        self._volume = 1.0
        self._program: int | None = None
        self._lock = threading.RLock()
        self._anchor_pos = 0.0
        self._anchor_clock = 0.0
        self._index = 0
        self._playing = False
        self._sounding: set[tuple[int, int]] = set()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    # -- hooks
    def on_position(self, ms: float) -> None:
        """Called about every ``position_interval_ms`` while playing, and after seek/stop."""

    def on_note(self, is_on: bool, channel: int, note: int, velocity: int) -> None:
        """Called when a note starts or ends."""

    def on_finished(self) -> None:
        """Called when the end is reached (not when looping, not after stop)."""

    def on_error(self, message: str) -> None:
        """Called when the sink fails; playback stops."""

    # -- state
    @property
    def duration_ms(self) -> float:
        return self._duration_ms

    @property
    def is_playing(self) -> bool:
        return self._playing

    @property
    def tempo_factor(self) -> float:
        return self._tempo_factor

    @property
    def position_ms(self) -> float:
        with self._lock:
            if not self._playing:
                return self._anchor_pos
            return self._anchor_pos + (time.monotonic() - self._anchor_clock) * 1000.0 * self._tempo_factor

    def load(self, midi: mido.MidiFile) -> None:
        self.stop()
        with self._lock:
            self._events = midi_events(midi)
            self._times = [e.time_ms for e in self._events]
            self._duration_ms = max(midi.length * 1000.0, self._times[-1] if self._times else 0.0)
            self._set_anchor(0.0)

    def _set_anchor(self, position_ms: float) -> None:
        self._anchor_pos = min(max(position_ms, 0.0), self._duration_ms)
        self._anchor_clock = time.monotonic()
        self._index = bisect.bisect_left(self._times, self._anchor_pos)

    # -- controls
    def play(self) -> None:
        with self._lock:
            if self._playing or not self._events:
                return
            if self._anchor_pos >= self._duration_ms:
                self._set_anchor(0.0)
            self._set_anchor(self._anchor_pos)
            self._playing = True
            self._apply_channel_settings()
            self._wake.clear()
            self._thread = threading.Thread(target=self._run, name="abc-studio-player", daemon=True)
            self._thread.start()

    def pause(self) -> None:
        with self._lock:
            if not self._playing:
                return
            self._anchor_pos = self.position_ms
            self._playing = False
        self._join()
        self._silence()

    def stop(self) -> None:
        was_active = self._playing or self._anchor_pos > 0
        self.pause()
        with self._lock:
            self._set_anchor(0.0)
        if was_active:
            self.on_position(0.0)

    def seek(self, position_ms: float) -> None:
        with self._lock:
            self._set_anchor(position_ms)
            position = self._anchor_pos
        self._silence()
        self.on_position(position)
        self._wake.set()

    def set_tempo_factor(self, factor: float) -> None:
        if not 0.1 <= factor <= 4.0:
            raise ValueError(f"The tempo factor must be between 0.1 and 4, not {factor}.")
        with self._lock:
            position = self.position_ms
            self._tempo_factor = factor
            self._set_anchor(position)
        self._wake.set()

    def set_volume(self, volume: float) -> None:
        self._volume = min(max(volume, 0.0), 1.0)
        self._apply_channel_settings()

    def set_program(self, program: int | None) -> None:
        if program is not None and not 0 <= program <= 127:
            raise ValueError(f"The MIDI program must be between 0 and 127, not {program}.")
        self._program = program
        self._apply_channel_settings()

    def close(self) -> None:
        self.stop()
        self.sink.close()

    # -- the thread
    def _join(self) -> None:
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
        self._thread = None

    def _send(self, message: mido.Message) -> None:
        self.sink.send(message)

    def _apply_channel_settings(self) -> None:
        try:
            for channel in midi_channels(self._events):
                self._send(mido.Message("control_change", channel=channel, control=7, value=round(self._volume * 127)))
                if self._program is not None:
                    self._send(mido.Message("program_change", channel=channel, program=self._program))
        except Exception as exc:
            self.on_error(f"The sound output failed: {exc}")

    def _silence(self) -> None:
        try:
            for channel, note in list(self._sounding):
                self._send(mido.Message("note_off", channel=channel, note=note))
                self.on_note(False, channel, note, 0)
            for channel in midi_channels(self._events):
                self._send(mido.Message("control_change", channel=channel, control=123, value=0))
        except Exception as exc:
            self.on_error(f"The sound output failed: {exc}")
        self._sounding.clear()

    def _dispatch(self, message: mido.Message) -> None:
        if message.type == "program_change" and self._program is not None:
            return
        self._send(message)
        if message.type in ("note_on", "note_off"):
            is_on = message.type == "note_on" and message.velocity > 0
            key = (message.channel, message.note)
            (self._sounding.add if is_on else self._sounding.discard)(key)
            self.on_note(is_on, message.channel, message.note, message.velocity if is_on else 0)

    def _run(self) -> None:
        last_report = -1e9
        try:
            while True:
                with self._lock:
                    if not self._playing:
                        return
                    position = self.position_ms
                    due = []
                    while self._index < len(self._events) and self._times[self._index] <= position:
                        due.append(self._events[self._index].message)
                        self._index += 1
                    at_end = self._index >= len(self._events) and position >= self._duration_ms
                    next_time = self._times[self._index] if self._index < len(self._times) else self._duration_ms
                for message in due:
                    self._dispatch(message)
                now = time.monotonic() * 1000.0
                if now - last_report >= self.position_interval_ms or at_end:
                    self.on_position(min(position, self._duration_ms))
                    last_report = now
                if at_end:
                    self._silence()
                    if self.loop:
                        with self._lock:
                            self._set_anchor(0.0)
                        continue
                    with self._lock:
                        self._playing = False
                        self._anchor_pos = self._duration_ms
                    self.on_finished()
                    return
                wait_ms = min((next_time - position) / self._tempo_factor, self.position_interval_ms)
                self._wake.wait(max(wait_ms, 0.5) / 1000.0)
                self._wake.clear()
        except Exception as exc:
            with self._lock:
                self._playing = False
            self._silence()
            self.on_error(f"Playback stopped: {exc}")
