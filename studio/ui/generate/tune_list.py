"""The Generate tab's tunes: the list (with the settings that made each tune) and the text pane that edits one.

``TuneList`` holds the ``TuneEntry`` rows: tunes being written stream in (``start_generating``, ``append_chunk``,
``finish_generating``), typed or pasted tunes are added with ``add_tune``, and ``tune_book()`` writes them all as one
ABC file. ``changed`` is emitted after anything that should be saved (see ``tune_books.TuneBooks``); a row's title
follows its tune's ``T:`` line as it is edited. Each entry keeps its own text document, so undo and redo survive
switching between tunes. ``TuneEditor`` is the ABC text with its problems and the Repair button; it reports through
``status_changed`` and ``problem_found`` signals. Buttons go into one row each: a new one is an ``add_button`` away.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextDocumentLayout,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.core.abc.text import tune_title
from studio.core.tune_book import TuneSettings, write_tune_book
from studio.ui.generate.abc_editor import AbcEditor, ProblemList
from studio.ui.widgets.threads import BackgroundCall

MAX_TITLE_CHARS = 32  # a model's T: line can be any junk
REPAIR_IN_PLACE_CHARS = 5_000  # longer texts are repaired on a background thread (~20 us a character)
NEW_TUNE = "X:1\nT:My tune\nM:4/4\nL:1/8\nK:D\n"


@dataclass(kw_only=True)
class TuneEntry(TuneSettings):
    """One row of the tune list: its ABC and the settings that made it (:class:`TuneSettings`; no temperature for
    typed or pasted tunes)."""

    text: str
    title: str
    generating: bool = False
    critic: dict | None = None
    """The critic's score (``CriticScore.as_dict()``) when best-of-N picked this tune."""
    best_of: int = 1

    def mode(self) -> str:
        """Which sampling made the tune, in a few words: ``strict AABB``, ``strict``, ``free bars``."""
        if self.bars != "strict":
            return "free bars"
        return "strict" + (f" {self.form}" if self.form != "free" else "")

    def critic_lines(self) -> list[str]:
        """The critic's score and one line per part with its reason (empty when no critic scored the tune)."""
        if not self.critic:
            return []
        parts = [f"  {p['name']} {p['points']:.1f}/{p['weight']:g}: {p['reason']}" for p in self.critic["parts"]]
        return [f"critic score {self.critic['total']:.0f} (best of {self.best_of})"] + parts

    def summary(self) -> str:
        """One line under the list: how the tune was made and, when a critic scored it, its weakest points."""
        if self.temperature is None or self.generating:
            return ""
        line = f"{self.mode()}, T={self.temperature:g}, seed {self.seed}"
        if not self.critic:
            return line
        losses = sorted((p for p in self.critic["parts"] if p["points"] < p["weight"] - 0.05),
                        key=lambda p: p["points"] - p["weight"])
        why = "; ".join(p["reason"] for p in losses[:2]) or "no weak point"
        return f"{line}; best of {self.best_of}, score {self.critic['total']:.0f}: {why}"
    #: the editor's document of this tune (its undo history), made when the tune is first shown
    document: QTextDocument | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_stored(cls, stored) -> "TuneEntry":
        """An entry from a ``StoredTune`` (settings this entry has no field for are left out)."""
        names = {f.name for f in fields(cls)} - {"document", "generating"}
        return cls(**{name: value for name, value in vars(stored).items() if name in names})

    def label(self) -> str:
        title = self.title if len(self.title) <= MAX_TITLE_CHARS else self.title[:MAX_TITLE_CHARS - 1] + "…"
        if self.generating:
            return f"{title} (writing...)"
        if self.temperature is None:
            return title
        model = self.model.rsplit("/", 1)[-1]
        text = f"{title}  ·  {self.mode()}  T={self.temperature:g}  seed {self.seed}"
        if self.critic:
            text += f"  ·  score {self.critic['total']:.0f}"
        return text + ("" if self.complete else "  (cut at length)") + (f"  ·  {model}" if model else "")

    def details(self) -> str:
        if self.temperature is None:
            return "Typed or pasted tune"
        primer = self.primer.replace("\n", "\\n")
        bars = ("strict (every bar adds up)" if self.bars == "strict" else "free (the lab's plain sampling)")
        lines = [f"model: {self.model or '?'}", f"temperature: {self.temperature:g}", f"seed: {self.seed}",
                 f"primer: {primer}", f"bars: {bars}", f"form: {self.form}",
                 "complete" if self.complete else "stopped at the length limit"]
        return "\n".join(lines + self.critic_lines())



