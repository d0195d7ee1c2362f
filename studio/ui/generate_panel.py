"""The Generate tab: pick a model, set the temperature, generate tunes, see them engraved, play them, export them.

Layout: sampling controls and the tune list on the left; on the right the playback bar, the score (with the
playing note highlighted and followed) and below it the editable ABC with its problems. Slow work runs off the GUI
thread: sampling on a ``SamplingWorker`` thread, checking + engraving + MIDI on the ``PreviewService`` thread
(verovio itself in a child process, so no ABC can crash the window).

Contract with the main window: ``GeneratePanel(parent=None)``, ``open_checkpoint(path)``, ``export_current()``,
``add_model(path, label)``, the ``status_changed(str)`` signal; ``shutdown()`` stops threads and playback.
The default instrument is General MIDI program 40 (violin: the fiddle sound of a General MIDI SoundFont; program
110 "Fiddle" is offered too).
"""

from __future__ import annotations

import atexit
import threading
import weakref
from dataclasses import dataclass

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDial,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.core.configs import SamplingConfig
from studio.core.primer import build_primer
from studio.ui.abc_editor import AbcEditor, ProblemList
from studio.ui.background import BackgroundCall
from studio.ui.export_dialogs import ExportJob, ask_export_path, write_export
from studio.ui.model_picker import ModelPicker
from studio.ui.playback import CLOCK, SYNTH, VIRTUAL_PORT, PlaybackController
from studio.ui.sampling_worker import SamplingWorker, start_worker
from studio.ui.score_view import ScoreView
from studio.ui.tune_preview import MAX_ENGRAVED_CHARS, PreviewService, TunePreview

TEMPERATURE_RANGE = (0.1, 2.0)
DIAL_STEPS_PER_UNIT = 100
METERS = ["any", "2/4", "3/4", "4/4", "6/8", "9/8", "12/8", "C|", "3/2"]
KEYS = ["any", "D", "G", "A", "C", "F", "Bb", "Em", "Am", "Bm", "Dm", "Gm", "Ador", "Edor", "Ddor", "Amix", "Dmix",
        "Gmix"]
INSTRUMENTS = [("Violin (fiddle)", 40), ("Fiddle (GM 110)", 110), ("Flute", 73), ("Whistle", 78),
               ("Recorder", 74), ("Pan flute", 75), ("Accordion", 21), ("Harmonica", 22), ("Bagpipe", 109),
               ("Banjo", 105), ("Nylon guitar", 24), ("Harp", 46), ("Acoustic grand piano", 0), ("Celesta", 8)]
DEFAULT_PROGRAM = 40
MAX_TITLE_CHARS = 32  # a model's T: line can be any junk
AUDIO_PROBE_DELAY_MS = 1000  # the sound card is probed this long after the panel is built
REPAIR_IN_PLACE_CHARS = 5_000  # longer texts are repaired on a background thread (~20 us a character)
TEMPERATURE_TIP = (
    "Temperature: how adventurous the model is.\n"
    "Low (0.1 to 0.5): safe, repetitive tunes that stick to the most likely notes.\n"
    "Around 0.8 to 1.0: the model's own balance, usually the best tunes.\n"
    "High (1.3 to 2.0): surprising, then chaotic; broken bars and stray symbols get more likely.\n"
    "With a fixed seed, the same seed at two temperatures gives comparable tunes."
)


@dataclass
class TuneEntry:
    """One row of the tune list: its ABC and the settings that made it (None for typed or pasted tunes)."""

    text: str
    title: str
    model: str = ""
    temperature: float | None = None
    seed: int | None = None
    primer: str = ""
    complete: bool = True
    generating: bool = False

    def label(self) -> str:
        title = self.title if len(self.title) <= MAX_TITLE_CHARS else self.title[:MAX_TITLE_CHARS - 1] + "…"
        if self.generating:
            return f"{title} (writing...)"
        if self.temperature is None:
            return title
        model = self.model.rsplit("/", 1)[-1]
        text = f"{title}  ·  T={self.temperature:g}  seed {self.seed}"
        return text + ("" if self.complete else "  (cut at length)") + (f"  ·  {model}" if model else "")

    def details(self) -> str:
        if self.temperature is None:
            return "Typed or pasted tune"
        primer = self.primer.replace("\n", "\\n")
        return (f"model: {self.model or '?'}\ntemperature: {self.temperature:g}\nseed: {self.seed}\n"
                f"primer: {primer}\n{'complete' if self.complete else 'stopped at the length limit'}")


