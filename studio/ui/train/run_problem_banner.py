"""The Train tab's banner for a run in trouble: why it stopped or what could not be written (a full disk), in
words, never only in a log; and, while the run's last state is only in memory, "Save the model elsewhere..." to
write it as a checkpoint anywhere (``python -m studio generate --checkpoint FILE`` reads it)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QLabel, QPushButton



class RunProblemBanner(QFrame):
    """Hidden until ``show_problem``; ``saved(path)`` once the in-memory model was written elsewhere."""

    saved = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("runProblemBanner")
        self.setStyleSheet("#runProblemBanner { background: #fdecea; border: 1px solid #c0392b; border-radius: 4px; }"
                           " QLabel { color: #8e2a1f; }")
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.save_button = QPushButton("Save the model elsewhere...")
        self.save_button.setToolTip("The run's last state could not be written to its folder: write it as a "
                                    "checkpoint on another disk before closing the studio")
        self.save_button.clicked.connect(self.save_elsewhere)
        self.close_button = QPushButton("Dismiss")
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.save_button)
        layout.addWidget(self.close_button)
        self._unsaved = None
        self.hide()

    def show_problem(self, text: str, unsaved=None) -> None:
        """Shows ``text``; with ``unsaved`` (a core Checkpoint in memory) offers to save it elsewhere."""
        self._unsaved = unsaved if unsaved is not None else self._unsaved
        self.label.setText(text)
        self.save_button.setVisible(self._unsaved is not None)
        self.show()

    def clear(self) -> None:
        """A new run starts: forget the old problem (and the weights it held)."""
        self._unsaved = None
        self.label.setText("")
        self.hide()

    def save_elsewhere(self) -> str | None:
        """Asks where, writes the in-memory state there; the path, or None when cancelled or it failed (said why)."""
        if self._unsaved is None:
            return None
        path, _ = QFileDialog.getSaveFileName(self, "Save the model elsewhere", str(Path.home() / "model.pt"),
                                              "ABC Studio checkpoints (*.pt)")
        if not path:
            return None
        from studio.core.network.checkpoints import CheckpointError, save_checkpoint  # torch: only once a model is saved

        try:
            save_checkpoint(path, self._unsaved)
        except CheckpointError as exc:
            self.label.setText(f"{self.label.text()}\nNot saved there either: {exc}")
            return None
        self.label.setText(f"The model (step {self._unsaved.step:,}) is saved in {path}: "
                           f"python -m studio generate --checkpoint {path}")
        self._unsaved = None
        self.save_button.hide()
        self.saved.emit(path)
        return path