class TuneList(QGroupBox):
    """The "Tunes" box. ``current_changed(row)`` when another tune is picked; ``created`` after "New tune";
    ``removed(row)`` after "Remove"; ``changed`` after any change worth saving; ``continue_requested(text)`` when
    "Continue" asks the model to carry on from the current tune."""

    current_changed = Signal(int)
    created = Signal()
    removed = Signal(int)
    changed = Signal()
    continue_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__("Tunes", parent)
        self.entries: list[TuneEntry] = []
        self.first_new_row = 0
        self.list = QListWidget()
        self.list.setToolTip("Generated tunes with their settings; pick one to see, edit and play it.")
        self.new_tune_button = QPushButton("New tune")
        self.new_tune_button.setToolTip("An empty tune to type or paste ABC into")
        self.remove_tune_button = QPushButton("Remove")
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("Continue from this tune: its headers and first two bars become the primer")
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setStyleSheet("color: #555;")
        self.detail.setToolTip("How the current tune was made; hover a tune for every part of its critic score.")
        self.buttons = QHBoxLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(self.detail)
        layout.addLayout(self.buttons)
        self.add_button(self.new_tune_button)
        self.add_button(self.remove_tune_button)
        self.add_button(self.continue_button)
        self.list.setSelectionMode(QListWidget.ExtendedSelection)
        self.list.currentRowChanged.connect(self.current_changed)
        self.list.itemSelectionChanged.connect(self.changed)
        self.continue_button.clicked.connect(self._continue_current)
        self.list.currentRowChanged.connect(self._show_detail)
        self.new_tune_button.clicked.connect(self.new_tune)
        self.remove_tune_button.clicked.connect(self.remove_current_tune)

    def _show_detail(self) -> None:
        entry = self.current_entry
        self.detail.setText(entry.summary() if entry else "")
        self.detail.setVisible(bool(self.detail.text()))

    def add_button(self, button: QPushButton) -> None:
        self.buttons.addWidget(button)

    @property
    def current_entry(self) -> TuneEntry | None:
        row = self.list.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def _add_entry(self, entry: TuneEntry) -> None:
        self.entries.append(entry)
        item = QListWidgetItem(entry.label())
        if not entry.generating:
            item.setToolTip(entry.details())
        self.list.addItem(item)

    def add_tune(self, text: str, title: str = "") -> int:
        """Adds a typed or pasted tune and makes it the current one; returns its row."""
        from studio.core.abc.text import tune_title

        self._add_entry(TuneEntry(text=text, title=title or tune_title(text, f"Tune {len(self.entries) + 1}")))
        self.list.setCurrentRow(len(self.entries) - 1)
        self.changed.emit()
        return len(self.entries) - 1

    def set_entry_text(self, entry: TuneEntry, text: str) -> None:
        """The edited ``text`` of ``entry``; its row's title follows the ``T:`` line."""
        row = next((r for r, e in enumerate(self.entries) if e is entry), None)
        if row is None or entry.text == text:
            return
        entry.text = text
        entry.title = tune_title(text, entry.title)
        self.list.item(row).setText(entry.label())
        self.changed.emit()

    def replace_all(self, entries: list[TuneEntry], current: int = -1, selected: list[int] = ()) -> None:
        """The list becomes ``entries`` with ``current`` the current row and ``selected`` the selected rows."""
        self.list.blockSignals(True)
        try:
            self.entries = []
            self.first_new_row = 0
            self.list.clear()
            for entry in entries:
                self._add_entry(entry)
            for row in selected:
                self.list.item(row).setSelected(True)
        finally:
            self.list.blockSignals(False)
        if 0 <= current < len(entries):
            self.list.setCurrentRow(current, self.list.selectionModel().SelectionFlag.Current)
        self.current_changed.emit(self.list.currentRow())

    def mark_problems(self, entries: list[TuneEntry], summaries: list[str]) -> int:
        """Marks the rows of ``entries`` still in the list whose summary is not empty (a warning icon, the summary
        as tooltip); returns how many were marked."""
        rows = {id(e): row for row, e in enumerate(self.entries)}
        icon = self.style().standardIcon(self.style().StandardPixmap.SP_MessageBoxWarning)
        self.list.setIconSize(QSize(12, 12))  # a small mark, rows keep their height
        marked = 0
        for entry, summary in zip(entries, summaries):
            if summary and id(entry) in rows:
                item = self.list.item(rows[id(entry)])
                item.setIcon(icon)
                item.setToolTip(f"{entry.details()}\n{summary}")
                marked += 1
        return marked

    def selected_rows(self) -> list[int]:
        return sorted(index.row() for index in self.list.selectedIndexes())

    def selected_entries(self) -> list[TuneEntry]:
        return [self.entries[row] for row in self.selected_rows() if not self.entries[row].generating]

    def _continue_current(self) -> None:
        entry = self.current_entry
        if entry is not None and not entry.generating and entry.text.strip():
            self.continue_requested.emit(entry.text)

    def new_tune(self) -> None:
        self.add_tune(NEW_TUNE, "My tune")
        self.created.emit()

    def remove_current_tune(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.entries) and not self.entries[row].generating:
            del self.entries[row]
            self.list.takeItem(row)
            self.removed.emit(row)
            self.changed.emit()

    def tune_book(self) -> str:
        return write_tune_book(e for e in self.entries if not e.generating)

    # ------------------------------------------------------------------ tunes being written
    def start_generating(self, count: int, model: str, temperature: float, primer: str) -> int:
        """Adds ``count`` rows for tunes the model is about to write; returns the first row."""
        self.first_new_row = len(self.entries)
        for _ in range(count):
            self._add_entry(TuneEntry(text="", title=f"Tune {len(self.entries) + 1}", model=model,
                                      temperature=temperature, primer=primer, generating=True))
        return self.first_new_row

    def append_chunk(self, index: int, chunk: str) -> bool:
        """Adds characters to the ``index``-th tune being written; True when it is the current tune."""
        row = self.first_new_row + index
        if row >= len(self.entries):
            return False
        self.entries[row].text += chunk
        return self.list.currentRow() == row

    def finish_generating(self, tunes: list) -> None:
        """Fills the rows with the finished ``GeneratedTune``s (text, title, seed, complete)."""
        for tune in tunes:
            row = self.first_new_row + tune.index
            if row >= len(self.entries):
                continue
            entry = self.entries[row]
            entry.take_settings(tune)
            entry.text, entry.title, entry.generating = tune.text, tune.title(), False
            entry.critic, entry.best_of = tune.extra.get("critic"), tune.extra.get("best_of", 1)
            item = self.list.item(row)
            item.setText(entry.label())
            item.setToolTip(entry.details())
        self.changed.emit()
        self._show_detail()

    def drop_generating(self) -> None:
        """Removes the rows of tunes that were never finished (generation failed)."""
        for row in range(len(self.entries) - 1, self.first_new_row - 1, -1):
            if self.entries[row].generating:
                del self.entries[row]
                self.list.takeItem(row)


