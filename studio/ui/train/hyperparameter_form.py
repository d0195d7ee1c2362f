"""The hyperparameter form of the Train panel: lab presets, one field per setting, and a reason next to each bad value.

The rows are generated from the core's description of the settings (``studio.core.configs.training_settings``:
label, help, range, choices, group), so the window and the command line offer and accept exactly the same values.
Fields are text boxes, not clamping spin boxes: a value out of range stays visible with the reason beside it, and
``configs()`` refuses to build configs until every field is valid. The last values used are remembered in QSettings
("train/form/...").
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from studio.core.configs import ModelConfig, TrainConfig, preset, training_settings
from studio.core.network.precision import auto_precision_label, bf16_warning
from studio.ui.train.training_worker import training_threads
from studio.ui.widgets import settings

#: Preset menu label -> core preset name.
PRESET_LABELS = {
    "Lab": "lab",
    "Lab batch 4": "lab-batch4",
    "Lab sequence 200": "lab-seq200",
    "Lab random windows": "lab-window",
    "Tiny (a quick try)": "tiny",
    "Fine-tune (your own tunes)": "fine-tune",
}
CUSTOM = "Custom"


def form_settings():
    """The settings the form shows, in its order (``Setting.form``)."""
    return [setting for setting in training_settings() if setting.about.form]


def _choose(editor: QComboBox, value: str) -> None:
    """Selects the item whose value (not label) is ``value``; an unknown value selects nothing new."""
    index = editor.findData(value)
    if index >= 0:
        editor.setCurrentIndex(index)


class HyperparameterForm(QWidget):
    """``configs()`` -> (ModelConfig, TrainConfig) or None; ``problems()`` -> {field: reason}; ``set_preset(name)``."""

    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.preset_box = QComboBox()
        self.preset_box.addItems([*PRESET_LABELS, CUSTOM])
        self.preset_box.setToolTip("The lab's configuration and its controlled variants")
        self.preset_box.activated.connect(self._preset_chosen)
        self.editors: dict[str, QLineEdit | QComboBox] = {}
        self.errors: dict[str, QLabel] = {}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addRow("Preset", self.preset_box)
        for field in form_settings():
            if field.about.choices:
                editor = QComboBox()
                for index, (choice, explained) in enumerate(field.about.choices.items()):
                    editor.addItem(choice, choice)  # the value as data (``auto`` precision relabelled below)
                    if explained:
                        editor.setItemData(index, explained, Qt.ToolTipRole)
                editor.currentIndexChanged.connect(self._edited)  # not its text: ``auto``'s label changes
            else:
                editor = QLineEdit()
                editor.textEdited.connect(self._edited)
            editor.setObjectName(field.name)
            editor.setToolTip(field.described_help())
            if isinstance(editor, QComboBox):
                editor.setSizeAdjustPolicy(QComboBox.AdjustToContents)  # "auto (fp32 here: ...)" shown whole
            else:
                editor.setMaximumWidth(110)
            error = QLabel()
            error.setObjectName(f"{field.name}_error")
            error.setStyleSheet("color: #c0392b;")
            error.setWordWrap(True)
            row = QHBoxLayout()
            row.addWidget(editor)
            row.addWidget(error, 1)
            layout.addRow(field.about.label, row)
            self.editors[field.name] = editor
            self.errors[field.name] = error
        self._valid = True
        self._restore()

    # --- values ---------------------------------------------------------------------------------------------
    def set_configs(self, model_config: ModelConfig, train_config: TrainConfig) -> None:
        for field in form_settings():
            value = getattr(model_config if field.config is ModelConfig else train_config, field.name)
            editor = self.editors[field.name]
            if isinstance(editor, QComboBox):
                _choose(editor, str(value))
            else:
                editor.setText(field.show(value))
        self._validate()

    def set_preset(self, name: str) -> None:
        """Fills the form with a core preset ('lab', 'lab-batch4', 'lab-seq200', 'lab-window', 'tiny')."""
        self.set_configs(*preset(name))
        label = next(label for label, key in PRESET_LABELS.items() if key == name)
        self.preset_box.setCurrentText(label)

    def set_value(self, name: str, text: str) -> None:
        """Types ``text`` into one field as a user would (marks the form Custom)."""
        editor = self.editors[name]
        if isinstance(editor, QComboBox):
            _choose(editor, text)
        else:
            editor.setText(text)
            self._edited()

    def problems(self) -> dict[str, str]:
        return self._parse()[2]

    def configs(self) -> tuple[ModelConfig, TrainConfig] | None:
        """The configs in the form, or None while any field is invalid."""
        model_config, train_config, problems = self._parse()
        return None if problems else (model_config, train_config)

    def text_level(self) -> str:
        """The text level chosen in the Text control (raw, canonical or melody)."""
        return self._text("text_level")

    def is_valid(self) -> bool:
        return self._valid

    def remember(self) -> None:
        """Stores the current values as the next launch's defaults."""
        values = {name: self._text(name) for name in self.editors}
        settings.write("train/form/values", json.dumps(values))
        settings.write("train/form/preset", self.preset_box.currentText())

    # --- internals ------------------------------------------------------------------------------------------
    def _text(self, name: str) -> str:
        editor = self.editors[name]
        return editor.currentData() if isinstance(editor, QComboBox) else editor.text().strip()

    def _parse(self):
        problems: dict[str, str] = {}
        values = {ModelConfig: {}, TrainConfig: {}}
        for field in form_settings():
            try:
                values[field.config][field.name] = field.parse(self._text(field.name))
            except ValueError as exc:
                problems[field.name] = {int: "enter a whole number", float: "enter a number"}.get(field.kind, str(exc))
        model_config = ModelConfig(**values[ModelConfig])
        train_config = TrainConfig(**values[TrainConfig])
        for name, reason in {**model_config.problems(), **train_config.problems()}.items():
            if name in values[ModelConfig] or name in values[TrainConfig]:
                problems[name] = reason
        return model_config, train_config, problems

    def _edited(self, *_args) -> None:
        self.preset_box.setCurrentText(CUSTOM)
        self._validate()

    def _preset_chosen(self, _index: int) -> None:
        key = PRESET_LABELS.get(self.preset_box.currentText())
        if key:
            self.set_preset(key)

    def show_auto_precision(self) -> None:
        """Labels the ``auto`` precision with what it will do for the form's settings on this machine (measured
        before at these shapes, or measured when training starts:
        :func:`studio.core.network.precision.auto_precision_label`), the whole measurement in its tooltip, and
        ``bf16`` with a warning where auto found its gradients straying
        (:func:`studio.core.network.precision.bf16_warning`). Reads a small JSON file, no torch."""
        model_config, train_config, problems = self._parse()
        label, about = auto_precision_label(None if problems else model_config, None if problems else train_config,
                                            training_threads(), self._text("device"))
        editor = self.editors["precision"]
        index = editor.findData("auto")
        if editor.itemText(index) != label:
            editor.setItemText(index, label)
        editor.setItemData(index, about, Qt.ToolTipRole)
        # bf16 asked for where auto found its gradients straying: obeyed, but its label says what it costs
        warning = bf16_warning(None if problems else model_config, None if problems else train_config,
                               training_threads())
        bf16 = editor.findData("bf16")
        editor.setItemText(bf16, "bf16 (trains worse here: gradients off)" if warning else "bf16")
        editor.setItemData(bf16, warning, Qt.ToolTipRole)

    def _validate(self) -> None:
        self.show_auto_precision()
        problems = self.problems()
        for name, label in self.errors.items():
            label.setText(problems.get(name, ""))
        valid = not problems
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)

    def _restore(self) -> None:
        self.set_preset("lab")
        try:
            stored = json.loads(settings.read("train/form/values", "{}"))
        except ValueError:
            stored = {}
        for name, text in stored.items():
            if name in self.editors:
                editor = self.editors[name]
                if isinstance(editor, QComboBox):
                    _choose(editor, str(text))
                else:
                    editor.setText(str(text))
        self.preset_box.setCurrentText(settings.read("train/form/preset", "Lab"))
        self._validate()

