"""The Generate tab's playback bar: play/pause/stop, loop (a strain or bars), tempo, instrument, volume, output port,
SoundFont, the position, zoom and Export buttons, and the arrangement row (chords, swing, count-in, metronome,
transpose: ``ArrangementControls``); it owns the ``PlaybackController`` that plays the current tune.

``load_tune(preview)`` plays what the musician asked for: the tune arranged (:mod:`studio.core.sound.arrangement`) with the
chosen options, rebuilt whenever they change, and ``ids_at(ms)`` names the engraved notes sounding then
(:class:`studio.core.engraving.score_cursor.ScoreCursor`: right with repeats, swing and count-in). Text the arrangement refuses
plays verovio's (or music21's) MIDI from the preview, without the options.

It reports through signals: ``toggle_requested`` / ``stop_requested`` (the panel decides what playing means when
nothing is loaded yet), ``export_requested``, ``zoom_requested(factor)``, ``position_changed(ms)`` (for the score
cursor), ``status_changed(message)``, ``problem_found(message, details)`` and ``problem_solved()``. Controls sit in
three rows (``transport``, ``arrangement_row`` and ``outputs``): a new control is one ``addWidget`` on its row.
"""

from __future__ import annotations

import threading

import mido
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from studio.core.engraving.score_cursor import ScoreCursor
from studio.core.sound.arrangement import ArrangementError, PlaybackOptions, arrange
from studio.ui.generate.arrangement_controls import ArrangementControls
from studio.ui.generate.playback import CLOCK, SYNTH, VIRTUAL_PORT, PlaybackController

INSTRUMENTS = [("Violin (fiddle)", 40), ("Fiddle (GM 110)", 110), ("Flute", 73), ("Whistle", 78),
               ("Recorder", 74), ("Pan flute", 75), ("Accordion", 21), ("Harmonica", 22), ("Bagpipe", 109),
               ("Banjo", 105), ("Nylon guitar", 24), ("Harp", 46), ("Acoustic grand piano", 0), ("Celesta", 8)]
DEFAULT_PROGRAM = 40
ZOOM_STEP = 1.2


def explain_output_problem(problem: str) -> str:
    """A short banner text for a sound output that failed: what happened, what still works, how to fix it."""
    short = problem.split(" fluidsynth:")[0].split(" WAV export and")[0].strip()
    return (f"{short} The score cursor still follows the music, silently. To hear it: run the studio on a "
            "computer with a sound card or an audio server (PulseAudio, PipeWire), choose a MIDI output port, "
            "or use Export... > WAV (works here).")