class TuneEditor(QWidget):
    """The ABC text of the current tune beside its problems and the Repair button."""

    text_settled = Signal(str)
    status_changed = Signal(str)
    problem_found = Signal(str)
    left_behind = Signal(object, str)  # (entry, its text) when another tune is shown before an edit settled

    def __init__(self, parent=None):
        super().__init__(parent)
        self.editor = AbcEditor()
        self.problems = ProblemList()
        self.problems.setMinimumWidth(220)
        self.repair_button = QPushButton("Repair")
        self.repair_button.setToolTip("Fix what makes the ABC unreadable (stray or unclosed brackets, quotes, "
                                      "junk, missing headers); bar lengths are left alone. Ctrl+Z undoes it.")
        self.repair_button.setEnabled(False)
        problems_box = QWidget()
        problems_layout = QVBoxLayout(problems_box)
        problems_layout.setContentsMargins(0, 0, 0, 0)
        problems_layout.addWidget(self.problems, 1)
        problems_layout.addWidget(self.repair_button)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.editor)
        split.addWidget(problems_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self._repair_call = None
        self.shown_entry: TuneEntry | None = None
        self.editor.text_settled.connect(self.text_settled)
        self.problems.problem_activated.connect(self.editor.go_to)
        self.repair_button.clicked.connect(self.repair_current)

    def show_report(self, text: str, report) -> None:
        """Marks the problems of ``report`` (a ``ValidationReport`` of ``text``, or None when checking failed)."""
        problems = report.problems if report else []
        if report is None:
            summary = "The ABC could not be checked."
        elif not problems:
            summary = "No problems found."
        else:
            summary = f"{len(problems)} problem(s)"
            if report.bars_checked:
                summary += f"; {report.bars_failed} of {report.bars_checked} bars do not add up"
        if self.editor.toPlainText() == text:
            self.editor.set_problems(problems)
        self.problems.set_problems(problems, summary)
        self.repair_button.setEnabled(report is not None and not report.structurally_valid)

    def clear(self) -> None:
        self.problems.set_problems([])
        self.shown_entry = None
        self.editor.show_document(self._new_document(""))

    def _new_document(self, text: str) -> QTextDocument:
        document = QTextDocument(self)
        document.setDocumentLayout(QPlainTextDocumentLayout(document))
        document.setDefaultFont(self.editor.font())
        document.setPlainText(text)  # no undo history before it
        return document

    def show_tune(self, entry: TuneEntry) -> None:
        """Shows ``entry`` in its own document (made now if it has none), so its undo history is its own. A tune
        being written gets a throw-away document: the streamed characters are no edits to undo."""
        previous = self.shown_entry
        if previous is not None and previous.document is not None and previous is not entry:
            text = previous.document.toPlainText()
            if text != previous.text and not previous.generating:
                self.left_behind.emit(previous, text)
        if entry.generating:
            document = self._new_document(entry.text)
        else:
            if entry.document is None or entry.document.toPlainText() != entry.text:
                entry.document = self._new_document(entry.text)
            document = entry.document
        self.shown_entry = entry
        self.editor.show_document(document)

    def repair_current(self) -> None:
        """Replaces the editor's text by its repaired version (one undo step); the score follows."""
        from studio.core.abc.repair import repair_tune

        text = self.editor.toPlainText()
        if len(text) <= REPAIR_IN_PLACE_CHARS:  # a normal tune repairs in a few ms
            try:
                self._apply_repair(text, repair_tune(text))
            except Exception as exc:  # a repair bug must not take the window down
                self.problem_found.emit(f"The repair failed: {exc}")
            return
        # about 20 microseconds a character: a huge paste is repaired off the GUI thread
        self.status_changed.emit(f"Repairing {len(text):,} characters...")
        call = BackgroundCall(repair_tune, text, parent=self)
        call.succeeded.connect(lambda repaired: self._apply_repair(text, repaired))
        call.failed.connect(lambda message: self.problem_found.emit(f"The repair failed: {message}"))
        call.start()
        self._repair_call = call

    def _apply_repair(self, original: str, repaired: str) -> None:
        if self.editor.toPlainText() != original:
            self.status_changed.emit("The text changed while it was being repaired; press Repair again")
        elif repaired != original:
            cursor = self.editor.textCursor()
            cursor.select(cursor.SelectionType.Document)
            cursor.insertText(repaired)
            self.status_changed.emit("Repaired the ABC (Ctrl+Z undoes it)")
