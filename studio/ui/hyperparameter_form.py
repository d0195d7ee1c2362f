"""The hyperparameter form of the Train panel: lab presets, one field per setting, and a reason next to each bad value.

Ranges come from the core (``ModelConfig.LIMITS``, ``TrainConfig.LIMITS`` and ``CHOICES``), so the window and the
command line accept exactly the same values. Fields are text boxes, not clamping spin boxes: a value out of range
stays visible with the reason beside it, and ``configs()`` refuses to build configs until every field is valid.
The last values used are remembered in QSettings ("train/form/...").
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from studio.core.configs import ModelConfig, TrainConfig, preset
from studio.core.precision import auto_precision_label
from studio.ui import settings
from studio.ui.text_level_report import TEXT_LEVEL_HELP, TEXT_LEVEL_TOOLTIP

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


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: type  # int, float or str (a choice)
    owner: str  # "model" or "train"
    help: str


FIELDS = (
    Field("text_level", "Text", str, "train", TEXT_LEVEL_TOOLTIP),
    Field("context", "Context", str, "train",
          "What each window is read after: stream carries the network's memory from one window to the next through "
          "whole tunes (and validates on whole tunes, as sampling reads them); window reads random windows, each "
          "from a blank memory (the lab's)"),
    Field("iterations", "Iterations", int, "train", "Training steps (one batch each)"),
    Field("batch_size", "Batch size", int, "train", "Windows of text per step"),
    Field("seq_length", "Sequence length", int, "train", "Characters per window"),
    Field("learning_rate", "Learning rate", float, "train", "Adam step size"),
    Field("lr_schedule", "LR schedule", str, "train",
          "constant: the lab's; cosine: the learning rate falls along half a cosine to nothing by the last step"),
    Field("embedding_dim", "Embedding size", int, "model", "Size of each character's vector"),
    Field("hidden_size", "Hidden size", int, "model", "LSTM units per layer"),
    Field("num_layers", "Layers", int, "model", "Stacked LSTM layers"),
    Field("dropout", "Dropout", float, "model", "Dropout between layers and before the output (0 = none)"),
    Field("seed", "Seed", int, "train", "Random seed: same seed and settings, same run"),
    Field("validation_interval", "Validate every", int, "train", "Steps between validation losses"),
    Field("checkpoint_interval", "Checkpoint every", int, "train", "Steps between saved checkpoints"),
    Field("device", "Device", str, "train", "auto takes a GPU when there is one"),
    Field("precision", "Precision", str, "train", "bf16 pays with AMX or a GPU (AVX-512 BF16 alone is slower)"),
)


#: Choices shown with an explanation: (field, value) -> label. ``auto`` precision says what it picks on this CPU.
CHOICE_LABELS = {("precision", "auto"): auto_precision_label(),
                 ("context", "stream"): "stream: whole tunes, memory carried",
                 ("context", "window"): "window: random windows (the lab's)"}


def _choose(editor: QComboBox, value: str) -> None:
    """Selects the item whose value (not label) is ``value``; an unknown value selects nothing new."""
    index = editor.findData(value)
    if index >= 0:
        editor.setCurrentIndex(index)


def _limits(field: Field):
    owner = ModelConfig if field.owner == "model" else TrainConfig
    return owner.LIMITS.get(field.name)


def _format(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


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
        for field in FIELDS:
            if field.kind is str:
                editor = QComboBox()
                for choice in TrainConfig.CHOICES[field.name]:  # the value as data, the label may explain it
                    editor.addItem(CHOICE_LABELS.get((field.name, choice), choice), choice)
                editor.setToolTip(field.help)
                if field.name == "text_level":
                    for index, choice in enumerate(TrainConfig.CHOICES[field.name]):
                        editor.setItemData(index, TEXT_LEVEL_HELP[choice], Qt.ToolTipRole)
                editor.currentTextChanged.connect(self._edited)
            else:
                editor = QLineEdit()
                editor.setObjectName(field.name)
                low, high = _limits(field)
                editor.setToolTip(f"{field.help} ({_format(low)} to {_format(high)})")
                editor.textEdited.connect(self._edited)
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
            layout.addRow(field.label, row)
            self.editors[field.name] = editor
            self.errors[field.name] = error
        self._valid = True
        self._restore()

    # --- values ---------------------------------------------------------------------------------------------
    def set_configs(self, model_config: ModelConfig, train_config: TrainConfig) -> None:
        for field in FIELDS:
            value = getattr(model_config if field.owner == "model" else train_config, field.name)
            editor = self.editors[field.name]
            if isinstance(editor, QComboBox):
                _choose(editor, str(value))
            else:
                editor.setText(_format(value))
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
        values = {"model": {}, "train": {}}
        for field in FIELDS:
            text = self._text(field.name)
            try:
                value = field.kind(text) if field.kind is not int else int(text.replace(",", "").replace("_", ""))
            except ValueError:
                problems[field.name] = "enter a whole number" if field.kind is int else "enter a number"
                continue
            values[field.owner][field.name] = value
        model_config = ModelConfig(**values["model"])
        train_config = TrainConfig(**values["train"])
        for name, reason in {**model_config.problems(), **train_config.problems()}.items():
            if name in values["model"] or name in values["train"]:
                problems[name] = reason
        return model_config, train_config, problems

    def _edited(self, *_args) -> None:
        self.preset_box.setCurrentText(CUSTOM)
        self._validate()

    def _preset_chosen(self, _index: int) -> None:
        key = PRESET_LABELS.get(self.preset_box.currentText())
        if key:
            self.set_preset(key)

    def _validate(self) -> None:
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

