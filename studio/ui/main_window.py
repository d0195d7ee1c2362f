"""The ABC Studio main window: the Train, Generate and Quality tabs, the menus, the status bar, and closing safely.

The window only wires panels together (it holds none of their logic): a checkpoint saved by a training run is
offered to the Generate tab's model picker, File > Open checkpoint goes to the Generate tab, panels' status
messages go to the status bar. File > Open tunes / Save tune book work on the Generate tab's list (its
``TuneBooks``); the title shows the open book and its unsaved mark. A dropped ``.abc`` file opens as tunes on the
Generate tab, as the corpus on the Train tab (a folder always as the corpus); elsewhere the window asks which.
Closing with unsaved changes to a named tune book asks Save / Discard / Cancel; closing while a run trains asks
whether to stop it (the run is kept) or to cancel the close. Geometry, dock state
and the current tab are remembered in QSettings ("window/...").
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QTabWidget

from studio.ui.train.train_panel import TrainPanel
from studio.ui.widgets import settings
from studio.ui.widgets.deferred import DeferredWidget, after_first_paint
from studio.ui.widgets.gui_gc import collect_in_gui_thread
from studio.ui.widgets.threads import stop_all

STOP_AND_KEEP = "Stop and keep the run"

SHORTCUTS = (
    ("Ctrl+O", "Open a corpus file"),
    ("Ctrl+Shift+T", "Open a tune book in the Generate tab's list"),
    ("Ctrl+S / Ctrl+Shift+S", "Save the tune book / save it as (or the selected tunes)"),
    ("Ctrl+Z / Ctrl+Shift+Z", "Undo / redo edits of the current tune (each tune keeps its own history)"),
    ("Ctrl+Shift+O", "Open a checkpoint in the Generate tab"),
    ("Ctrl+E", "Export (the live chart on the Train tab, the tunes on the Generate tab: MIDI, WAV, ABC, PDF, "
               "MusicXML)"),
    ("Ctrl+P", "Print the selected tunes (or the current tune), with a preview"),
    ("Ctrl+Return", "Train with the current settings"),
    ("Ctrl+1 / 2 / 3", "Train, Generate, Quality tabs"),
    ("Mouse wheel / drag on a chart", "Zoom / pan; 'Fit' zooms back to the whole run"),
    ("Ctrl+Q", "Quit"),
)


def corpus_candidate(path: str) -> str | None:
    """``path`` when it is an .abc file or a folder (what a drop may offer as a corpus), else None."""
    p = Path(path)
    if p.is_dir() or (p.is_file() and p.suffix.lower() == ".abc"):
        return str(p)
    return None


class MainWindow(QMainWindow):
    """The studio window. ``train_panel``, ``generate_panel`` and ``quality_panel`` are its tabs."""

    close_refused = Signal()

    def __init__(self, load_corpus_at_start: bool = True):
        super().__init__()
        collect_in_gui_thread()  # before any panel starts a worker thread
        self.setWindowTitle("ABC Studio")
        self.setAcceptDrops(True)
        self.train_panel = TrainPanel()
        # the Generate and Quality tabs are built when first shown (or asked for): the window paints sooner
        self.generate_slot = DeferredWidget(self._make_generate_panel, "Loading the generator...")
        self.quality_slot = DeferredWidget(self._make_quality_panel, "Loading the quality tools...")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.train_panel, "Train")
        self.tabs.addTab(self.generate_slot, "Generate")
        self.tabs.addTab(self.quality_slot, "Quality")
        self.setCentralWidget(self.tabs)

        self.training_label = QLabel("")
        self.statusBar().addPermanentWidget(self.training_label)
        self.train_panel.status_changed.connect(self.show_status)
        self.train_panel.training_changed.connect(self._training_changed)
        self.train_panel.checkpoint_saved.connect(self._checkpoint_saved)
        self.train_panel.runs_panel.model_opened.connect(self._open_model_from_run)
        self.train_panel.corpus_picker.corpus_loaded.connect(self._corpus_loaded)
        self._build_menus()
        self._restore_state()
        if load_corpus_at_start:
            after_first_paint(self, self.train_panel.load_default_corpus)
        self.show_status("Ready. Pick a corpus and press Train, or open a checkpoint to generate tunes.")

    @property
    def generate_panel(self):
        """The Generate tab's ``GeneratePanel`` (built when the tab is first shown, or now if asked for sooner)."""
        return self.generate_slot.widget()

    @property
    def quality_panel(self):
        """The Quality tab's ``QualityPanel`` (built when the tab is first shown, or now if asked for sooner)."""
        return self.quality_slot.widget()

    def _make_generate_panel(self):
        from studio.ui.generate.panel import GeneratePanel

        panel = self._connected(GeneratePanel())
        panel.books.book_changed.connect(self._show_book)
        self._show_book(panel.books)  # the restored book's name
        return panel

    def _make_quality_panel(self):
        from studio.ui.quality.quality_panel import QualityPanel

        panel = self._connected(QualityPanel())
        corpus = self.train_panel.corpus_picker.corpus()
        if corpus is not None:  # experiments run on the Train tab's corpus: your own tunes once you open them
            panel.experiments.set_corpus(corpus.source, corpus.name)
        return panel

    def _corpus_loaded(self, corpus) -> None:
        if self.quality_slot.is_built():  # otherwise the tab, once built, takes the corpus then
            self.quality_panel.experiments.set_corpus(corpus.source, corpus.name)

    def _connected(self, panel):
        panel.status_changed.connect(self.show_status)
        return panel

    def _checkpoint_saved(self, path: str, label: str) -> None:
        if self.generate_slot.is_built():  # otherwise its model list, once built, finds the run's checkpoints
            self.generate_panel.add_model(path, label)

    # --- menus ------------------------------------------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "Open &corpus...", self._open_corpus_dialog, QKeySequence.Open)
        self._action(file_menu, "Open corpus &folder...", self._open_corpus_folder_dialog)
        self._action(file_menu, "Open chec&kpoint...", self._open_checkpoint_dialog, "Ctrl+Shift+O")
        file_menu.addSeparator()
        self._action(file_menu, "Open &tunes...", lambda: self._books().open_dialog(), "Ctrl+Shift+T")
        self.recent_books_menu = file_menu.addMenu("&Recent tune books")
        self.recent_books_menu.aboutToShow.connect(self._fill_recent_books)
        self._action(file_menu, "&Save tune book", lambda: self._books().save_book(), QKeySequence.Save)
        self._action(file_menu, "Save tune book &as...", lambda: self._books().save_as_dialog(), "Ctrl+Shift+S")
        self._action(file_menu, "Save se&lected tunes as...",
                     lambda: self._books().save_as_dialog(selected_only=True))
        file_menu.addSeparator()
        self._action(file_menu, "&Export...", self.export_current, "Ctrl+E")
        self._action(file_menu, "&Print...", self.print_tunes, QKeySequence.Print)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.Quit)
        view_menu = self.menuBar().addMenu("&View")
        for index, name in enumerate(("Train", "Generate", "Quality")):
            self._action(view_menu, name, lambda _checked=False, i=index: self.tabs.setCurrentIndex(i),
                         f"Ctrl+{index + 1}")
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", self._show_shortcuts, QKeySequence.HelpContents)
        self._action(help_menu, "&About ABC Studio", self._show_about)

    # --- tune books -------------------------------------------------------------------------------------------
    def _books(self):
        """The Generate tab's ``TuneBooks`` (the tab is shown: what is opened or saved is its list)."""
        self.tabs.setCurrentWidget(self.generate_slot)
        return self.generate_panel.books

    def open_tunes(self, path: str) -> bool:
        """Opens the tune book at ``path`` in the Generate tab's list."""
        return self._books().open_book(path)

    def _fill_recent_books(self) -> None:
        from studio.ui.generate.tune_books import TuneBooks

        self.recent_books_menu.clear()
        for path in TuneBooks.recent_books():
            self._action(self.recent_books_menu, path, lambda _checked=False, p=path: self.open_tunes(p))
        if not self.recent_books_menu.actions():
            self.recent_books_menu.addAction("(none yet)").setEnabled(False)

    def _show_book(self, books=None) -> None:
        books = books or self.generate_panel.books
        self.setWindowTitle(f"{books.book_name}[*] - ABC Studio" if books.book_name else "ABC Studio")
        self.setWindowModified(books.modified)

    def _open_corpus_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open corpus", settings.read("train/open_folder", ""),
                                              "ABC tunes (*.abc *.txt);;All files (*)")
        if path:
            self.open_corpus(path)

    def _open_corpus_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a folder of ABC files",
                                                settings.read("train/open_folder", ""))
        if path:
            self.open_corpus(path)

    def open_corpus(self, path: str) -> None:
        settings.write("train/open_folder", str(Path(path).parent))
        self.tabs.setCurrentWidget(self.train_panel)
        if self.train_panel.is_training():
            self.show_status("A run is training: the new corpus is used for the next run.")
        self.train_panel.open_corpus(path)

    def _open_checkpoint_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", settings.read("generate/open_folder", ""),
                                              "Checkpoints (*.pt);;All files (*)")
        if path:
            settings.write("generate/open_folder", str(Path(path).parent))
            self.tabs.setCurrentWidget(self.generate_slot)
            self.generate_panel.open_checkpoint(path)

    def _open_model_from_run(self, path: str, label: str) -> None:
        self.generate_panel.add_model(path, label)
        self.tabs.setCurrentWidget(self.generate_slot)
        self.generate_panel.open_checkpoint(path)

    def export_current(self) -> None:
        """Exports what the current tab shows: the live loss chart on Train, the tunes on Generate."""
        if self.tabs.currentWidget() is self.train_panel:
            self._export_live_chart()
        elif self.tabs.currentWidget() is self.generate_slot:
            self.generate_panel.export_current()
        else:
            self.show_status("The Quality tab writes its report with \"Open report\"; Export works on Train and "
                             "Generate.")

    def print_tunes(self) -> None:
        """File > Print...: the Generate tab's selected tunes (or its current tune), in Qt's print preview."""
        self.tabs.setCurrentWidget(self.generate_slot)
        self.generate_panel.print_current()

    def _export_live_chart(self) -> None:
        from studio.ui.widgets.plot_style import export_plot

        folder = settings.read("runs/export_folder", str(Path.home()))
        path, chosen = QFileDialog.getSaveFileName(self, "Export the loss chart", str(Path(folder) / "loss.png"),
                                                   "PNG image (*.png);;SVG drawing (*.svg)")
        if not path:
            return
        if not Path(path).suffix:  # the format of the filter the user picked
            path += ".svg" if "*.svg" in chosen else ".png"
        try:
            export_plot(self.train_panel.chart.plot, path)
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self, "Export", str(exc))
            return
        settings.write("runs/export_folder", str(Path(path).parent))
        self.show_status(f"Chart saved to {path}")

    def _show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{keys}</b>&nbsp;&nbsp;</td><td>{what}</td></tr>" for keys, what in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def _show_about(self) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            release = version("abc-studio")
        except PackageNotFoundError:
            release = "development version"
        QMessageBox.about(self, "About ABC Studio",
                          f"<h3>ABC Studio</h3><p>{release}</p><p>Train a character-level LSTM on folk tunes in "
                          "ABC notation, watch it learn, and play what it writes.</p><p>Runs are kept in "
                          f"{self.train_panel.store.root}</p>")

    # --- status -----------------------------------------------------------------------------------------------
    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 15_000)

    def _training_changed(self, training: bool) -> None:
        self.training_label.setText("Training..." if training else "")

    # --- drag and drop ----------------------------------------------------------------------------------------
    def _dropped_corpus(self, mime) -> str | None:
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and corpus_candidate(url.toLocalFile()):
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event) -> None:
        if self._dropped_corpus(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        path = self._dropped_corpus(event.mimeData())
        if path:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.open_dropped(path))

    def open_dropped(self, path: str) -> None:
        """A dropped file: tunes on the Generate tab, the corpus on the Train tab (a folder is always a corpus);
        elsewhere the window asks which."""
        tab = self.tabs.currentWidget()
        if Path(path).is_dir() or tab is self.train_panel:
            self.offer_corpus(path)
        elif tab is self.generate_slot:
            self.open_tunes(path)
        else:
            box = QMessageBox(QMessageBox.Question, "Open the file", f"Open {Path(path).name} as...", parent=self)
            tunes = box.addButton("Tunes to see and play", QMessageBox.AcceptRole)
            corpus = box.addButton("A corpus to train on", QMessageBox.AcceptRole)
            box.addButton(QMessageBox.Cancel)
            box.exec()
            if box.clickedButton() is tunes:
                self.open_tunes(path)
            elif box.clickedButton() is corpus:
                self.open_corpus(path)

    def offer_corpus(self, path: str) -> bool:
        """Asks whether to use ``path`` as the training corpus; loads it when the user agrees."""
        answer = QMessageBox.question(self, "Use as corpus?",
                                      f"Train on the tunes in\n{path}?\n\nIt is loaded and checked first; "
                                      "the report shows what was kept and dropped.")
        if answer == QMessageBox.Yes:
            self.open_corpus(path)
            return True
        return False

    # --- state and closing --------------------------------------------------------------------------------------
    def _restore_state(self) -> None:
        geometry = settings.read("window/geometry", b"")
        if geometry:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        state = settings.read("window/state", b"")
        if state:
            self.restoreState(state)
        splitter = settings.read("window/train_splitter", b"")
        if splitter:
            self.train_panel.splitter.restoreState(splitter)
        self.tabs.setCurrentIndex(min(settings.read("window/tab", 0), self.tabs.count() - 1))

    def _save_state(self) -> None:
        settings.write("window/geometry", self.saveGeometry())
        settings.write("window/state", self.saveState())
        settings.write("window/train_splitter", self.train_panel.splitter.saveState())
        settings.write("window/tab", self.tabs.currentIndex())

    def ask_to_stop_training(self) -> bool:
        """While a run trains: True when the user chooses to stop it (it is kept), False to cancel the close."""
        box = QMessageBox(QMessageBox.Question, "A run is training",
                          "A training run is in progress. Stop it and close? The run, its loss log and its last "
                          "checkpoint are kept, and it can be resumed from the Runs list.", parent=self)
        stop = box.addButton(STOP_AND_KEEP, QMessageBox.AcceptRole)
        box.addButton(QMessageBox.Cancel)
        box.setDefaultButton(stop)
        box.exec()
        return box.clickedButton() is stop

    def closeEvent(self, event) -> None:
        if self.generate_slot.is_built() and not self.generate_panel.books.confirm_discard():
            event.ignore()
            self.close_refused.emit()
            return
        if self.train_panel.is_training():
            if not self.ask_to_stop_training():
                event.ignore()
                self.close_refused.emit()
                return
            self.show_status("Stopping the run and saving its checkpoint...")
            self.train_panel.stop_and_wait()
        else:
            self.train_panel.stop_and_wait()
        for slot in (self.generate_slot, self.quality_slot):
            if slot.is_built():
                slot.widget().shutdown()  # stops their worker threads (child widgets get no closeEvent)
        stop_all()  # anything still running off the GUI thread is stopped and joined (bounded)
        self._save_state()
        event.accept()