def explain_output_problem(problem: str) -> str:
    """A short banner text for a sound output that failed: what happened, what still works, how to fix it."""
    short = problem.split(" fluidsynth:")[0].split(" WAV export and")[0].strip()
    return (f"{short} The score cursor still follows the music, silently. To hear it: run the studio on a "
            "computer with a sound card or an audio server (PulseAudio, PipeWire), choose a MIDI output port, "
            "or use Export... > WAV (works here).")


def _clock(ms: float) -> str:
    seconds = max(int(ms / 1000), 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


class GeneratePanel(QWidget):
    """The Generate tab (see the module docstring)."""

    status_changed = Signal(str)
    tunes_generated = Signal(int)
    preview_ready = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.settings = QSettings()
        self.entries: list[TuneEntry] = []
        self.preview: TunePreview | None = None
        self._worker: SamplingWorker | None = None
        self._thread = None
        self._play_when_ready = False
        self._highlighted: list[str] = []
        self._fit_next = True
        self._closed = False
        self.player = PlaybackController(self)
        self.previews = PreviewService(self)
        self._build()
        self._connect()
        self._restore_settings()
        self._refresh_ports()
        # after the window has painted: the probe's imports would compete with start-up for the interpreter
        QTimer.singleShot(AUDIO_PROBE_DELAY_MS, self, self._start_audio_probe)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        panel = weakref.ref(self)
        atexit.register(lambda: panel() is not None and panel().shutdown())  # scripts that never run app.exec()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.model_picker = ModelPicker()

        self.temperature_dial = QDial()
        low, high = (round(v * DIAL_STEPS_PER_UNIT) for v in TEMPERATURE_RANGE)
        self.temperature_dial.setRange(low, high)
        self.temperature_dial.setNotchesVisible(True)
        self.temperature_dial.setNotchTarget(10)
        self.temperature_dial.setPageStep(10)
        self.temperature_dial.setFixedSize(92, 92)
        self.temperature_dial.setToolTip(TEMPERATURE_TIP)
        self.temperature_label = QLabel()
        self.temperature_label.setToolTip(TEMPERATURE_TIP)
        self.temperature_label.setStyleSheet("font-size: 20px; font-weight: bold;")
        self.temperature_hint = QLabel()
        self.temperature_hint.setWordWrap(True)
        self.temperature_hint.setStyleSheet("color: #555;")

        self.random_seed = QCheckBox("Random")
        self.random_seed.setToolTip("A new seed for every generation (the seed used is shown in the tune list).")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setToolTip("The same seed with the same settings gives the same tunes; at another "
                                  "temperature it gives a comparable tune.")
        self.meter_combo = QComboBox()
        self.meter_combo.addItems(METERS)
        self.meter_combo.setToolTip("Meter written into the primer (M:). 'any' lets the model choose.")
        self.key_combo = QComboBox()
        self.key_combo.addItems(KEYS)
        self.key_combo.setToolTip("Key written into the primer (K:). 'any' lets the model choose.")
        self.primer_edit = QLineEdit()
        self.primer_edit.setPlaceholderText("e.g. |:d2B A2F|  (\\n for a new line)")
        self.primer_edit.setToolTip("Free ABC the model continues from (after the meter and key lines).")
        self.length_spin = QSpinBox()
        self.length_spin.setRange(50, 5000)
        self.length_spin.setSingleStep(100)
        self.length_spin.setSuffix(" characters")
        self.length_spin.setToolTip("The longest tune the model may write; a tune that reaches it is cut.")
        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, 16)
        self.count_spin.setToolTip("How many tunes to write at once (variations: seed, seed+1, ...).")
        self.generate_button = QPushButton("Generate")
        self.generate_button.setDefault(True)
        self.stop_generation_button = QPushButton("Stop")
        self.stop_generation_button.setEnabled(False)

        dial_row = QHBoxLayout()
        dial_row.addWidget(self.temperature_dial)
        dial_text = QVBoxLayout()
        dial_text.addWidget(QLabel("Temperature"))
        dial_text.addWidget(self.temperature_label)
        dial_text.addWidget(self.temperature_hint)
        dial_row.addLayout(dial_text, 1)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.random_seed)
        primer_row = QHBoxLayout()
        primer_row.addWidget(QLabel("M:"))
        primer_row.addWidget(self.meter_combo)
        primer_row.addWidget(QLabel("K:"))
        primer_row.addWidget(self.key_combo)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 1)
        buttons.addWidget(self.stop_generation_button)

        sampling = QGroupBox("Generate")
        form = QFormLayout(sampling)
        form.addRow("Model", self.model_picker)
        form.addRow(dial_row)
        form.addRow("Seed", seed_row)
        form.addRow("Primer", primer_row)
        form.addRow("", self.primer_edit)
        form.addRow("Length", self.length_spin)
        form.addRow("Variations", self.count_spin)
        form.addRow(buttons)

        self.tune_list = QListWidget()
        self.tune_list.setToolTip("Generated tunes with their settings; pick one to see, edit and play it.")
        self.new_tune_button = QPushButton("New tune")
        self.new_tune_button.setToolTip("An empty tune to type or paste ABC into")
        self.remove_tune_button = QPushButton("Remove")
        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.new_tune_button)
        list_buttons.addWidget(self.remove_tune_button)
        tunes_box = QGroupBox("Tunes")
        tunes_layout = QVBoxLayout(tunes_box)
        tunes_layout.addWidget(self.tune_list)
        tunes_layout.addLayout(list_buttons)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(sampling)
        left_layout.addWidget(tunes_box, 1)
        left.setMinimumWidth(340)
        left.setMaximumWidth(460)

        # playback bar
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

        controls = QHBoxLayout()
        for widget in (self.play_button, self.stop_button, self.loop_check, QLabel("Tempo"), self.tempo_spin,
                       self.instrument_combo, QLabel("Vol"), self.volume_slider):
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(self.export_button)
        outputs = QHBoxLayout()
        outputs.addWidget(QLabel("Output"))
        outputs.addWidget(self.output_combo, 1)
        outputs.addWidget(self.ports_button)
        outputs.addWidget(self.soundfont_button)
        outputs.addSpacing(12)
        outputs.addWidget(self.position_slider, 2)
        outputs.addWidget(self.position_label)
        outputs.addWidget(self.zoom_out_button)
        outputs.addWidget(self.zoom_in_button)

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.banner.setStyleSheet("background: #fff4c2; border: 1px solid #e0c060; padding: 4px;")
        self.banner.hide()

        self.score = ScoreView()
        self.score.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.editor = AbcEditor()
        self.problems = ProblemList()
        self.problems.setMinimumWidth(220)

        self.repair_button = QPushButton("Repair")
        self.repair_button.setToolTip("Fix what makes the ABC unreadable (stray or unclosed brackets, quotes, "
                                      "junk, missing headers); bar lengths are left alone. Ctrl+Z undoes it.")
        self.repair_button.setEnabled(False)
        problems_box = QWidget()
        problems_layout = QVBoxLayout(problems_box)
        problems_layout.setContentsMargins(0, 0, 0, 0)
        problems_layout.addWidget(self.problems, 1)
        problems_layout.addWidget(self.repair_button)
        text_split = QSplitter(Qt.Horizontal)
        text_split.addWidget(self.editor)
        text_split.addWidget(problems_box)
        text_split.setStretchFactor(0, 3)
        text_split.setStretchFactor(1, 2)
        right_split = QSplitter(Qt.Vertical)
        right_split.addWidget(self.score)
        right_split.addWidget(text_split)
        right_split.setStretchFactor(0, 3)
        right_split.setStretchFactor(1, 1)
        right_split.setSizes([560, 220])
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(controls)
        right_layout.addLayout(outputs)
        right_layout.addWidget(self.banner)
        right_layout.addWidget(right_split, 1)

        layout = QHBoxLayout(self)
        layout.addWidget(left)
        layout.addWidget(right, 1)

        self.space_shortcut = QShortcut(QKeySequence(Qt.Key_Space), self)
        self.space_shortcut.setContext(Qt.WidgetWithChildrenShortcut)

    def _connect(self) -> None:
        self.temperature_dial.valueChanged.connect(self._show_temperature)
        self.random_seed.toggled.connect(lambda random: self.seed_spin.setEnabled(not random))
        self.generate_button.clicked.connect(self.generate)
        self.stop_generation_button.clicked.connect(self.stop_generation)
        self.tune_list.currentRowChanged.connect(self._show_entry)
        self.new_tune_button.clicked.connect(self.new_tune)
        self.remove_tune_button.clicked.connect(self.remove_current_tune)
        self.editor.text_settled.connect(self._on_text_edited)
        self.problems.problem_activated.connect(self.editor.go_to)
        self.repair_button.clicked.connect(self.repair_current)
        self.previews.prepared.connect(self._on_prepared)
        self.play_button.clicked.connect(self.toggle_play)
        self.space_shortcut.activated.connect(self.toggle_play)
        self.stop_button.clicked.connect(self.stop)
        self.loop_check.toggled.connect(self.player.set_loop)
        self.tempo_spin.valueChanged.connect(self._on_tempo_changed)
        self.instrument_combo.currentIndexChanged.connect(self._on_instrument_changed)
        self.volume_slider.valueChanged.connect(lambda v: self.player.set_volume(v / 100.0))
        self.output_combo.activated.connect(lambda _i: self._apply_output())
        self.ports_button.clicked.connect(self._refresh_ports)
        self.soundfont_button.clicked.connect(self.choose_soundfont)
        self.export_button.clicked.connect(self.export_current)
        self.position_slider.sliderMoved.connect(lambda v: self.player.seek(float(v)))
        self.zoom_in_button.clicked.connect(lambda: self.score.zoom_by(1.2))
        self.zoom_out_button.clicked.connect(lambda: self.score.zoom_by(1 / 1.2))
        self.player.position_changed.connect(self._on_position)
        self.player.state_changed.connect(self._on_play_state)
        self.player.failed.connect(self._on_player_failed)
        self.player.finished.connect(lambda: self._on_position(self.player.duration_ms))

    # ------------------------------------------------------------------ settings
    def _restore_settings(self) -> None:
        s = self.settings
        temperature = s.value("generate/temperature", 0.8, type=float)
        self.temperature_dial.setValue(round(temperature * DIAL_STEPS_PER_UNIT))
        self._show_temperature(self.temperature_dial.value())
        self.random_seed.setChecked(s.value("generate/random_seed", True, type=bool))
        self.seed_spin.setEnabled(not self.random_seed.isChecked())
        self.seed_spin.setValue(s.value("generate/seed", 42, type=int))
        self.length_spin.setValue(s.value("generate/length", 1000, type=int))
        self.count_spin.setValue(s.value("generate/count", 1, type=int))
        program = s.value("generate/program", DEFAULT_PROGRAM, type=int)
        self.instrument_combo.setCurrentIndex(max(self.instrument_combo.findData(program), 0))
        self.volume_slider.setValue(s.value("generate/volume", 80, type=int))
        self.player.set_volume(self.volume_slider.value() / 100.0)
        self.loop_check.setChecked(s.value("generate/loop", False, type=bool))
        self.tempo_spin.blockSignals(True)
        self.tempo_spin.setValue(120)
        self.tempo_spin.blockSignals(False)
        self._update_soundfont_tip()

    def _save_settings(self) -> None:
        s = self.settings
        s.setValue("generate/temperature", self.temperature)
        s.setValue("generate/random_seed", self.random_seed.isChecked())
        s.setValue("generate/seed", self.seed_spin.value())
        s.setValue("generate/length", self.length_spin.value())
        s.setValue("generate/count", self.count_spin.value())
        s.setValue("generate/program", self.program)
        s.setValue("generate/volume", self.volume_slider.value())
        s.setValue("generate/loop", self.loop_check.isChecked())
        s.setValue("generate/output", self.output_combo.currentData() or SYNTH)

    @property
    def soundfont(self) -> str:
        return self.settings.value("generate/soundfont", "", type=str)

    def _update_soundfont_tip(self) -> None:
        from studio.core.synth import find_soundfont

        found = find_soundfont(self.soundfont or None)
        self.soundfont_button.setToolTip(f"SoundFont used for sound and WAV export: {found or 'none found'}")

    def choose_soundfont(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a SoundFont", "/usr/share/sounds/sf2",
                                              "SoundFonts (*.sf2 *.sf3);;All files (*)")
        if path:
            self.settings.setValue("generate/soundfont", path)
            self._update_soundfont_tip()
            if self.player.output == SYNTH:
                self._apply_output()

    # ------------------------------------------------------------------ main window contract
    def open_checkpoint(self, path: str) -> None:
        self.add_model(path, f"File {path.rsplit('/', 1)[-1]}")

    def add_model(self, path: str, label: str) -> None:
        self.model_picker.add_model(str(path), label)
        self._status(f"Model ready: {label}")

    def _status(self, message: str) -> None:
        self.status_changed.emit(message)

    # ------------------------------------------------------------------ sampling
    @property
    def temperature(self) -> float:
        return self.temperature_dial.value() / DIAL_STEPS_PER_UNIT

    def set_temperature(self, value: float) -> None:
        self.temperature_dial.setValue(round(value * DIAL_STEPS_PER_UNIT))

    def _show_temperature(self, value: int) -> None:
        temperature = value / DIAL_STEPS_PER_UNIT
        self.temperature_label.setText(f"{temperature:.2f}")
        if temperature < 0.5:
            hint = "safe, repetitive"
        elif temperature <= 1.05:
            hint = "balanced"
        elif temperature <= 1.4:
            hint = "adventurous"
        else:
            hint = "wild, often broken"
        self.temperature_hint.setText(hint)

    def sampling_config(self) -> SamplingConfig:
        return SamplingConfig(
            temperature=self.temperature,
            seed=None if self.random_seed.isChecked() else self.seed_spin.value(),
            primer=build_primer(self.meter_combo.currentText(), self.key_combo.currentText(),
                                self.primer_edit.text()),
            max_length=self.length_spin.value(),
            count=self.count_spin.value(),
        )

    @property
    def is_generating(self) -> bool:
        return self._worker is not None

    def generate(self) -> bool:
        """Starts sampling with the current settings; False (with a message) when it cannot start."""
        if self.is_generating:
            return False
        path = self.model_picker.current_path()
        if not path:
            self._show_banner("There is no model yet. Train one in the Train tab, open a checkpoint "
                              "(File > Open checkpoint...), or paste a tune into the ABC editor to play it.")
            self._status("No model to generate with")
            return False
        self._save_settings()
        config = self.sampling_config()
        self._first_new_row = len(self.entries)
        for i in range(config.count):
            entry = TuneEntry(text="", title=f"Tune {len(self.entries) + 1}", model=path,
                              temperature=config.temperature, seed=None, primer=config.primer, generating=True)
            self.entries.append(entry)
            self.tune_list.addItem(QListWidgetItem(entry.label()))
        self._worker = SamplingWorker(path, config)
        self._worker.text_arrived.connect(self._on_text_arrived)
        self._worker.tunes_ready.connect(self._on_tunes_ready)
        self._worker.failed.connect(self._on_generation_failed)
        self._worker.finished.connect(self._on_generation_finished)
        self.generate_button.setEnabled(False)
        self.stop_generation_button.setEnabled(True)
        self.editor.setReadOnly(True)
        self.tune_list.setCurrentRow(self._first_new_row)
        self._thread = start_worker(self._worker, self)
        self._status(f"Generating {config.count} tune(s) at temperature {config.temperature:g}...")
        return True

    def stop_generation(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    def _on_text_arrived(self, index: int, chunk: str) -> None:
        row = self._first_new_row + index
        if row >= len(self.entries):
            return
        self.entries[row].text += chunk
        if self.tune_list.currentRow() == row:
            self.editor.append_text(chunk)

    def _on_tunes_ready(self, tunes: list) -> None:
        for tune in tunes:
            row = self._first_new_row + tune.index
            if row >= len(self.entries):
                continue
            entry = self.entries[row]
            entry.text, entry.title, entry.seed = tune.text, tune.title(), tune.seed
            entry.complete, entry.generating = tune.complete, False
            item = self.tune_list.item(row)
            item.setText(entry.label())
            item.setToolTip(entry.details())
        self.tunes_generated.emit(len(tunes))
        self._status(f"{len(tunes)} tune(s) written (seed {tunes[0].seed if tunes else '-'})")

    def _on_generation_failed(self, message: str) -> None:
        for row in range(len(self.entries) - 1, self._first_new_row - 1, -1):
            if self.entries[row].generating:
                del self.entries[row]
                self.tune_list.takeItem(row)
        self._play_when_ready = False
        self._show_banner(f"Generation failed: {message}")
        self._status("Generation failed")

    def _on_generation_finished(self) -> None:
        self._worker = None
        self._thread = None
        self.generate_button.setEnabled(True)
        self.stop_generation_button.setEnabled(False)
        self.editor.setReadOnly(False)
        row = self.tune_list.currentRow()
        if 0 <= row < len(self.entries):
            self._show_entry(row)

    # ------------------------------------------------------------------ tunes, editing, preview
    @property
    def current_entry(self) -> TuneEntry | None:
        row = self.tune_list.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def add_tune(self, text: str, title: str = "") -> int:
        """Adds a typed or pasted tune to the list and shows it; returns its row."""
        from studio.core.abc.text import tune_title

        entry = TuneEntry(text=text, title=title or tune_title(text, f"Tune {len(self.entries) + 1}"))
        self.entries.append(entry)
        item = QListWidgetItem(entry.label())
        item.setToolTip(entry.details())
        self.tune_list.addItem(item)
        self.tune_list.setCurrentRow(len(self.entries) - 1)
        return len(self.entries) - 1

    def new_tune(self) -> None:
        self.add_tune("X:1\nT:My tune\nM:4/4\nL:1/8\nK:D\n", "My tune")
        self.editor.setFocus()

    def remove_current_tune(self) -> None:
        row = self.tune_list.currentRow()
        if 0 <= row < len(self.entries) and not self.entries[row].generating:
            self.player.stop()
            del self.entries[row]
            self.tune_list.takeItem(row)
            if not self.entries:
                self._clear_preview()

    def _show_entry(self, row: int) -> None:
        if not 0 <= row < len(self.entries):
            return
        entry = self.entries[row]
        self.editor.set_text(entry.text)
        if entry.generating:
            self.score.clear_score("The model is writing this tune...")
            return
        self._fit_next = True
        self.request_preview(entry.text)

    def _on_text_edited(self, text: str) -> None:
        entry = self.current_entry
        if entry is None:
            self.add_tune(text)
            return
        if entry.generating:
            return
        entry.text = text
        self.request_preview(text)

    def repair_current(self) -> None:
        """Replaces the editor's text by its repaired version (one undo step); the score follows."""
        from studio.core.abc.repair import repair_tune

        text = self.editor.toPlainText()
        if len(text) <= REPAIR_IN_PLACE_CHARS:  # a normal tune repairs in a few ms
            try:
                self._apply_repair(text, repair_tune(text))
            except Exception as exc:  # a repair bug must not take the window down
                self._show_banner(f"The repair failed: {exc}")
            return
        # about 20 microseconds a character: a huge paste is repaired off the GUI thread
        self._status(f"Repairing {len(text):,} characters...")
        call = BackgroundCall(repair_tune, text, parent=self)
        call.succeeded.connect(lambda repaired: self._apply_repair(text, repaired))
        call.failed.connect(lambda message: self._show_banner(f"The repair failed: {message}"))
        call.start()
        self._repair_call = call

    def _apply_repair(self, original: str, repaired: str) -> None:
        if self.editor.toPlainText() != original:
            self._status("The text changed while it was being repaired; press Repair again")
        elif repaired != original:
            cursor = self.editor.textCursor()
            cursor.select(cursor.SelectionType.Document)
            cursor.insertText(repaired)
            self._status("Repaired the ABC (Ctrl+Z undoes it)")

    def request_preview(self, text: str) -> int:
        self.player.stop()
        self._play_number = self.previews.request(text, self.program)
        return self._play_number

    def _clear_preview(self) -> None:
        self.preview = None
        self.score.clear_score()
        self.problems.set_problems([])
        self.editor.set_text("")

    def _on_prepared(self, number: int, preview: TunePreview) -> None:
        if self._closed or not self.previews.is_latest(number):
            return
        self.preview = preview
        problems = preview.report.problems if preview.report else []
        if preview.report is None:
            summary = "The ABC could not be checked."
        elif not problems:
            summary = "No problems found."
        else:
            summary = f"{len(problems)} problem(s)"
            if preview.report.bars_checked:
                summary += f"; {preview.report.bars_failed} of {preview.report.bars_checked} bars do not add up"
        if self.editor.toPlainText() == preview.text:
            self.editor.set_problems(problems)
        self.problems.set_problems(problems, summary)
        self.repair_button.setEnabled(preview.report is not None and not preview.report.structurally_valid)
        if preview.engraved:
            self.score.set_pages(preview.rendering.pages)
            if self._fit_next:
                self._fit_next = False
                self.score.fit_width()
        else:
            self.score.clear_score(f"No score: {preview.rendering.error or 'nothing to engrave'}")
        self._highlighted = []
        if preview.midi is not None:
            self.player.load(preview.midi)
            self.player.set_program(self.program)
            self.tempo_spin.blockSignals(True)
            self.tempo_spin.setValue(round(preview.tempo_qpm))
            self.tempo_spin.blockSignals(False)
            self.player.set_tempo_factor(1.0)
            self.position_slider.setRange(0, int(self.player.duration_ms))
            self._on_position(0.0)
            self._status(f"Engraved in {preview.rendering.elapsed_ms:.0f} ms; ready to play" if preview.engraved
                         else "No score for this tune, but it plays (music21 read the ABC instead of verovio)")
        else:
            self.player.load(_empty_midi())
            self.position_slider.setRange(0, 0)
            self._status(f"Cannot play this tune: {preview.midi_error}")
        self.preview_ready.emit(preview)
        if self._play_when_ready:
            self._play_when_ready = False
            self.play()

    # ------------------------------------------------------------------ playback
    @property
    def program(self) -> int:
        data = self.instrument_combo.currentData()
        return DEFAULT_PROGRAM if data is None else int(data)

    def _on_instrument_changed(self, _index: int) -> None:
        self.player.set_program(self.program)

    def _on_tempo_changed(self, bpm: float) -> None:
        if self.preview is not None and self.preview.tempo_qpm > 0:
            self.player.set_tempo_factor(bpm / self.preview.tempo_qpm)

    def can_play(self) -> bool:
        return self.preview is not None and self.preview.midi is not None and self.player.loaded

    def play(self) -> None:
        """Plays the current tune; with nothing to play, generates (or waits for the engraving) first."""
        if not self.can_play():
            entry = self.current_entry
            if entry is None or not entry.text.strip():
                if self.generate():
                    self._play_when_ready = True
                return
            if entry.generating or (self.preview is None or self.preview.text != entry.text):
                self._play_when_ready = True
                if not entry.generating:
                    self.request_preview(entry.text)
                return
            self._status(f"Cannot play this tune: {self.preview.midi_error if self.preview else ''}")
            return
        if self.player.output != (self.output_combo.currentData() or SYNTH):
            self._apply_output()
        self.player.play()

    def pause(self) -> None:
        self.player.pause()

    def toggle_play(self) -> None:
        if self.player.is_playing:
            self.pause()
        else:
            self.play()

    def stop(self) -> None:
        self._play_when_ready = False
        self.player.stop()
        self.score.highlight([])
        self._highlighted = []

    def _on_play_state(self, playing: bool) -> None:
        self.play_button.setText("❚❚ Pause" if playing else "▶ Play")

    def _on_position(self, ms: float) -> None:
        duration = self.player.duration_ms
        factor = self.player.tempo_factor
        self.position_label.setText(f"{_clock(ms / factor)} / {_clock(duration / factor)}")
        if not self.position_slider.isSliderDown():
            self.position_slider.setValue(int(ms))
        if self.preview is None or not self.preview.engraved:
            return
        qstamp = ms * self.preview.tempo_qpm / 60000.0
        sounding = self.preview.rendering.ids_sounding_at(qstamp) if ms > 0 or self.player.is_playing else []
        if sounding != self._highlighted:
            self._highlighted = sounding
            self.score.highlight(sounding)

    def _on_player_failed(self, message: str) -> None:
        self._show_banner(message)
        self._status(message)

    # ------------------------------------------------------------------ outputs
    def _refresh_ports(self) -> None:
        from studio.core.midi_ports import list_output_port_status

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
            self._status(f"MIDI out: {reason}")

    def _apply_output(self) -> str:
        output = self.output_combo.currentData() or SYNTH
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            problem = self.player.set_output(output, self.soundfont or None)
        finally:
            QApplication.restoreOverrideCursor()
        if problem:
            self._show_banner(explain_output_problem(problem), details=problem)
        else:
            self.banner.hide()
        self.settings.setValue("generate/output", output)
        return problem

    def _start_audio_probe(self) -> None:
        if not self._closed:
            threading.Thread(target=self._probe_audio_early, daemon=True, name="abc-studio-audio-probe").start()

    @staticmethod
    def _probe_audio_early() -> None:
        try:
            from studio.core.playback import probe_audio

            probe_audio()
        except Exception:
            pass

    def _show_banner(self, message: str, details: str = "") -> None:
        self.banner.setText(message)
        self.banner.setToolTip(details or message)
        self.banner.show()

    # ------------------------------------------------------------------ export
    def export_job(self) -> ExportJob | None:
        entry = self.current_entry
        text = entry.text if entry else self.editor.toPlainText()
        if not text.strip():
            return None
        from studio.core.abc.text import tune_title

        return ExportJob(
            text=text, title=tune_title(text, entry.title if entry else "tune"),
            temperature=entry.temperature if entry else None, seed=entry.seed if entry else None,
            tempo_bpm=self.tempo_spin.value(), program=self.program, soundfont=self.soundfont or None,
            book_text=self.tune_book(),
        )

    def tune_book(self) -> str:
        """Every tune of the list as one ABC tune book, with the generation settings in % comment lines."""
        from studio.core.tune_book import write_tune_book

        return write_tune_book(entry for entry in self.entries if not entry.generating)

    def export_current(self) -> None:
        """Asks for a file and format, then writes the current tune (or every tune as a tune book)."""
        job = self.export_job()
        if job is None:
            self._status("Nothing to export: generate or type a tune first")
            return
        chosen = ask_export_path(self, job, "midi")
        if chosen is None:
            return
        kind, path = chosen
        self.export_to(job, kind, path)

    def export_to(self, job: ExportJob, kind: str, path) -> bool:
        """Writes one export; a failure is shown in the banner and the status bar (returns False), never raised."""
        from studio.core.export import ExportError

        if kind in ("midi", "wav") and len(job.text) > MAX_ENGRAVED_CHARS:
            message = (f"Export failed: this tune is too long to convert in the window ({len(job.text):,} "
                       f"characters, limit {MAX_ENGRAVED_CHARS:,}); use `python -m studio export` instead.")
            self._status(message)
            self._show_banner(message)
            return False
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            written = write_export(job, kind, path)
        except ExportError as exc:
            QApplication.restoreOverrideCursor()
            self._status(f"Export failed: {exc}")
            self._show_banner(f"Export failed: {exc}")
            return False
        QApplication.restoreOverrideCursor()
        self._status(f"Exported {written}")
        return True

    # ------------------------------------------------------------------ closing
    def shutdown(self) -> None:
        """Stops generation, playback and the preview thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._save_settings()
        if self._worker is not None:
            self._worker.cancel()
        thread = self._thread
        if thread is not None:
            try:
                thread.quit()
                thread.wait(10000)
            except RuntimeError:  # already deleted by deleteLater
                pass
        self.player.close()
        self.previews.shutdown()

    def closeEvent(self, event):
        self.shutdown()
        super().closeEvent(event)


def _empty_midi():
    import mido

    return mido.MidiFile()
