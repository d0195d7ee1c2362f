"""Thin Qt adapter over the core ``Player`` (studio.core.sound.playback): its hooks become Qt signals, its sink is chosen here.

The core player calls its hooks from its own thread; emitting a signal from there is safe and the connected
slots run in the GUI thread (queued connection). Output choices:

* ``SYNTH``: FluidSynth through the sound card. When there is none (or no FluidSynth, or no SoundFont), the
  player falls back to the clock-only sink so the cursor still moves, and ``output_problem`` says why and how to fix it.
* ``CLOCK``: clock only, silent.
* any other string: a MIDI output port name (``VIRTUAL_PORT`` opens a virtual port where the platform allows).
"""

from __future__ import annotations

import mido
from PySide6.QtCore import QObject, Signal

from studio.core.sound.playback import NullSink, Player

SYNTH = "synth"
CLOCK = "clock"
VIRTUAL_PORT = "virtual:ABC Studio"


class _HookedPlayer(Player):
    """The core player with its hooks forwarded to a PlaybackController's signals."""

    def __init__(self, controller: PlaybackController):
        super().__init__(NullSink())
        self._controller = controller

    def on_position(self, ms: float) -> None:
        self._controller.position_changed.emit(float(ms))

    def on_note(self, is_on: bool, channel: int, note: int, velocity: int) -> None:
        self._controller.note_changed.emit(bool(is_on), int(note))

    def on_finished(self) -> None:
        self._controller.finished.emit()

    def on_error(self, message: str) -> None:
        self._controller.failed.emit(message)


def open_sink(output: str, soundfont: str | None = None):
    """The sink for an output choice: (sink, problem). Never raises: a sink that cannot open falls back to the
    clock-only sink and ``problem`` is a message saying why and how to fix it."""
    from studio.core.sound.midi_ports import MidiPortError, open_output
    from studio.core.sound.playback import AudioUnavailable, FluidSynthSink, MidiPortSink
    from studio.core.sound.synth import SoundFontError, SynthUnavailable

    if output == CLOCK:
        return NullSink(), ""
    if output == SYNTH:
        try:
            return FluidSynthSink.open(soundfont or None), ""
        except (AudioUnavailable, SynthUnavailable, SoundFontError) as exc:
            return NullSink(), f"No sound: {exc}"
        except Exception as exc:  # a driver failing in an unexpected way must not take the window down
            return NullSink(), f"No sound: FluidSynth failed ({exc})."
    try:
        if output.startswith("virtual:"):
            return MidiPortSink(open_output(output.split(":", 1)[1], virtual=True)), ""
        return MidiPortSink(open_output(output)), ""
    except MidiPortError as exc:
        return NullSink(), f"MIDI out: {exc}"


class PlaybackController(QObject):
    """Plays a ``mido.MidiFile``: ``load``, ``play``, ``pause``, ``toggle``, ``stop``, tempo, volume, program, loop.

    Signals: ``position_changed(ms)`` (file time, about every 30 ms), ``note_changed(on, note)``,
    ``state_changed(playing)``, ``finished()``, ``failed(message)``.
    """

    position_changed = Signal(float)
    note_changed = Signal(bool, int)
    state_changed = Signal(bool)
    finished = Signal()
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._player = _HookedPlayer(self)
        self._output = CLOCK
        self._soundfont: str | None = None
        self._volume = 1.0
        self.output_problem = ""
        self.finished.connect(lambda: self.state_changed.emit(False))
        self.failed.connect(lambda _message: self.state_changed.emit(False))

    # -- output
    @property
    def output(self) -> str:
        return self._output

    def set_output(self, output: str, soundfont: str | None = None) -> str:
        """Switches the output (see the module docstring); returns the problem message ('' when it works)."""
        was_playing = self.is_playing
        self._player.pause()
        old = self._player.sink
        self._player.sink = NullSink()
        try:
            old.close()
        except Exception:
            pass
        sink, self.output_problem = open_sink(output, soundfont)
        self._player.sink = sink
        self._output, self._soundfont = output, soundfont
        self._player.set_volume(self._volume)
        if was_playing:
            self._player.play()
        return self.output_problem

    # -- state
    @property
    def is_playing(self) -> bool:
        return self._player.is_playing

    @property
    def position_ms(self) -> float:
        return self._player.position_ms

    @property
    def duration_ms(self) -> float:
        return self._player.duration_ms

    @property
    def tempo_factor(self) -> float:
        return self._player.tempo_factor

    @property
    def loaded(self) -> bool:
        return self._player.duration_ms > 0

    # -- controls
    def load(self, midi: mido.MidiFile) -> None:
        self._player.load(midi)
        self.state_changed.emit(False)

    def play(self) -> None:
        self._player.play()
        self.state_changed.emit(self._player.is_playing)

    def pause(self) -> None:
        self._player.pause()
        self.state_changed.emit(False)

    def toggle(self) -> None:
        self.pause() if self.is_playing else self.play()

    def stop(self) -> None:
        self._player.stop()
        self.state_changed.emit(False)

    def seek(self, ms: float) -> None:
        self._player.seek(ms)

    def set_tempo_factor(self, factor: float) -> None:
        self._player.set_tempo_factor(min(max(factor, 0.1), 4.0))

    def set_volume(self, volume: float) -> None:
        self._volume = volume
        self._player.set_volume(volume)

    def set_program(self, program: int | None) -> None:
        self._player.set_program(program)

    def set_loop(self, loop: bool) -> None:
        self._player.loop = bool(loop)

    def close(self) -> None:
        try:
            self._player.close()
        except Exception:
            pass
