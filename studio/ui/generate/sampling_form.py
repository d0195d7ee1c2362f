"""The Generate tab's sampling form: model, temperature dial, seed, primer, length, count, bars (strict or free), form,
best of N, Generate and Stop.

It only gathers settings: ``sampling_config()`` turns them into a core ``SamplingConfig``; the panel runs the
sampler. ``generate_requested`` / ``stop_requested`` are its buttons. Rows go into one form layout: a new control
is one ``add_row(label, widget)`` away.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDial,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from studio.core.configs import FORMS, STRAIN_BARS, SamplingConfig
from studio.core.generation.primer import build_primer
from studio.ui.generate.model_picker import ModelPicker

TEMPERATURE_RANGE = (0.1, 2.0)
DIAL_STEPS_PER_UNIT = 100
METERS = ["any", "2/4", "3/4", "4/4", "6/8", "9/8", "12/8", "C|", "3/2"]
KEYS = ["any", "D", "G", "A", "C", "F", "Bb", "Em", "Am", "Bm", "Dm", "Gm", "Ador", "Edor", "Ddor", "Amix", "Dmix",
        "Gmix"]
TEMPERATURE_TIP = (
    "Temperature: how adventurous the model is.\n"
    "Low (0.1 to 0.5): safe, repetitive tunes that stick to the most likely notes.\n"
    "Around 0.8 to 1.0: the model's own balance, usually the best tunes.\n"
    "High (1.3 to 2.0): surprising, then chaotic; broken bars and stray symbols get more likely.\n"
    "With a fixed seed, the same seed at two temperatures gives comparable tunes."
)
#: The Bars choices: (shown text, ``SamplingConfig.bars``).
BARS_CHOICES = [("strict: every bar adds up", "strict"), ("free: the lab's plain sampling", "free")]
BARS_TIP = ("Strict: the sampler only lets the model write what keeps every bar exactly the meter's length, so "
            "every tune is valid ABC a fiddler can play.\nFree: the model writes whatever it draws, as in the lab "
            "(bars that do not add up, unclosed brackets and all).")
FORM_TIP = ("Strains with repeats (strict bars only): AABB is two strains of 8 (or 16) bars, each played twice, "
            "as in most reels and jigs; free lets the model decide.")
PHRASE_REPEATS_TIP = ("Let some bars repeat an earlier bar as folk tunes do (bar 5 as bar 1, the second strain "
                      "ending as the first), drawn with the chances measured on O'Neill's. Off: every bar is new.")
COME_HOME_TIP = ("Bring every strain to a close the way a fiddler expects: the tune's last note is the key's home note "
                 "(its tonic), and each other strain ends on a note of the tonic chord (the tonic most often, as in "
                 "O'Neill's). The model still chooses the notes that lead there. Off: strains end wherever the model "
                 "stops them.")
BEST_OF_TIP = ("Sample this many candidates for each tune and keep the one the critic scores best (valid, bars "
               "that add up, metrics inside O'Neill's range, repetition, not a copy, the model's likelihood). "
               "1: no critic.")
MAX_BEST_OF = 8


def temperature_hint(temperature: float) -> str:
    """Two or three words on what a temperature does."""
    if temperature < 0.5:
        return "safe, repetitive"
    if temperature <= 1.05:
        return "balanced"
    if temperature <= 1.4:
        return "adventurous"
    return "wild, often broken"


class SamplingForm(QGroupBox):
    """The "Generate" box (see the module docstring)."""

    generate_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent=None):
        super().__init__("Generate", parent)
        self._build()
        self.temperature_dial.valueChanged.connect(self._show_temperature)
        self.random_seed.toggled.connect(lambda random: self.seed_spin.setEnabled(not random))
        self.bars_combo.currentIndexChanged.connect(self._enable_form)
        self.generate_button.clicked.connect(self.generate_requested)
        self.stop_generation_button.clicked.connect(self.stop_requested)

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
        self.key_combo.setToolTip("Key written into the primer (K:). 'any' lets the model choose. A model trained "
                                  "with one tonic writes in its key: a key chosen here moves its tunes there, and "
                                  "with 'any' each tune goes to a key its corpus writes tunes of that mode in.")
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
        self.bars_combo = QComboBox()
        for text, value in BARS_CHOICES:
            self.bars_combo.addItem(text, value)
        self.bars_combo.setToolTip(BARS_TIP)
        self.form_combo = QComboBox()
        self.form_combo.addItems([form for form in FORMS if form != "free"] + ["free"])
        self.form_combo.setToolTip(FORM_TIP)
        self.strain_bars_combo = QComboBox()
        self.strain_bars_combo.addItems([str(n) for n in STRAIN_BARS])
        self.strain_bars_combo.setToolTip("Bars in each strain")
        self.phrase_repeats_check = QCheckBox("repeat phrases")
        self.phrase_repeats_check.setChecked(True)
        self.phrase_repeats_check.setToolTip(PHRASE_REPEATS_TIP)
        self.come_home_check = QCheckBox("come home")
        self.come_home_check.setChecked(True)
        self.come_home_check.setToolTip(COME_HOME_TIP)
        self.form_combo.currentTextChanged.connect(lambda _text: self._enable_form())
        self.best_of_spin = QSpinBox()
        self.best_of_spin.setRange(1, MAX_BEST_OF)
        self.best_of_spin.setSpecialValueText("1 (no critic)")
        self.best_of_spin.setToolTip(BEST_OF_TIP)
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
        form_row = QHBoxLayout()
        form_row.addWidget(self.form_combo, 1)
        self.strain_bars_label = QLabel("bars per strain")
        form_row.addWidget(self.strain_bars_combo)
        form_row.addWidget(self.strain_bars_label)
        strain_row = QHBoxLayout()  # a row of its own: beside the form they were cut short in a narrow panel
        strain_row.addWidget(self.phrase_repeats_check)
        strain_row.addWidget(self.come_home_check)
        strain_row.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 1)
        buttons.addWidget(self.stop_generation_button)

        self.form = QFormLayout()
        self.add_row("Model", self.model_picker)
        self.form.addRow(dial_row)
        self.add_row("Seed", seed_row)
        self.add_row("Primer", primer_row)
        self.add_row("", self.primer_edit)
        self.add_row("Length", self.length_spin)
        self.add_row("Variations", self.count_spin)
        self.add_row("Bars", self.bars_combo)
        self.add_row("Form", form_row)
        self.add_row("", strain_row)
        self.add_row("Best of", self.best_of_spin)
        outer = QVBoxLayout(self)
        outer.addLayout(self.form)
        outer.addLayout(buttons)

    def add_row(self, label: str, field) -> None:
        """Adds a labelled row at the end of the form, above the Generate and Stop buttons (a widget or layout)."""
        self.form.addRow(label, field)

    # ------------------------------------------------------------------ values
    @property
    def temperature(self) -> float:
        return self.temperature_dial.value() / DIAL_STEPS_PER_UNIT

    def set_temperature(self, value: float) -> None:
        self.temperature_dial.setValue(round(value * DIAL_STEPS_PER_UNIT))

    def _show_temperature(self, value: int) -> None:
        temperature = value / DIAL_STEPS_PER_UNIT
        self.temperature_label.setText(f"{temperature:.2f}")
        self.temperature_hint.setText(temperature_hint(temperature))

    @property
    def bars(self) -> str:
        return self.bars_combo.currentData()

    def set_bars(self, bars: str) -> None:
        self.bars_combo.setCurrentIndex(max(0, self.bars_combo.findData(bars)))

    @property
    def best_of(self) -> int:
        """Candidates sampled per tune (1: plain sampling, no critic)."""
        return self.best_of_spin.value()

    def _enable_form(self) -> None:
        strict = self.bars == "strict"
        for widget in (self.form_combo, self.strain_bars_combo, self.strain_bars_label):
            widget.setEnabled(strict)
        for check in (self.phrase_repeats_check, self.come_home_check):
            check.setEnabled(strict and self.form_combo.currentText() != "free")
        self.form_combo.setToolTip(FORM_TIP if strict else "Forms need strict bars")

    def sampling_config(self) -> SamplingConfig:
        return SamplingConfig(
            temperature=self.temperature,
            seed=None if self.random_seed.isChecked() else self.seed_spin.value(),
            primer=build_primer(self.meter_combo.currentText(), self.key_combo.currentText(),
                                self.primer_edit.text()),
            max_length=self.length_spin.value(),
            count=self.count_spin.value(),
            bars=self.bars,
            form=self.form_combo.currentText(),
            strain_bars=int(self.strain_bars_combo.currentText()),
            phrase_repeats=self.phrase_repeats_check.isChecked(),
            cadence="home" if self.come_home_check.isChecked() else "free",
        )

    def set_generating(self, generating: bool) -> None:
        self.generate_button.setEnabled(not generating)
        self.stop_generation_button.setEnabled(generating)

    # ------------------------------------------------------------------ settings
    def restore_settings(self, s: QSettings) -> None:
        self.set_temperature(s.value("generate/temperature", 0.8, type=float))
        self._show_temperature(self.temperature_dial.value())
        self.random_seed.setChecked(s.value("generate/random_seed", True, type=bool))
        self.seed_spin.setEnabled(not self.random_seed.isChecked())
        self.seed_spin.setValue(s.value("generate/seed", 42, type=int))
        self.length_spin.setValue(s.value("generate/length", 1000, type=int))
        self.count_spin.setValue(s.value("generate/count", 1, type=int))
        self.set_bars(s.value("generate/bars", "strict", type=str))
        self.form_combo.setCurrentText(s.value("generate/form", "AABB", type=str))
        self.strain_bars_combo.setCurrentText(str(s.value("generate/strain_bars", 8, type=int)))
        self.phrase_repeats_check.setChecked(s.value("generate/phrase_repeats", True, type=bool))
        self.come_home_check.setChecked(s.value("generate/come_home", True, type=bool))
        self.best_of_spin.setValue(s.value("generate/best_of", 1, type=int))
        self._enable_form()

    def save_settings(self, s: QSettings) -> None:
        s.setValue("generate/temperature", self.temperature)
        s.setValue("generate/random_seed", self.random_seed.isChecked())
        s.setValue("generate/seed", self.seed_spin.value())
        s.setValue("generate/length", self.length_spin.value())
        s.setValue("generate/count", self.count_spin.value())
        s.setValue("generate/bars", self.bars)
        s.setValue("generate/form", self.form_combo.currentText())
        s.setValue("generate/strain_bars", int(self.strain_bars_combo.currentText()))
        s.setValue("generate/phrase_repeats", self.phrase_repeats_check.isChecked())
        s.setValue("generate/come_home", self.come_home_check.isChecked())
        s.setValue("generate/best_of", self.best_of)
