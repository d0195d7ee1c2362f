"""The core ``Player`` (:mod:`studio.core.sound.playback`) as a QObject: its hooks are Qt signals, its sink is chosen here.

The core player calls its hooks from its own thread; emitting a signal from there is safe and the connected
slots run in the GUI thread (queued connection). Output choices:

* ``SYNTH``: FluidSynth through the sound card. When there is none (or no FluidSynth, or no SoundFont), the
  player falls back to the clock-only sink so the cursor still moves, and ``output_problem`` says why and how to fix it.
* ``CLOCK``: clock only, silent.
* any other string: a MIDI output port name (``VIRTUAL_PORT`` opens a virtual port where the platform allows).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from studio.core.sound.playback import NullSink, Player

SYNTH = "synth"
CLOCK = "clock"
VIRTUAL_PORT = "virtual:ABC Studio"


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


class PlaybackController(QObject, Player):
    """The core ``Player`` as a QObject: its hooks are Qt signals, its sink is chosen by name (``set_output``).

    Plays a ``mido.MidiFile``: ``load``, ``play``, ``pause``, ``toggle``, ``stop``, ``seek``, tempo, volume, program,
    loop (the core player's own controls). Signals: ``position_changed(ms)`` (file time, about every 30 ms),
    ``note_changed(on, note)``, ``state_changed(playing)``, ``finished()``, ``failed(message)``.
    """

    position_changed = Signal(float)
    note_changed = Signal(bool, int)
    state_changed = Signal(bool)
    finished = Signal()
    failed = Signal(str)

    def __init__(self, parent=None):
        QObject.__init__(self, parent)
        Player.__init__(self, NullSink())
        self._output = CLOCK
        self._soundfont: str | None = None
        self.output_problem = ""
        self.finished.connect(lambda: self.state_changed.emit(False))
        self.failed.connect(lambda _message: self.state_changed.emit(False))

    # -- the core player's hooks (called on its thread; the connected slots run in the GUI thread)
    def on_position(self, ms: float) -> None:
        self.position_changed.emit(float(ms))

    def on_note(self, is_on: bool, channel: int, note: int, velocity: int) -> None:
        self.note_changed.emit(bool(is_on), int(note))

    def on_finished(self) -> None:
        self.finished.emit()

    def on_error(self, message: str) -> None:
        self.failed.emit(message)

    # -- output
    @property
    def output(self) -> str:
        return self._output

    def set_output(self, output: str, soundfont: str | None = None) -> str:
        """Switches the output (see the module docstring); returns the problem message ('' when it works)."""
        was_playing = self.is_playing
        Player.pause(self)
        old, self.sink = self.sink, NullSink()
        try:
            old.close()
        except Exception:
            pass
        self.sink, self.output_problem = open_sink(output, soundfont)
        self._output, self._soundfont = output, soundfont
        self.set_volume(self._volume)
        if was_playing:
            Player.play(self)
        return self.output_problem

    @property
    def loaded(self) -> bool:
        return self.duration_ms > 0

    # -- controls that also say whether the player plays (the core's load and stop pause first, which says it)
    def play(self) -> None:
        super().play()
        self.state_changed.emit(self.is_playing)

    def pause(self) -> None:
        super().pause()
        self.state_changed.emit(False)

    def toggle(self) -> None:
        self.pause() if self.is_playing else self.play()

    def set_tempo_factor(self, factor: float) -> None:
        super().set_tempo_factor(min(max(factor, 0.1), 4.0))

    def set_loop(self, loop: bool) -> None:
        self.loop = bool(loop)

    def close(self) -> None:
        try:
            super().close()
        except Exception:
            pass
