"""What the model sees, beside the score: the next-character chart, the surprise colouring and the same-seed comparison.

``ModelInspector(editor, sampling_form)`` follows the ABC editor and the sampling form. Whenever the editor shows a
new text (generated, typed or pasted, once it settles) and the inspector is needed (a click in the text, or the
Surprise toggle on), the text is inspected once, with the sampling form's model, on a background thread
(``studio.ui.widgets.threads.BackgroundCall``; only the newest text is kept waiting, results for an older text are dropped).
Moving the cursor (a click) shows the distribution at that character; the temperature dial redraws the chart from
the cached log-probabilities (no model call). "Same seed at 0.5 / 1.0 / 1.5" opens the comparison dialog.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from studio.core.network.inspection import COMPARED_TEMPERATURES
from studio.ui.generate.distribution_view import DistributionChart
from studio.ui.generate.surprise_view import SurpriseHighlighter, SurprisePanel
from studio.ui.widgets.threads import BackgroundCall

SETTLE_MS = 300  # after the last edit, before a text is inspected
CACHED_INSPECTIONS = 8


def inspect_with_checkpoint(checkpoint_path: str, text: str):
    """The inspection of ``text`` by the model in ``checkpoint_path`` (the sampler is loaded once and cached), with
    its note on the key the model reads in (made here, on the background thread)."""
    from studio.core.generation.model_key import inspect_as_written
    from studio.ui.generate.sampling_worker import load_sampler

    return inspect_as_written(load_sampler(checkpoint_path), text)


class InspectionService(QObject):
    """Inspects texts on a background thread, one at a time, newest first; keeps the last few inspections.

    ``inspected(checkpoint_path, inspection)`` arrives in the GUI thread; ``failed(message)`` when it could not run.
    """

    inspected = Signal(str, object)
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cache: dict[tuple[str, str], object] = {}
        self._call: BackgroundCall | None = None
        self._running: tuple[str, str] | None = None
        self._waiting: tuple[str, str] | None = None
        self.closed = False

    def cached(self, checkpoint_path: str, text: str):
        return self._cache.get((checkpoint_path, text))

    def request(self, checkpoint_path: str, text: str) -> None:
        key = (checkpoint_path, text)
        if key in self._cache:
            self.inspected.emit(checkpoint_path, self._cache[key])
        elif self._call is not None:
            self._waiting = key if key != self._running else None
        else:
            self._start(key)

    def _start(self, key: tuple[str, str]) -> None:
        self._running = key
        self._call = BackgroundCall(inspect_with_checkpoint, *key, parent=self)
        self._call.succeeded.connect(self._on_inspected)
        self._call.failed.connect(self.failed)
        self._call.finished.connect(self._on_finished)
        self._call.start()

    def _on_inspected(self, inspection) -> None:
        if self._running is None:
            return
        if len(self._cache) >= CACHED_INSPECTIONS:
            self._cache.pop(next(iter(self._cache)))
        self._cache[self._running] = inspection
        if not self.closed:
            self.inspected.emit(self._running[0], inspection)

    def _on_finished(self) -> None:
        self._call, self._running = None, None
        waiting, self._waiting = self._waiting, None
        if waiting is not None and not self.closed:
            self._start(waiting)


class ModelInspector(QWidget):
    """The chart, the surprise panel and the comparison button (see the module docstring)."""

    status_changed = Signal(str)

    def __init__(self, editor, sampling_form, parent=None):
        super().__init__(parent)
        self.editor = editor
        self.sampling_form = sampling_form
        self.service = InspectionService(self)
        self.chart = DistributionChart()
        self.surprise = SurprisePanel()
        self.highlighter = SurpriseHighlighter(editor.document(), owner=self)  # tunes swap documents in the editor
        self.compare_button = QPushButton("Same seed at " + " / ".join(f"{t:g}" for t in COMPARED_TEMPERATURES))
        self.compare_button.setToolTip("Three tunes from the same random draws at three temperatures, side by side "
                                       "with their metrics (uses the seed and primer of the form).")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.chart, 3)
        layout.addWidget(self.surprise, 1)
        layout.addWidget(self.compare_button)
        self.inspection = None
        self._wanted = False  # a click or the toggle asked for the current text to be inspected
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._request)
        self._dialog = None
        editor.contents_changed.connect(self._on_text_changed)  # not textChanged: see SurpriseHighlighter
        editor.document_replaced.connect(self._on_document_replaced)
        editor.cursorPositionChanged.connect(self._on_cursor_moved)
        editor.viewport().installEventFilter(self)
        editor.installEventFilter(self)
        sampling_form.temperature_dial.valueChanged.connect(self._on_dial_moved)
        sampling_form.model_picker.model_changed.connect(self._on_model_changed)
        self.service.inspected.connect(self._on_inspected)
        self.service.failed.connect(self._on_failed)
        self.surprise.toggled.connect(self._on_surprise_toggled)
        self.surprise.place_activated.connect(self._go_to_place)
        self.compare_button.clicked.connect(self.compare_temperatures)

    # ------------------------------------------------------------------ inspecting the editor's text
    @property
    def checkpoint_path(self) -> str:
        return self.sampling_form.model_picker.current_path() or ""

    def _current(self) -> bool:
        """True when the inspection shown is the editor's text read by the chosen model."""
        return (self.inspection is not None and self.inspection.text == self.editor.toPlainText()
                and self.service.cached(self.checkpoint_path, self.inspection.text) is self.inspection)

    def _on_document_replaced(self, document) -> None:
        """Another tune's document is shown: colour that one, and read it as a changed text."""
        self.highlighter.setDocument(document)
        self._on_text_changed(0, 0, document.characterCount())

    def _on_text_changed(self, _position: int = 0, removed: int = 0, added: int = 0) -> None:
        if not (removed or added):
            return  # only formats changed
        self.highlighter.clear_surprise()
        if self.editor.isReadOnly():  # a tune being written: inspect it once it is complete
            return
        if self._wanted or self.surprise.toggle.isChecked():
            self._settle.start()

    def _request(self) -> None:
        text = self.editor.toPlainText()
        if not self.checkpoint_path:
            self.chart.clear("Choose a model (or train one) to see what it expects.")
            return
        if not text.strip() or self.editor.isReadOnly():
            return
        self.service.request(self.checkpoint_path, text)

    def _on_model_changed(self, _path: str) -> None:
        self.inspection = None
        if self._wanted or self.surprise.toggle.isChecked():
            self._request()

    def _on_inspected(self, checkpoint_path: str, inspection) -> None:
        if checkpoint_path != self.checkpoint_path or inspection.text != self.editor.toPlainText():
            return  # an older text or another model
        self.inspection = inspection
        if inspection.note:
            self.status_changed.emit(inspection.note)
        self.show_at_cursor()
        if self.surprise.toggle.isChecked():
            self._show_surprise()

    def _on_failed(self, message: str) -> None:
        self.chart.clear(f"The model could not read this text: {message}")
        self.status_changed.emit(f"Inspection failed: {message}")

    # ------------------------------------------------------------------ the chart
    def _on_cursor_moved(self) -> None:
        if self.editor.isReadOnly():
            return
        if not self._wanted:  # set by a click or a key in the editor (showing a tune moves the cursor too)
            return
        if self._current():
            self.show_at_cursor()
        else:
            self._settle.start()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() in (QEvent.MouseButtonPress, QEvent.KeyPress):
            self._wanted = True  # the user is pointing at the text: follow the cursor from now on
        return False

    def show_distribution_at(self, offset: int) -> None:
        """Moves the editor's cursor to ``offset`` and shows the distribution there (as a click does)."""
        self._wanted = True
        cursor = self.editor.textCursor()
        cursor.setPosition(min(max(offset, 0), len(self.editor.toPlainText())))
        self.editor.setTextCursor(cursor)

    def show_at_cursor(self) -> None:
        if self.inspection is None:
            return
        offset = min(self.editor.textCursor().position(), len(self.inspection.text))
        self.chart.show_at(self.inspection, offset, self.sampling_form.temperature)

    def _on_dial_moved(self, _value: int) -> None:
        self.chart.set_temperature(self.sampling_form.temperature)

    # ------------------------------------------------------------------ surprise
    def _on_surprise_toggled(self, on: bool) -> None:
        if not on:
            self.highlighter.clear_surprise()
        elif self._current():
            self._show_surprise()
        elif not self.checkpoint_path:
            self.surprise.show_message("choose a model first")
        else:
            self.surprise.show_message("reading the tune...")
            self._request()

    def _show_surprise(self) -> None:
        self.highlighter.show_surprise(self.inspection.text, self.inspection.surprise_by_offset())
        self.surprise.show_summary(self.inspection)

    def _go_to_place(self, line: int, column: int) -> None:
        self._wanted = True
        self.editor.go_to(line, column - 1)

    # ------------------------------------------------------------------ same seed, three temperatures
    def compare_temperatures(self) -> None:
        from studio.ui.generate.temperature_compare import TemperatureComparison

        if not self.checkpoint_path:
            self.status_changed.emit("Choose a model first")
            return
        config = self.sampling_form.sampling_config()
        self._dialog = TemperatureComparison(self.checkpoint_path, config, self)
        self._dialog.show()
        self._dialog.start()

    def shutdown(self) -> None:
        self.service.closed = True
        self._settle.stop()
        if self._dialog is not None:
            self._dialog.close()
