"""Choosing the model to sample from: the shipped default model, every run's checkpoints, or any checkpoint file.

The list is rebuilt by ``refresh()`` (runs come from ``RunStore().list()``, newest first); models added with
``add_model`` or opened with "Open file..." stay in the list for the session. ``model_changed(path)`` is emitted
when the choice changes; ``current_path()`` is '' when there is no model at all.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QPushButton, QWidget

from studio.core.paths import SHIPPED_MODEL


def available_models() -> list[tuple[str, str]]:
    """(label, path) for the shipped model and each run's best and last checkpoints that exist."""
    models = []
    if SHIPPED_MODEL.is_file():
        models.append(("Default model (shipped)", str(SHIPPED_MODEL)))
    try:
        from studio.core.runs import RunStore

        runs = RunStore().list()
    except Exception:  # an unreadable run store must not hide the other models
        runs = []
    for run in runs:
        try:
            name = run.name or run.id
            for kind, path in (("best", run.best_checkpoint), ("last", run.last_checkpoint)):
                if Path(path).is_file():
                    models.append((f"Run {name}: {kind} checkpoint", str(path)))
        except Exception:
            continue
    return models


class ModelPicker(QWidget):
    """A combo box of models plus "Open file..." and a refresh button."""

    model_changed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(28)
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setToolTip("The model that writes the tunes: the shipped default, a checkpoint of one of your "
                              "training runs, or a checkpoint file.")
        self.open_button = QPushButton("Open file...")
        self.refresh_button = QPushButton("↻")
        self.refresh_button.setToolTip("Look again for run checkpoints")
        self.refresh_button.setFixedWidth(32)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.refresh_button)
        layout.addWidget(self.open_button)
        self._extra: list[tuple[str, str]] = []
        self.combo.currentIndexChanged.connect(lambda _i: self.model_changed.emit(self.current_path()))
        self.open_button.clicked.connect(self.open_file)
        self.refresh_button.clicked.connect(self.refresh)
        self.refresh()

    def current_path(self) -> str:
        return self.combo.currentData() or ""

    def paths(self) -> list[str]:
        return [self.combo.itemData(i) for i in range(self.combo.count()) if self.combo.itemData(i)]

    def refresh(self) -> None:
        """Rebuilds the list, keeping the current choice when it is still there."""
        current = self.current_path()
        self.combo.blockSignals(True)
        self.combo.clear()
        seen = set()
        for label, path in self._extra + available_models():
            if path not in seen:
                seen.add(path)
                self.combo.addItem(label, path)
        if not seen:
            self.combo.addItem("No model yet: train one, or Open file...", "")
        index = self.combo.findData(current) if current else -1
        self.combo.setCurrentIndex(max(index, 0))
        self.combo.blockSignals(False)
        if self.current_path() != current:
            self.model_changed.emit(self.current_path())

    def add_model(self, path: str, label: str = "") -> None:
        """Adds (or selects) a checkpoint and makes it the current model."""
        path = str(path)
        if all(p != path for _, p in self._extra):
            self._extra.insert(0, (label or Path(path).name, path))
        self.refresh()
        self.combo.setCurrentIndex(self.combo.findData(path))

    def open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a checkpoint", str(Path.home()),
                                              "Checkpoints (*.pt *.pth);;All files (*)")
        if path:
            self.add_model(path, f"File {Path(path).name}")
