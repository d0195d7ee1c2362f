"""The experiment builder: base preset, one variable, its values, iterations and tunes per run -> ExperimentSpec."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QSpinBox, QWidget

from studio.core.configs import PRESETS
from studio.core.learning.experiment_spec import START_FROM, VARIABLES, ExperimentError, ExperimentSpec, parse_values

#: Typical comparisons offered first in the variable list, with their default values.
SUGGESTED_VALUES = {"batch_size": "8,4", "seq_length": "100,200", "learning_rate": "0.005,0.002",
                    "lr_schedule": "constant,cosine", "hidden_size": "512,1024", "temperature": "0.8,1.0,1.2",
                    "text_level": "raw,canonical", "context": "window,stream", START_FROM: "shipped,nothing"}


class ExperimentBuilder(QWidget):
    """A form; ``spec()`` returns the ExperimentSpec or raises ExperimentError with a readable reason."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.preset = QComboBox()
        self.preset.addItems(list(PRESETS))
        self.variable = QComboBox()
        ordered = list(SUGGESTED_VALUES) + [v for v in VARIABLES if v not in SUGGESTED_VALUES]
        self.variable.addItems(ordered)
        self.values = QLineEdit(SUGGESTED_VALUES["batch_size"])
        self.values.setPlaceholderText("comma-separated, e.g. 8,4")
        self.iterations = QSpinBox()
        self.iterations.setRange(1, 1_000_000)
        self.iterations.setValue(300)
        self.iterations.setSuffix(" steps")
        self.tunes = QSpinBox()
        self.tunes.setRange(1, 256)
        self.tunes.setValue(20)
        form = QFormLayout(self)
        form.addRow("Base preset", self.preset)
        form.addRow("Variable", self.variable)
        form.addRow("Values", self.values)
        form.addRow("Iterations per run", self.iterations)
        form.addRow("Tunes per run", self.tunes)
        self.variable.currentTextChanged.connect(self._suggest_values)
        for signal in (self.preset.currentTextChanged, self.values.textChanged, self.iterations.valueChanged,
                       self.tunes.valueChanged):
            signal.connect(self.changed)

    def _suggest_values(self, variable: str) -> None:
        self.values.setText(SUGGESTED_VALUES.get(variable, ""))
        if variable == START_FROM:  # does a base help? the small-collection recipe, from it and from nothing
            self.preset.setCurrentText("fine-tune")

    def spec(self) -> ExperimentSpec:
        variable = self.variable.currentText()
        spec = ExperimentSpec(variable=variable, values=parse_values(variable, self.values.text()),
                              preset=self.preset.currentText(), iterations=self.iterations.value(),
                              tunes_per_run=self.tunes.value())
        spec.check()
        return spec

    def problem(self) -> str:
        """Why the form cannot start an experiment ('' when it can)."""
        try:
            self.spec()
        except ExperimentError as exc:
            return str(exc)
        return ""
