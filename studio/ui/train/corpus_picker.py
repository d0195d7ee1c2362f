"""The corpus picker of the Train panel: built-in collections, the user's own files or folders, and the report.

Loading a corpus (about a second for O'Neill's) runs on a background thread; the picker says "Loading..." meanwhile
and emits ``corpus_loaded(corpus)`` or ``failed(message)``. Loaded corpora are kept, so switching back is instant.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QPlainTextEdit, QVBoxLayout, QWidget

from studio.core.corpus import BUILTIN_CORPORA, DEFAULT_CORPUS, load_corpus
from studio.ui.widgets import settings
from studio.ui.widgets.threads import BackgroundCall

OPEN_FILE = "Open file..."
OPEN_FOLDER = "Open folder..."


class CorpusPicker(QWidget):
    """``choose(spec)`` loads a built-in name or a path; ``corpus()`` is the loaded one (None while loading)."""

    corpus_loaded = Signal(object)
    failed = Signal(str)
    loading_started = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setToolTip("Tunes to train on: a built-in collection, or your own .abc file or folder")
        for name, description in BUILTIN_CORPORA.items():
            self.combo.addItem(description.split(":")[0], name)
            self.combo.setItemData(self.combo.count() - 1, description, role=Qt.ToolTipRole)
        self.combo.insertSeparator(self.combo.count())
        self.combo.addItem(OPEN_FILE, OPEN_FILE)
        self.combo.addItem(OPEN_FOLDER, OPEN_FOLDER)
        self.combo.activated.connect(self._activated)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setMaximumHeight(96)
        self.report.setPlaceholderText("The corpus report appears here")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addWidget(self.report)
        self._cache: dict[str, object] = {}
        self._current_spec: str | None = None
        self._loading: BackgroundCall | None = None

    def corpus(self):
        return self._cache.get(self._current_spec)

    def is_loading(self) -> bool:
        return self._loading is not None

    def choose(self, spec: str) -> None:
        """Selects (adding it to the list if new) and loads a corpus by built-in name or path."""
        index = self.combo.findData(spec)
        if index < 0:
            self.combo.insertItem(self.combo.count() - 3, Path(spec).name or spec, spec)
            index = self.combo.findData(spec)
            self.combo.setItemData(index, spec, role=Qt.ToolTipRole)
        self.combo.setCurrentIndex(index)
        self._current_spec = spec
        settings.write("train/corpus", spec)
        if spec in self._cache:
            self._show(self._cache[spec])
            return
        self.report.setPlainText(f"Loading {self.combo.currentText()}...")
        self.loading_started.emit(spec)
        call = BackgroundCall(load_corpus, spec, parent=self)
        call.succeeded.connect(lambda corpus, spec=spec: self._loaded(spec, corpus))
        call.failed.connect(lambda message, spec=spec: self._failed(spec, message))
        call.finished.connect(lambda call=call: self._call_ended(call))
        self._loading = call
        call.start()

    def restore(self) -> None:
        """Loads the corpus used last time (O'Neill's at first launch)."""
        spec = settings.read("train/corpus", DEFAULT_CORPUS)
        if spec not in BUILTIN_CORPORA and not Path(spec).exists():
            spec = DEFAULT_CORPUS
        self.choose(spec)

    def _activated(self, index: int) -> None:
        data = self.combo.itemData(index)
        if data == OPEN_FILE:
            path, _ = QFileDialog.getOpenFileName(self, "Open ABC file", settings.read("train/open_folder", ""),
                                                  "ABC tunes (*.abc *.txt);;All files (*)")
        elif data == OPEN_FOLDER:
            path = QFileDialog.getExistingDirectory(self, "Open a folder of ABC files",
                                                    settings.read("train/open_folder", ""))
        else:
            self.choose(data)
            return
        if path:
            settings.write("train/open_folder", str(Path(path).parent))
            self.choose(path)
        else:  # cancelled: back to the current corpus
            self.combo.setCurrentIndex(max(0, self.combo.findData(self._current_spec)))

    def _loaded(self, spec: str, corpus) -> None:
        self._cache[spec] = corpus
        if spec == self._current_spec:
            self._show(corpus)

    def _failed(self, spec: str, message: str) -> None:
        if spec == self._current_spec:
            self.report.setPlainText(f"Cannot use this corpus: {message}")
            self.failed.emit(message)

    def _call_ended(self, call: BackgroundCall) -> None:
        if self._loading is call:
            self._loading = None

    def _show(self, corpus) -> None:
        self.report.setPlainText(corpus.report.summary())
        self.corpus_loaded.emit(corpus)

    def wait(self, milliseconds: int = 10_000) -> None:
        """Joins a load still running (window close)."""
        if self._loading is not None:
            self._loading.wait(milliseconds)
