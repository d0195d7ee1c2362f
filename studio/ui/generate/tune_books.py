"""The Generate tab's tunes as a tune book: always kept in the data folder, opened from and saved to ``.abc`` files.

``TuneBooks`` saves the list (every tune with its settings, the selection, the open book's name) about half a second
after each change and when the window closes, and restores it at start (``studio.core.tune_store``). It opens a tune
book into the list (``open_book``), writes the list or the selected tunes to one (``save_book``), remembers recent
books and asks Save / Discard / Cancel before unsaved changes to a named book would be lost (``confirm_discard``).
``book_changed`` tells the window to show the book's name and unsaved mark.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox

from studio.core.atomic_files import write_text_atomic
from studio.core.paths import data_home
from studio.core.tune_book import StoredTune, TuneBookError, read_book_tunes, write_tune_book
from studio.core.tune_store import TuneListState, load_tune_list, save_tune_list, tune_opening, tune_problems
from studio.ui.generate.tune_list import TuneEntry, TuneList
from studio.ui.widgets import settings
from studio.ui.widgets.threads import BackgroundCall

SAVE_DELAY_MS = 500  # the list is written this long after the last change (a crash loses at most this)
RECENT_KEY = "tunes/recent_books"
RECENT_COUNT = 8
BOOK_FILTER = "ABC tune books (*.abc *.txt);;All files (*)"


class TuneBooks(QObject):
    """Keeps ``tunes`` (a ``TuneList``) saved; opens and saves tune books. Dialogs are parented to ``window``."""

    book_changed = Signal()
    checked = Signal(int)  # after an opened book was checked: how many tunes have problems
    status_changed = Signal(str)
    problem_found = Signal(str)

    def __init__(self, tunes: TuneList, window, parent=None):
        super().__init__(parent)
        self.tunes = tunes
        self.window = window
        self.book_path = ""
        self.modified = False
        self._restoring = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self.save_now)
        tunes.changed.connect(self._on_changed)

    # ------------------------------------------------------------------ always saved
    def restore(self) -> str:
        """Fills the list from the store; returns a message when the store was damaged (set aside), else ''."""
        loaded = load_tune_list()
        state = loaded.state
        self._restoring = True
        try:
            self.tunes.replace_all([TuneEntry.from_stored(t) for t in state.tunes], state.current, state.selected)
        finally:
            self._restoring = False
        self.book_path, self.modified = state.book_path, state.book_modified and bool(state.book_path)
        self._saved_book = None if self.modified else write_tune_book(self.tunes.entries)
        self.book_changed.emit()
        if loaded.message:
            self.problem_found.emit(loaded.message)
        return loaded.message

    def state(self) -> TuneListState:
        entries = [e for e in self.tunes.entries if not e.generating]
        rows = {id(e): row for row, e in enumerate(entries)}
        current = self.tunes.current_entry
        return TuneListState([StoredTune.of(e) for e in entries], rows.get(id(current), -1),
                             [rows[id(e)] for e in self.tunes.selected_entries() if id(e) in rows],
                             self.book_path, self.modified)

    def _on_changed(self) -> None:
        if self._restoring:
            return
        if self.book_path and not self.modified and self._content_changed():
            self.modified = True
            self.book_changed.emit()
        self._timer.start()

    def _content_changed(self) -> bool:
        return write_tune_book(self.tunes.entries) != self._saved_book

    _saved_book = None

    def save_now(self) -> bool:
        """Writes the list to the store now (the debounced save and closing call this)."""
        self._timer.stop()
        try:
            save_tune_list(self.state())
        except OSError as exc:
            self.problem_found.emit(f"Could not keep the tunes in the data folder: {exc.strerror or exc}")
            return False
        return True

    # ------------------------------------------------------------------ books
    @property
    def book_name(self) -> str:
        return Path(self.book_path).name if self.book_path else ""

    def open_dialog(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open tunes", settings.read("tunes/folder", ""),
                                              BOOK_FILTER)
        return bool(path) and self.open_book(path)

    def open_book(self, path: str) -> bool:
        """Replaces the list by the tunes of the book at ``path`` (after asking about unsaved changes). A file that
        is no tune book leaves the list as it was, with a message."""
        try:
            tunes = read_book_tunes(path)
        except TuneBookError as exc:
            self.problem_found.emit(f"Could not open the tune book: {exc}")
            self.status_changed.emit("The tune book was not opened; the list is unchanged")
            return False
        if not self.confirm_discard("Open tune book"):
            return False
        kept = self._set_aside_unnamed()
        entries = [TuneEntry.from_stored(t) for t in tunes]
        self.tunes.replace_all(entries, 0 if tunes else -1)
        self._named(path)
        self._check(entries)
        self.status_changed.emit(f"Opened {len(tunes)} tune(s) from {Path(path).name}" + (
            f"; the tunes that were in the list are kept in {kept} (File > Recent tune books)" if kept else
            "; pick one to see its problems, play it or continue from it"))
        return True

    def _check(self, entries: list[TuneEntry]) -> None:
        """Checks the opened tunes off the GUI thread; those with problems get a warning mark and tooltip."""
        self._check_call = BackgroundCall(tune_problems, [e.text for e in entries], parent=self)
        self._check_call.succeeded.connect(lambda summaries: self._checked(entries, summaries))
        self._check_call.start()

    def _checked(self, entries: list[TuneEntry], summaries: list[str]) -> None:
        marked = self.tunes.mark_problems(entries, summaries)
        self.checked.emit(marked)
        if marked:
            self.status_changed.emit(f"{marked} of {len(entries)} tune(s) have problems (marked with a warning "
                                     "sign); pick one to see them in the editor")

    def _set_aside_unnamed(self) -> Path | None:
        """The list's tunes when they are in no tune book, written to ``<data folder>/set-aside/`` (and offered
        among the recent books) before another book replaces them; None when there was nothing to keep."""
        entries = [e for e in self.tunes.entries if not e.generating and e.text.strip()]
        if self.book_path or not entries:
            return None
        folder = data_home() / "set-aside"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"tunes-{datetime.now():%Y%m%d-%H%M%S-%f}.abc"
        write_text_atomic(path, write_tune_book(entries))
        settings.write(RECENT_KEY, [str(path)] + self.recent_books()[:RECENT_COUNT - 1])
        return path

    def save_book(self, path: str | None = None, selected_only: bool = False) -> bool:
        """Writes the list (or the selected tunes) to ``path`` (default: the open book) as one ABC tune book with
        the generation settings in ``%`` comments. Saving the whole list names the book (title, recent books)."""
        path = path or self.book_path
        if not path:
            return self.save_as_dialog()
        entries = self.tunes.selected_entries() if selected_only else [
            e for e in self.tunes.entries if not e.generating]
        try:
            write_text_atomic(path, write_tune_book(entries))
        except OSError as exc:
            self.problem_found.emit(f"Could not save the tune book {path}: {exc.strerror or exc}")
            return False
        if not selected_only:
            self._named(path)
        self.status_changed.emit(f"Saved {len(entries)} tune(s) to {path}")
        return True

    def save_as_dialog(self, selected_only: bool = False) -> bool:
        start = self.book_path or str(Path(settings.read("tunes/folder", str(Path.home()))) / "tunes.abc")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save selected tunes as" if selected_only else
                                              "Save tune book as", start, BOOK_FILTER)
        if not path:
            return False
        return self.save_book(path if Path(path).suffix else path + ".abc", selected_only)

    def _named(self, path: str) -> None:
        self.book_path, self.modified = str(Path(path).resolve()), False
        self._saved_book = write_tune_book(self.tunes.entries)
        settings.write("tunes/folder", str(Path(path).parent))
        recent = [self.book_path] + [p for p in self.recent_books() if p != self.book_path]
        settings.write(RECENT_KEY, recent[:RECENT_COUNT])
        self.book_changed.emit()
        self.save_now()

    @staticmethod
    def recent_books() -> list[str]:
        value = settings.read(RECENT_KEY, [])
        return [value] if isinstance(value, str) else [str(p) for p in value or []]

    def confirm_discard(self, title: str = "Unsaved tune book") -> bool:
        """True when nothing unsaved would be lost, or the user saved or chose to discard; False on Cancel."""
        if not (self.book_path and self.modified):
            return True
        answer = QMessageBox.question(self.window, title,
                                      f"The tune book {self.book_name} has unsaved changes. Save them?",
                                      QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if answer == QMessageBox.Save:
            return self.save_book()
        return answer == QMessageBox.Discard


def continue_from(form, text: str) -> None:
    """Fills the sampling form's primer with the opening of ``text`` (headers and first two bars, without its X:
    line; the meter and key come from the tune, so the form's own are set to "any")."""
    opening = "\n".join(line for line in tune_opening(text).split("\n") if not line.startswith("X:"))
    for combo in (form.meter_combo, form.key_combo):
        if combo.findText("any") >= 0:
            combo.setCurrentText("any")
    form.primer_edit.setText(opening.replace("\\", "\\\\").replace("\n", "\\n"))
