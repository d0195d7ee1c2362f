"""The playback options a folk musician reaches for, as controls: chords, lilt, count-in, metronome, transposition,
the passage to loop, and the two edits of the ABC that go with them (write the chords in, transpose the text).

``ArrangementControls`` holds the widgets and turns them into a :class:`studio.core.sound.arrangement.PlaybackOptions`
(``options(program, looping)``); the ``PlaybackBar`` lays them out on its rows and rebuilds the arrangement when
``changed`` fires. The edits are not made here: ``text_rewrite_requested(rewrite)`` hands a ``str -> str`` function to
whoever owns the editor, so the edit lands in the editor's undo history.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QPushButton, QSpinBox

from studio.core.abc.chords import is_chord_symbol
from studio.core.abc.timeline import read_bars, strain_ranges
from studio.core.sound.arrangement import PlaybackOptions

ACCOMPANIMENT_CHOICES = [("No chords", "none"), ("Chord symbols", "symbols"), ("Automatic chords", "auto")]
COUNT_IN_CHOICES = [("No count-in", 0), ("Count-in: 1 bar", 1), ("Count-in: 2 bars", 2)]
TUNE_SWING = 49  # the swing spin's special value: the tune's own (swung for hornpipes, else straight)
WHOLE_TUNE, BARS = "whole", "bars"


class ArrangementControls(QObject):
    """The widgets (see the module docstring); ``changed`` fires when the options change."""

    changed = Signal()
    text_rewrite_requested = Signal(object)
    status_changed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._text = ""
        self.accompaniment_combo = QComboBox()
        for label, value in ACCOMPANIMENT_CHOICES:
            self.accompaniment_combo.addItem(label, value)
        self.accompaniment_combo.setToolTip("Bass and chords in the meter's pattern (boom-chick, jig 'fzcfzc'...): "
                                            "from the tune's chord symbols, or chosen for a tune that has none")
        self.swing_spin = QSpinBox()
        self.swing_spin.setRange(TUNE_SWING, 80)
        self.swing_spin.setSpecialValueText("Swing: tune's")
        self.swing_spin.setPrefix("Swing ")
        self.swing_spin.setSuffix(" %")
        # Qt sizes a spin box by its numbers with prefix and suffix, not by the special text (cut to "Swing: tune'")
        width = self.swing_spin.fontMetrics().horizontalAdvance(self.swing_spin.specialValueText() + "  ")
        self.swing_spin.setMinimumWidth(width + self.swing_spin.sizeHint().width()
                                        - self.swing_spin.fontMetrics().horizontalAdvance("Swing 80 %"))
        self.swing_spin.setToolTip("Lilt of paired eighths: the first one's share of the beat (50 straight, 66 = 2:1). "
                                   "Lowest setting: the tune's own (hornpipes swung, everything else straight)")
        self.count_in_combo = QComboBox()
        for label, bars in COUNT_IN_CHOICES:
            self.count_in_combo.addItem(label, bars)
        self.metronome_check = QCheckBox("Metronome")
        self.metronome_check.setToolTip("A click on every beat (MIDI channel 10)")
        self.transpose_spin = QSpinBox()
        self.transpose_spin.setRange(-12, 12)
        self.transpose_spin.setPrefix("Transpose ")
        self.transpose_spin.setSuffix(" st")
        self.transpose_spin.setToolTip("Play (and export) this many semitones higher (negative: lower)")
        self.passage_combo = QComboBox()
        self.passage_combo.setToolTip("What Loop repeats: the whole tune, one strain, or the bars you choose")
        self.passage_combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.first_bar_spin = QSpinBox()
        self.last_bar_spin = QSpinBox()
        for spin, tip in ((self.first_bar_spin, "First bar of the loop"), (self.last_bar_spin, "Last bar of the loop")):
            spin.setRange(1, 1)
            spin.setToolTip(tip)
            spin.setVisible(False)
        self.first_bar_spin.setPrefix("bars ")
        self.last_bar_spin.setPrefix("to ")
        self.write_chords_button = QPushButton("Write chords")
        self.write_chords_button.setToolTip("Write the automatic chords into the ABC as \"G\" symbols (Ctrl+Z undoes)")
        self.transpose_text_button = QPushButton("Transpose text")
        self.transpose_text_button.setToolTip("Rewrite the ABC (key and notes) by the Transpose setting "
                                              "(Ctrl+Z undoes)")
        self._fill_passages([])
        for signal in (self.accompaniment_combo.currentIndexChanged, self.swing_spin.valueChanged,
                       self.count_in_combo.currentIndexChanged, self.metronome_check.toggled,
                       self.transpose_spin.valueChanged, self.first_bar_spin.valueChanged,
                       self.last_bar_spin.valueChanged):
            signal.connect(self._emit_changed)
        self.passage_combo.currentIndexChanged.connect(self._on_passage_chosen)
        self.write_chords_button.clicked.connect(self.write_chords)
        self.transpose_text_button.clicked.connect(self.transpose_text)

    def _emit_changed(self, *_args) -> None:
        self.changed.emit()

    @property
    def row_widgets(self) -> list:
        """The widgets of the accompaniment row, in order."""
        return [self.accompaniment_combo, self.swing_spin, self.count_in_combo, self.metronome_check,
                self.transpose_spin, self.write_chords_button, self.transpose_text_button]

    @property
    def loop_widgets(self) -> list:
        """The widgets that sit beside the Loop check box."""
        return [self.passage_combo, self.first_bar_spin, self.last_bar_spin]

    # ------------------------------------------------------------------ the tune
    def set_tune(self, text: str) -> None:
        """Offers the strains and bars of ``text`` to loop (keeping the choice when the tune keeps its bars)."""
        self._text = text
        try:
            bars = read_bars(text)
        except Exception:  # a tune the tokenizer cannot read still plays through the fallback
            bars = []
        self._fill_passages(strain_ranges(bars) if bars else [], len(bars))

    def _fill_passages(self, strains: list[tuple[int, int]], bar_count: int = 0) -> None:
        chosen = self.passage_combo.currentData()
        self.passage_combo.blockSignals(True)
        self.passage_combo.clear()
        self.passage_combo.addItem("whole tune", WHOLE_TUNE)
        for number, (first, last) in enumerate(strains):
            self.passage_combo.addItem(f"strain {chr(ord('A') + number) if number < 26 else number + 1} "
                                       f"(bars {first + 1}-{last + 1})", (first, last))
        self.passage_combo.addItem("bars...", BARS)
        index = self.passage_combo.findData(chosen)
        self.passage_combo.setCurrentIndex(max(index, 0))
        self.passage_combo.blockSignals(False)
        for spin in (self.first_bar_spin, self.last_bar_spin):
            spin.blockSignals(True)
            spin.setRange(1, max(bar_count, 1))
            spin.blockSignals(False)
        self._show_bar_spins()

    def _show_bar_spins(self) -> None:
        bars = self.passage_combo.currentData() == BARS
        self.first_bar_spin.setVisible(bars)
        self.last_bar_spin.setVisible(bars)

    def _on_passage_chosen(self, _index: int) -> None:
        self._show_bar_spins()
        self.changed.emit()

    def choose_strain(self, number: int) -> None:
        """Loops strain ``number`` (0 = A) when the tune has it."""
        self.passage_combo.setCurrentIndex(min(number + 1, self.passage_combo.count() - 2))

    def choose_bars(self, first: int, last: int) -> None:
        """Loops written bars ``first``..``last`` (0-based)."""
        for spin, value in ((self.first_bar_spin, first), (self.last_bar_spin, last)):
            spin.blockSignals(True)
            spin.setValue(value + 1)
            spin.blockSignals(False)
        self.passage_combo.setCurrentIndex(self.passage_combo.findData(BARS))
        self.changed.emit()

    def passage(self) -> tuple[int, int] | None:
        data = self.passage_combo.currentData()
        if data == BARS:
            first, last = self.first_bar_spin.value() - 1, self.last_bar_spin.value() - 1
            return (first, max(first, last))
        return tuple(data) if isinstance(data, tuple) else None

    # ------------------------------------------------------------------ options
    def options(self, program: int, looping: bool) -> PlaybackOptions:
        """The chosen options; the passage only when ``looping`` (Loop on), else the whole tune."""
        swing = self.swing_spin.value()
        return PlaybackOptions(accompaniment=self.accompaniment_combo.currentData() or "none",
                               transpose=self.transpose_spin.value(),
                               swing=None if swing == TUNE_SWING else float(swing),
                               count_in_bars=int(self.count_in_combo.currentData() or 0),
                               metronome=self.metronome_check.isChecked(),
                               passage=self.passage() if looping else None, melody_program=program)

    def export_options(self, program: int) -> PlaybackOptions:
        """The options for an export: everything but the loop (an export holds the whole tune)."""
        return self.options(program, looping=False)

    # ------------------------------------------------------------------ edits of the ABC
    def write_chords(self) -> None:
        from studio.core.sound.accompaniment import add_chord_symbols

        if self._has_chord_symbols():
            self.status_changed.emit("This tune already has chord symbols: choose 'Chord symbols' to hear them")
            return
        self.text_rewrite_requested.emit(add_chord_symbols)
        self.accompaniment_combo.setCurrentIndex(self.accompaniment_combo.findData("symbols"))
        self.status_changed.emit("Chords written into the tune (Ctrl+Z in the editor undoes)")

    def _has_chord_symbols(self) -> bool:
        try:
            bars = read_bars(self._text)
        except Exception:
            return False
        return any(is_chord_symbol(symbol) for bar in bars for _onset, symbol in bar.symbols)

    def transpose_text(self) -> None:
        from studio.core.abc.transpose import transpose_abc

        semitones = self.transpose_spin.value()
        if not semitones:
            self.status_changed.emit("Set Transpose to the semitones first, then rewrite the text")
            return
        self.text_rewrite_requested.emit(lambda text: transpose_abc(text, semitones))
        self.transpose_spin.setValue(0)  # the text now sounds where the setting did
        self.status_changed.emit(f"Tune transposed by {semitones:+d} semitones (Ctrl+Z in the editor undoes)")

    # ------------------------------------------------------------------ settings
    def restore_settings(self, s: QSettings) -> None:
        for combo, key, default in ((self.accompaniment_combo, "generate/accompaniment", "none"),
                                    (self.count_in_combo, "generate/count_in", 0)):
            value = s.value(key, default, type=type(default))
            combo.setCurrentIndex(max(combo.findData(value), 0))
        self.swing_spin.setValue(s.value("generate/swing", TUNE_SWING, type=int))
        self.metronome_check.setChecked(s.value("generate/metronome", False, type=bool))

    def save_settings(self, s: QSettings) -> None:
        s.setValue("generate/accompaniment", self.accompaniment_combo.currentData())
        s.setValue("generate/count_in", int(self.count_in_combo.currentData() or 0))
        s.setValue("generate/swing", self.swing_spin.value())
        s.setValue("generate/metronome", self.metronome_check.isChecked())
