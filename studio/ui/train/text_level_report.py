"""The text level in the window: rewriting a corpus off the GUI thread, and the report dialog.

Rewriting O'Neill's at the canonical level the first time takes about a minute (then it is cached in the data
folder), so :class:`TextLevelWorker` does it on a worker thread (``studio.ui.widgets.threads``) and reports progress per 50
tunes; :class:`TextLevelDialog` shows what the rewrite changed (characters before and after, per kind of change)
and one tune before and after.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QGridLayout, QLabel, QPlainTextEdit, QWidget

from studio.core.text_levels import corpus_at_level
from studio.ui.widgets.threads import Worker


class TextLevelWorker(Worker):
    """Rewrites a raw corpus at a level; ``progressed(done, total)`` every 50 tunes; cancellable."""

    progressed = Signal(int, int)

    def __init__(self, corpus, level: str):
        super().__init__()
        self.corpus, self.level = corpus, level

    def work(self):
        def progress(done: int, total: int) -> bool:
            self.progressed.emit(done, total)
            return self.is_cancelled()

        return corpus_at_level(self.corpus, self.level, progress=progress)


class TextLevelDialog(QDialog):
    """What writing a corpus at a text level changed, and one tune before and after, side by side."""

    def __init__(self, corpus, parent: QWidget | None = None):
        super().__init__(parent)
        report = corpus.normalisation
        self.setWindowTitle(f"{corpus.name} at the {report.level} text level")
        self.summary = QLabel(report.summary())
        self.summary.setWordWrap(True)
        font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        self.before = QPlainTextEdit(report.example_before.strip())
        self.after = QPlainTextEdit(report.example_after.strip())
        for view in (self.before, self.after):
            view.setReadOnly(True)
            view.setFont(font)
            view.setLineWrapMode(QPlainTextEdit.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QGridLayout(self)
        layout.addWidget(self.summary, 0, 0, 1, 2)
        layout.addWidget(QLabel(f"Tune {report.example_id}, as collected"), 1, 0)
        layout.addWidget(QLabel(f"The same tune at the {report.level} level"), 1, 1)
        layout.addWidget(self.before, 2, 0)
        layout.addWidget(self.after, 2, 1)
        layout.addWidget(buttons, 3, 0, 1, 2)
        self.resize(1000, 560)