def clock_text(ms: float) -> str:
    """``m:ss`` for a time in milliseconds."""
    seconds = max(int(ms / 1000), 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


class PlaybackBar(QWidget):
    """The two rows above the score (see the module docstring)."""

    toggle_requested = Signal()
    stop_requested = Signal()
    export_requested = Signal()
    zoom_requested = Signal(float)
    position_changed = Signal(float)
    status_changed = Signal(str)
    problem_found = Signal(str, str)
    problem_solved = Signal()
    text_rewrite_requested = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.settings = QSettings()
        self.player = PlaybackController(self)
        self.arrangement = ArrangementControls(self)
        self.port_status = ""
        self._written_qpm = 120.0
        self._preview = None
        self.cursor: ScoreCursor | None = None
        self.loaded_options: PlaybackOptions | None = None  # what the loaded MIDI was arranged with (None: fallback)
        self.loaded_midi: mido.MidiFile | None = None  # what the player plays
        self._build()
        self._connect()

    def _build(self) -> None:
        self.play_button = QPushButton("▶ Play")
        self.play_button.setToolTip("Play or pause (Space). With no tune yet, generates one first.")
        self.stop_button = QPushButton("■ Stop")
        self.loop_check = QCheckBox("Loop")
        self.tempo_spin = QDoubleSpinBox()
        self.tempo_spin.setRange(20, 400)
        self.tempo_spin.setDecimals(0)
        self.tempo_spin.setSuffix(" BPM")
        self.tempo_spin.setToolTip("Tempo in quarter notes per minute (starts at the tune's own tempo)")
        self.instrument_combo = QComboBox()
        for name, program in INSTRUMENTS:
            self.instrument_combo.addItem(f"{name} ({program})", program)
        self.instrument_combo.setToolTip("General MIDI instrument for playback and export")
        self.volume_slider = QSlider(Qt.Horizontal)
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setFixedWidth(90)
        self.volume_slider.setToolTip("Volume")
        self.output_combo = QComboBox()
        self.output_combo.setToolTip("Where the notes go: FluidSynth on the sound card, silent (cursor only), "
                                     "or a MIDI output port")
        self.ports_button = QPushButton("↻")
        self.ports_button.setFixedWidth(32)
        self.ports_button.setToolTip("Look again for MIDI output ports")
        self.soundfont_button = QPushButton("SoundFont...")
        self.export_button = QPushButton("Export...")
        self.export_button.setToolTip("Save the tune as MIDI, WAV or ABC (or all tunes as a tune book)")
        self.position_slider = QSlider(Qt.Horizontal)
        self.position_slider.setRange(0, 0)
        self.position_label = QLabel("0:00 / 0:00")
        self.zoom_out_button = QPushButton("−")
        self.zoom_in_button = QPushButton("+")
        for button in (self.zoom_in_button, self.zoom_out_button):
            button.setFixedWidth(30)
        self.zoom_in_button.setToolTip("Zoom in (Ctrl + wheel)")
        self.zoom_out_button.setToolTip("Zoom out (Ctrl + wheel)")
        for button in (self.play_button, self.stop_button, self.ports_button, self.zoom_in_button,
                       self.zoom_out_button):
            button.setFocusPolicy(Qt.TabFocus)

        self.transport = QHBoxLayout()
        for widget in (self.play_button, self.stop_button, self.loop_check, *self.arrangement.loop_widgets,
                       QLabel("Tempo"), self.tempo_spin, self.instrument_combo, QLabel("Vol"), self.volume_slider):
            self.transport.addWidget(widget)
        self.transport.addStretch(1)
        self.transport.addWidget(self.export_button)
        self.arrangement_row = QHBoxLayout()
        for widget in self.arrangement.row_widgets:
            self.arrangement_row.addWidget(widget)
        self.arrangement_row.addStretch(1)
        self.outputs = QHBoxLayout()
        self.outputs.addWidget(QLabel("Output"))
        self.outputs.addWidget(self.output_combo, 1)
        self.outputs.addWidget(self.ports_button)
        self.outputs.addWidget(self.soundfont_button)
        self.outputs.addSpacing(12)
        self.outputs.addWidget(self.position_slider, 2)
        self.outputs.addWidget(self.position_label)
        self.outputs.addWidget(self.zoom_out_button)
        self.outputs.addWidget(self.zoom_in_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.transport)
        layout.addLayout(self.arrangement_row)
        layout.addLayout(self.outputs)

    def _connect(self) -> None:
        self.play_button.clicked.connect(self.toggle_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.export_button.clicked.connect(self.export_requested)
        self.zoom_in_button.clicked.connect(lambda: self.zoom_requested.emit(ZOOM_STEP))
        self.zoom_out_button.clicked.connect(lambda: self.zoom_requested.emit(1 / ZOOM_STEP))
        self.loop_check.toggled.connect(self.player.set_loop)
        self.loop_check.toggled.connect(self.rebuild)
        self.tempo_spin.valueChanged.connect(self._on_tempo_changed)
        self.instrument_combo.currentIndexChanged.connect(self.rebuild)
        self.arrangement.changed.connect(self.rebuild)
        self.arrangement.text_rewrite_requested.connect(self.text_rewrite_requested)
        self.arrangement.status_changed.connect(self.status_changed)
        self.volume_slider.valueChanged.connect(lambda v: self.player.set_volume(v / 100.0))
        self.output_combo.activated.connect(lambda _i: self.apply_output())
        self.ports_button.clicked.connect(self.refresh_ports)
        self.soundfont_button.clicked.connect(self.choose_soundfont)
        self.position_slider.sliderMoved.connect(lambda v: self.player.seek(float(v)))
        self.player.position_changed.connect(self._on_position)
        self.player.state_changed.connect(self._on_play_state)
        self.player.failed.connect(self._on_player_failed)
        self.player.finished.connect(lambda: self._on_position(self.player.duration_ms))

    # ------------------------------------------------------------------ the tune
    @property
    def program(self) -> int:
        data = self.instrument_combo.currentData()
        return DEFAULT_PROGRAM if data is None else int(data)

    def load_tune(self, preview) -> None:
        """Plays ``preview`` (a ``TunePreview``) from now on: arranged with the chosen options when it can be, at its
        written tempo, back at the start."""
        self._preview = preview
        self.arrangement.set_tune(preview.text)
        self.load(preview.midi, preview.tempo_qpm)

    def load(self, midi: mido.MidiFile | None, tempo_qpm: float = 120.0) -> None:
        """Loads a tune's MIDI (None: nothing playable) at its written tempo, back at the start."""
        self.player.stop()
        if midi is None:
            self._preview = None
            self.cursor, self.loaded_options = None, None
            self.player.load(mido.MidiFile())
            self.position_slider.setRange(0, 0)
            return
        self._written_qpm = tempo_qpm
        self.tempo_spin.blockSignals(True)
        self.tempo_spin.setValue(round(tempo_qpm))
        self.tempo_spin.blockSignals(False)
        self.player.set_tempo_factor(1.0)
        self._load_midi(midi)

    def rebuild(self, *_args) -> None:
        """Arranges the tune again with the current options (keeps playing from about the same place)."""
        if self._preview is None or self._preview.midi is None:
            return
        was_playing, position = self.player.is_playing, self.player.position_ms
        self._load_midi(self._preview.midi)
        if was_playing:
            self.player.seek(min(position, self.player.duration_ms))
            self.play()

    def _load_midi(self, fallback: mido.MidiFile) -> None:
        midi, self.cursor, self.loaded_options = fallback, None, None
        preview = self._preview
        if preview is not None and preview.arranged:
            options = self.arrangement.options(self.program, self.loop_check.isChecked())
            try:
                arranged = arrange(preview.text, options)
            except ArrangementError as exc:
                self.status_changed.emit(f"Playing without the playback options: {exc}")
            else:
                midi, self.loaded_options = arranged.to_midi(), options
                self.cursor = ScoreCursor(arranged, preview.positions)
        self.loaded_midi = midi
        self.player.load(midi)
        self.player.set_program(None if self.loaded_options else self.program)
        self.position_slider.setRange(0, int(self.player.duration_ms))
        self._on_position(0.0)

    def ids_at(self, ms: float) -> list[str]:
        """Engraved note ids sounding at ``ms`` of the loaded MIDI (file time)."""
        if self.cursor is not None:
            return self.cursor.ids_at(ms)
        preview = self._preview
        if preview is None or not preview.engraved:
            return []
        return preview.rendering.ids_sounding_at(ms * self._written_qpm / 60000.0)

    def export_options(self) -> PlaybackOptions:
        """The playback options for an export (the whole tune: no loop passage)."""
        return self.arrangement.export_options(self.program)

    def _on_tempo_changed(self, bpm: float) -> None:
        if self._written_qpm > 0:
            self.player.set_tempo_factor(bpm / self._written_qpm)

    # ------------------------------------------------------------------ transport
    @property
    def is_playing(self) -> bool:
        return self.player.is_playing

    def play(self) -> None:
        if self.player.output != (self.output_combo.currentData() or SYNTH):
            self.apply_output()
        self.player.play()

    def pause(self) -> None:
        self.player.pause()

    def stop(self) -> None:
        self.player.stop()

    def _on_play_state(self, playing: bool) -> None:
        self.play_button.setText("❚❚ Pause" if playing else "▶ Play")

    def _on_position(self, ms: float) -> None:
        duration = self.player.duration_ms
        factor = self.player.tempo_factor
        self.position_label.setText(f"{clock_text(ms / factor)} / {clock_text(duration / factor)}")
        if not self.position_slider.isSliderDown():
            self.position_slider.setValue(int(ms))
        self.position_changed.emit(ms)

    def _on_player_failed(self, message: str) -> None:
        self.problem_found.emit(message, "")
        self.status_changed.emit(message)

    # ------------------------------------------------------------------ outputs
    def refresh_ports(self) -> None:
        from studio.core.sound.midi_ports import list_output_port_status

        current = self.output_combo.currentData() or self.settings.value("generate/output", SYNTH, type=str)
        self.output_combo.clear()
        self.output_combo.addItem("Sound card (FluidSynth)", SYNTH)
        self.output_combo.addItem("Silent: cursor only", CLOCK)
        try:
            listing = list_output_port_status()
        except Exception as exc:  # listing ports must never take the window down
            ports, reason = [], f"MIDI ports could not be listed: {exc}"
        else:
            ports, reason = listing.ports, listing.reason
        for port in ports:
            self.output_combo.addItem(f"MIDI out: {port}", port)
        if ports or not reason.startswith("No MIDI system"):
            self.output_combo.addItem("MIDI out: new virtual port 'ABC Studio'", VIRTUAL_PORT)
        self.port_status = reason or f"{len(ports)} MIDI output port(s)"
        self.ports_button.setToolTip(f"Look again for MIDI output ports. {self.port_status}")
        index = self.output_combo.findData(current)
        self.output_combo.setCurrentIndex(max(index, 0))
        if reason:
            self.status_changed.emit(f"MIDI out: {reason}")

    def apply_output(self) -> str:
        """Switches to the chosen output; returns the problem ('' when it works), also sent as ``problem_found``."""
        output = self.output_combo.currentData() or SYNTH
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            problem = self.player.set_output(output, self.soundfont or None)
        finally:
            QApplication.restoreOverrideCursor()
        if problem:
            self.problem_found.emit(explain_output_problem(problem), problem)
        else:
            self.problem_solved.emit()
        self.settings.setValue("generate/output", output)
        return problem

    @property
    def soundfont(self) -> str:
        return self.settings.value("generate/soundfont", "", type=str)

    def _update_soundfont_tip(self) -> None:
        from studio.core.sound.synth import find_soundfont

        found = find_soundfont(self.soundfont or None)
        self.soundfont_button.setToolTip(f"SoundFont used for sound and WAV export: {found or 'none found'}")

    def choose_soundfont(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a SoundFont", "/usr/share/sounds/sf2",
                                              "SoundFonts (*.sf2 *.sf3);;All files (*)")
        if path:
            self.settings.setValue("generate/soundfont", path)
            self._update_soundfont_tip()
            if self.player.output == SYNTH:
                self.apply_output()

    @staticmethod
    def start_audio_probe() -> None:
        """Probes the sound card on a daemon thread, so the first Play does not wait for it."""
        threading.Thread(target=_probe_audio_early, daemon=True, name="abc-studio-audio-probe").start()

    # ------------------------------------------------------------------ settings and closing
    def restore_settings(self, s: QSettings) -> None:
        program = s.value("generate/program", DEFAULT_PROGRAM, type=int)
        self.instrument_combo.setCurrentIndex(max(self.instrument_combo.findData(program), 0))
        self.volume_slider.setValue(s.value("generate/volume", 80, type=int))
        self.player.set_volume(self.volume_slider.value() / 100.0)
        self.loop_check.setChecked(s.value("generate/loop", False, type=bool))
        self.arrangement.restore_settings(s)
        self.tempo_spin.blockSignals(True)
        self.tempo_spin.setValue(120)
        self.tempo_spin.blockSignals(False)
        self._update_soundfont_tip()

    def save_settings(self, s: QSettings) -> None:
        s.setValue("generate/program", self.program)
        s.setValue("generate/volume", self.volume_slider.value())
        s.setValue("generate/loop", self.loop_check.isChecked())
        self.arrangement.save_settings(s)
        s.setValue("generate/output", self.output_combo.currentData() or SYNTH)

    def close_player(self) -> None:
        self.player.close()


def _probe_audio_early() -> None:
    try:
        from studio.core.sound.playback import probe_audio

        probe_audio()
    except Exception:
        pass
