"""The ABC text beside the score: an editor that marks problems in the text and a list that names them.

``AbcEditor`` underlines each problem (red wavy line on the offending character up to the end of its token, or the
whole line for header-level problems) and shows the message as a tooltip; it emits ``text_settled`` once the user
has stopped typing for ``DEBOUNCE_MS``, so the score follows edits without re-engraving on every key.
``ProblemList`` lists the messages; activating one moves the editor's cursor there.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QPlainTextEdit, QTextEdit, QToolTip

DEBOUNCE_MS = 450
MAX_MARKED = 300
_TOKEN_END = set(" |:[]\n")


def problem_label(problem) -> str:
    """``line 3, column 7: the bar lasts 7/8 ...`` (columns shown 1-based)."""
    return f"line {problem.line}, column {problem.column + 1}: {problem.message}"


class AbcEditor(QPlainTextEdit):
    """A plain-text ABC editor with problem marks. ``set_text`` replaces the text without emitting ``text_settled``."""

    text_settled = Signal(str)
    #: The shown document's ``contentsChange`` (position, removed, added), whichever document is shown.
    contents_changed = Signal(int, int, int)
    #: ``show_document`` put another document (another tune's text and undo history) in the editor.
    document_replaced = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        font.setPointSize(max(font.pointSize(), 10))
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.setPlaceholderText("Generated ABC appears here. You can also type or paste a tune (X:, T:, M:, L:, K: "
                                "then the notes); the score follows your edits.")
        self._problems: list = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(lambda: self.text_settled.emit(self.toPlainText()))
        self._quiet = False
        # contentsChange, not textChanged: a syntax highlighter's repaint (surprise colouring) emits textChanged too
        self.document().contentsChange.connect(self._on_contents_change)

    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        if not self._quiet and (removed or added):
            self._timer.start()
        self.contents_changed.emit(position, removed, added)

    def set_text(self, text: str) -> None:
        self._quiet = True
        try:
            self.setPlainText(text)
        finally:
            self._quiet = False
        self.set_problems([])

    def settle_now(self) -> None:
        """Emits ``text_settled`` at once for an edit whose pause has not ended yet (nothing when none is pending):
        what comes next (an audition of other bars, say) then follows the edit instead of being replaced by it."""
        if self._timer.isActive():
            self._timer.stop()
            self.text_settled.emit(self.toPlainText())

    def show_document(self, document) -> None:
        """Shows ``document`` (with its own undo history) without emitting ``text_settled``."""
        self._timer.stop()
        self._quiet = True
        try:
            self.document().contentsChange.disconnect(self._on_contents_change)
            self.setDocument(document)
            document.contentsChange.connect(self._on_contents_change)
        finally:
            self._quiet = False
        self.set_problems([])
        self.document_replaced.emit(document)

    def replace_text_undoably(self, text: str) -> None:
        """Replaces the whole text as one edit that Ctrl+Z undoes (``text_settled`` follows as for typing)."""
        if text == self.toPlainText():
            return
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.select(QTextCursor.Document)
        cursor.insertText(text)
        cursor.endEditBlock()

    def append_text(self, chunk: str) -> None:
        """Adds streamed characters at the end, keeping them in view (no ``text_settled``)."""
        self._quiet = True
        try:
            cursor = self.textCursor()
            cursor.movePosition(QTextCursor.End)
            cursor.insertText(chunk)
            self.setTextCursor(cursor)
            self.ensureCursorVisible()
        finally:
            self._quiet = False

    # -- problems
    @property
    def problems(self) -> list:
        return list(self._problems)

    def _span(self, problem) -> QTextCursor:
        document = self.document()
        block = document.findBlockByNumber(max(problem.line - 1, 0))
        cursor = QTextCursor(block)
        line = block.text()
        if problem.kind == "missing_header" or not line:
            cursor.movePosition(QTextCursor.EndOfBlock, QTextCursor.KeepAnchor)
            return cursor
        start = min(max(problem.column, 0), max(len(line) - 1, 0))
        end = start + 1
        while end < len(line) and line[end] not in _TOKEN_END:
            end += 1
        cursor.setPosition(block.position() + start)
        cursor.setPosition(block.position() + end, QTextCursor.KeepAnchor)
        return cursor

    def set_problems(self, problems: list) -> None:
        """Marks the problems (``studio.core.abc.validate.Problem``: kind, message, line, column)."""
        self._problems = list(problems)
        selections = []
        for problem in self._problems[:MAX_MARKED]:
            selection = QTextEdit.ExtraSelection()
            char_format = QTextCharFormat()
            char_format.setUnderlineStyle(QTextCharFormat.WaveUnderline)
            bar = problem.kind == "bar_duration"
            char_format.setUnderlineColor(QColor(220, 130, 0) if bar else QColor(210, 0, 0))
            char_format.setBackground(QColor(255, 240, 200) if bar else QColor(255, 220, 220))
            char_format.setToolTip(problem.message)
            selection.format = char_format
            selection.cursor = self._span(problem)
            selections.append(selection)
        self.setExtraSelections(selections)

    def problems_at(self, position: int) -> list:
        """The problems whose mark covers the character at ``position``."""
        found = []
        for problem in self._problems[:MAX_MARKED]:
            span = self._span(problem)
            if span.selectionStart() <= position < max(span.selectionEnd(), span.selectionStart() + 1):
                found.append(problem)
        return found

    def go_to(self, line: int, column: int) -> None:
        block = self.document().findBlockByNumber(max(line - 1, 0))
        cursor = QTextCursor(block)
        cursor.setPosition(block.position() + min(max(column, 0), len(block.text())))
        self.setTextCursor(cursor)
        self.setFocus()

    def event(self, event):
        if event.type() == event.Type.ToolTip:
            position = self.cursorForPosition(event.pos()).position()
            messages = [p.message for p in self.problems_at(position)]
            if messages:
                QToolTip.showText(event.globalPos(), "\n".join(messages[:5]), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)


class ProblemList(QListWidget):
    """The problems of the tune as a list; ``problem_activated(line, column)`` when one is clicked."""

    problem_activated = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.itemActivated.connect(self._activated)
        self.itemClicked.connect(self._activated)

    def set_problems(self, problems: list, summary: str = "") -> None:
        self.clear()
        if summary:
            head = QListWidgetItem(summary)
            font = QFont(head.font())
            font.setBold(True)
            head.setFont(font)
            head.setFlags(Qt.ItemIsEnabled)
            self.addItem(head)
        for problem in problems[:MAX_MARKED]:
            item = QListWidgetItem(problem_label(problem))
            item.setData(Qt.UserRole, (problem.line, problem.column))
            item.setForeground(QColor(150, 90, 0) if problem.kind == "bar_duration" else QColor(170, 0, 0))
            self.addItem(item)
        if len(problems) > MAX_MARKED:
            self.addItem(f"... and {len(problems) - MAX_MARKED} more")

    def _activated(self, item: QListWidgetItem) -> None:
        where = item.data(Qt.UserRole)
        if where:
            self.problem_activated.emit(int(where[0]), int(where[1]))
