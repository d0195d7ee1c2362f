"""Compose with the model in the Generate tab: click notes in the score, regenerate the chosen bars, audition, accept.

Clicking an engraved note selects its characters in the editor (through :class:`~studio.core.engraving.score_map.ScoreMap`;
selecting text marks its notes in the score), so the inspector shows what the model expected there, as selecting
text does; shift-click extends the selection to whole bars up to the note clicked. Regenerate (the button, the
editor's context menu or Ctrl+R) samples candidates for the chosen bars off the GUI thread
(:mod:`studio.ui.widgets.threads`; Stop cancels) with :func:`~studio.core.generation.regenerate.regenerate` at the dial's temperature;
the ranked candidates are listed with their scores and a reason. New strain (a button and the context menu) does the
same for a strain written after the last one (:func:`~studio.core.generation.new_strain.new_strain`), inserted where the tune
ends. Selecting one engraves the tune with it in place, the changed bars marked, and plays it from one bar before;
Accept writes it into the editor as one undo step; Escape puts the tune as written back. The panel places itself
beside the score; the Generate tab only creates it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QPen, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QProgressBar, QPushButton, QVBoxLayout, QWidget,
)

from studio.core.engraving.score_map import ScoreMap
from studio.core.generation.regenerate import RegenerationError, select_characters, tune_bars
from studio.ui.widgets.threads import Worker, start_worker

CANDIDATES = 12
#: How the bars of the candidate being auditioned are marked in the score.
CHANGED = QColor(60, 140, 255, 70)


class RegenerateWorker(Worker):
    """Loads the chosen model (cached) and regenerates the selection (None: writes a new strain after the last);
    ``progressed(str)`` says what it does."""

    progressed = Signal(str)

    def __init__(self, checkpoint: str, text: str, selection, temperature: float, seed: int):
        super().__init__()
        self.args = checkpoint, text, selection, temperature, seed

    def work(self):
        from studio.core.generation.new_strain import new_strain
        from studio.core.generation.regenerate import regenerate
        from studio.ui.generate.sampling_worker import load_sampler

        checkpoint, text, selection, temperature, seed = self.args
        self.progressed.emit("loading the model")
        sampler, options = load_sampler(checkpoint), dict(should_stop=self.is_cancelled, progress=self.progressed.emit)
        if selection is None:
            return new_strain(sampler, text, CANDIDATES, temperature, seed, **options)
        return regenerate(sampler, text, selection, CANDIDATES, temperature, seed, **options)


class RegeneratePanel(QWidget):
    """The candidates list and its buttons, and the clickable score (see the module docstring)."""

    candidates_ready = Signal(int)

    def __init__(self, panel):
        super().__init__()
        self.panel, self.editor, self.score = panel, panel.tune_editor.editor, panel.score
        self.map: ScoreMap | None = None
        self.result = None
        self.original_text = ""
        self._thread = None
        self._seed = 0
        self._marked: tuple[int, int] | None = None
        self.changed_marks: list = []
        self._build()
        panel.score.parentWidget().insertWidget(1, self)  # beside the score, before the inspector
        panel.preview_ready.connect(self._on_preview)
        self.score.viewport().installEventFilter(self)
        self.editor.selectionChanged.connect(self._on_text_selected)

    def _build(self) -> None:
        self.info = QLabel("Click a note in the score (shift-click: up to another bar), then Regenerate.")
        self.info.setWordWrap(True)
        self.regenerate_button = QPushButton("Regenerate bars")
        self.regenerate_button.setToolTip("Other bars in place of the selected ones, ranked by how they lead into "
                                          "the next bars (Ctrl+R)")
        self.new_strain_button = QPushButton("New strain")
        self.new_strain_button.setToolTip("A strain after the last one, in the tune's form, ranked by its likelihood "
                                          "and how the tune ends after it")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.accept_button = QPushButton("Accept")
        self.accept_button.setEnabled(False)
        self.restore_button = QPushButton("Restore (Esc)")
        self.restore_button.setEnabled(False)
        buttons = QHBoxLayout()
        for button in (self.regenerate_button, self.new_strain_button, self.stop_button):
            buttons.addWidget(button)
        choices = QHBoxLayout()
        for button in (self.accept_button, self.restore_button):
            choices.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.info)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.list, 1)
        layout.addLayout(choices)
        self.regenerate_button.clicked.connect(self.regenerate)
        self.new_strain_button.clicked.connect(self.write_new_strain)
        self.stop_button.clicked.connect(self.stop)
        self.list.currentRowChanged.connect(self._audition)
        self.accept_button.clicked.connect(self.accept_candidate)
        self.restore_button.clicked.connect(self.restore)
        for keys, slot, where in (("Ctrl+R", self.regenerate, self.panel), ("Escape", self.restore, self.panel)):
            shortcut = QShortcut(QKeySequence(keys), where)
            shortcut.setContext(Qt.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.editor.setContextMenuPolicy(Qt.CustomContextMenu)
        self.editor.customContextMenuRequested.connect(self._context_menu)

    def _context_menu(self, position) -> None:
        menu = self.editor.createStandardContextMenu()
        menu.addSeparator()
        menu.addAction("Regenerate these bars", self.regenerate)
        menu.addAction("Write a new strain after the last", self.write_new_strain)
        menu.exec(self.editor.mapToGlobal(position))

    # ------------------------------------------------------------------ the clickable score
    def _on_preview(self, preview) -> None:
        self.map = ScoreMap(preview.text, preview.rendering.pages) if preview.engraved else None
        self.changed_marks = []  # the score's scene was cleared with its marks
        if self._marked and self.map is not None and preview.text != self.editor.toPlainText():
            for note_id in self.map.ids_in(*self._marked):  # the candidate's bars, apart from the playing cursor
                rect = self.score.note_rect(note_id)
                if rect is not None:
                    mark = self.score.scene().addRect(rect.adjusted(-3, -3, 3, 3), QPen(Qt.NoPen), QBrush(CHANGED))
                    mark.setZValue(9)
                    self.changed_marks.append(mark)
            self._seek_to_bar_before()

    def _seek_to_bar_before(self) -> None:
        """Plays the audition from one bar before the candidate (the Generate tab starts playing right after)."""
        start = self.result.selection.start if self.result is not None else None
        earlier = [b for b in tune_bars(self.map.text) if start is not None and b.end <= start]
        ids = self.map.ids_in(earlier[-1].start, earlier[-1].end) if earlier else []
        cursor = self.panel.playback.cursor
        start = cursor.start_of(ids[0]) if ids and cursor is not None else None
        if start is not None:
            self.panel.playback.player.seek(start)

    def _on_text_selected(self) -> None:
        """Selected text shows its notes in the score (while nothing plays: the playing cursor uses the marks)."""
        cursor = self.editor.textCursor()
        if self.map is not None and cursor.hasSelection() and self.map.text == self.editor.toPlainText() \
                and not self.panel.playback.is_playing:
            self.score.highlight(self.map.ids_in(cursor.selectionStart(), cursor.selectionEnd()))

    def note_at(self, scene_point) -> str | None:
        """The id of the engraved note drawn under a point of the scene, if any."""
        if self.map is None:
            return None
        for note_id in self.map.ids_in(0, len(self.map.text)):
            rect = self.score.note_rect(note_id)
            if rect is not None and rect.adjusted(-2, -2, 2, 2).contains(scene_point):
                return note_id
        return None

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == event.Type.MouseButtonPress and event.button() == Qt.LeftButton:
            note_id = self.note_at(self.score.mapToScene(event.position().toPoint()))
            if note_id is not None:
                self.click_note(note_id, bool(event.modifiers() & Qt.ShiftModifier))
                return True
        return False

    def click_note(self, note_id: str, extend: bool = False) -> None:
        """Selects the note's characters (shift: whole bars from the selection's start to this note)."""
        if self.map is None or self.map.text != self.editor.toPlainText():
            return
        start, end = self.map.range_of(note_id)
        cursor = self.editor.textCursor()
        if extend and cursor.hasSelection():
            try:
                selection = select_characters(self.map.text, min(cursor.selectionStart(), start),
                                              max(cursor.selectionEnd(), end))
            except RegenerationError as exc:
                self.info.setText(str(exc))
                return
            start, end = selection.start, selection.end
            self.info.setText(f"{selection.label()} selected: Regenerate (Ctrl+R)")
        self.panel.inspector.show_distribution_at(end)  # what the model expected, as selecting text shows it
        cursor.setPosition(end)
        cursor.setPosition(start, QTextCursor.KeepAnchor)
        self.editor.setTextCursor(cursor)
        self.score.highlight(self.map.ids_in(start, end))

    # ------------------------------------------------------------------ regenerating
    @property
    def is_running(self) -> bool:
        return self._thread is not None

    def regenerate(self) -> None:
        """Candidates for the selected bars (widened to whole bars)."""
        if self.is_running:
            return
        cursor = self.editor.textCursor()
        try:
            selection = select_characters(self.editor.toPlainText(), cursor.selectionStart(), cursor.selectionEnd())
        except RegenerationError as exc:
            self.info.setText(str(exc))
            return
        self._start(selection)

    def write_new_strain(self) -> None:
        """Candidates for a new strain after the tune's last one."""
        self._start(None)

    def _start(self, selection) -> None:
        if self.is_running:
            return
        text, checkpoint = self.editor.toPlainText(), self.panel.inspector.checkpoint_path
        if not checkpoint:
            self.info.setText("choose a model first")
            return
        self.restore()
        self.original_text = text
        self._seed += 1
        worker = RegenerateWorker(checkpoint, text, selection, self.panel.temperature, self._seed)
        worker.progressed.connect(lambda message: self.info.setText(message + "..."))
        worker.succeeded.connect(self._on_candidates)
        worker.failed.connect(lambda message: self.info.setText(f"Cannot regenerate: {message}"))
        worker.finished.connect(self._on_finished)
        self.progress.show()
        self.stop_button.setEnabled(True)
        self.regenerate_button.setEnabled(False)
        self.new_strain_button.setEnabled(False)
        self._thread = start_worker(worker, self)

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.cancel()

    def _on_finished(self) -> None:
        self._thread = None
        self.progress.hide()
        self.stop_button.setEnabled(False)
        self.regenerate_button.setEnabled(True)
        self.new_strain_button.setEnabled(True)

    def _on_candidates(self, result) -> None:
        if self.original_text != self.editor.toPlainText():
            self.info.setText("The tune changed while regenerating: try again")
            return
        self.result = result
        self.list.clear()
        for candidate in result.candidates:
            item = QListWidgetItem(f"{candidate.rank}. {candidate.bars.strip()}\n   {candidate.score:+.1f} nats: "
                                   f"{candidate.reason}")
            item.setToolTip(f"the bars {candidate.own:.1f} nats, the rest of the tune after them "
                            f"{candidate.after:.1f} nats")
            self.list.addItem(item)
        notes = " ".join(result.notes)
        self.info.setText(f"{result.selection.label()}: {len(result.candidates)} candidates, best first. {notes}")
        self.restore_button.setEnabled(True)
        self.candidates_ready.emit(len(result.candidates))

    def _audition(self, row: int) -> None:
        if self.result is None or not 0 <= row < len(self.result.candidates):
            return
        self.editor.settle_now()  # an edit's preview still pending would replace the candidate's
        candidate = self.result.candidates[row]
        start = self.result.selection.start
        self._marked = (start, start + len(candidate.bars))
        self.accept_button.setEnabled(True)
        self.panel._play_when_ready = True  # play it as soon as it is engraved
        self.panel.request_preview(candidate.text)

    def accept_candidate(self) -> None:
        """Writes the chosen candidate into the editor as one undo step."""
        row = self.list.currentRow()
        if self.result is None or not 0 <= row < len(self.result.candidates):
            return
        candidate, selection = self.result.candidates[row], self.result.selection
        cursor = self.editor.textCursor()
        cursor.beginEditBlock()
        cursor.setPosition(selection.start)
        cursor.setPosition(selection.end, QTextCursor.KeepAnchor)
        cursor.insertText(candidate.bars)
        cursor.endEditBlock()
        self._clear()
        self.info.setText(f"{selection.label()} replaced (Ctrl+Z undoes it)")

    def restore(self) -> None:
        """Drops the candidates and shows the tune as written."""
        if self.result is None:
            return
        self._clear()
        self.panel.request_preview(self.editor.toPlainText())
        self.info.setText("The tune as written is back")

    def _clear(self) -> None:
        self.result, self._marked = None, None
        self.list.clear()
        self.accept_button.setEnabled(False)
        self.restore_button.setEnabled(False)

    def shutdown(self) -> None:
        if self._thread is not None:
            self._thread.stop_and_wait(5000)
