"""A stand-in for a widget that is costly to build, built once the window has been painted.

The charts import pyqtgraph and numpy (about 0.35 s, more than the rest of the window together). A ``DeferredWidget``
holds their place with a quiet "Loading..." label; the first time it is painted, it builds the real widget on the
next turn of the event loop, so the user sees the whole window first and the chart a moment later. A stand-in on a
tab that is not shown waits until the tab is first shown. Code that needs the widget earlier calls ``widget()``,
which builds it at once: the owning panel exposes it as a property (``TrainPanel.chart``), so callers never see the
stand-in.

``after_first_paint(widget, callback)`` does the same for work that is not a widget: the window starts loading the
last corpus (music21 in a background thread, which competes for the interpreter) only once it has been painted.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class DeferredWidget(QWidget):
    """Builds ``factory()`` after its first paint (or at the first ``widget()`` call) and shows it in its place.

    ``built(widget)`` is emitted once, when the real widget exists.
    """

    built = Signal(QWidget)

    def __init__(self, factory: Callable[[], QWidget], placeholder: str = "Loading...",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._factory = factory
        self._widget: QWidget | None = None
        self._placeholder = QLabel(placeholder)
        self._placeholder.setAlignment(Qt.AlignCenter)
        self._placeholder.setStyleSheet("color: gray")
        self._build_soon = QTimer(self)
        self._build_soon.setSingleShot(True)
        self._build_soon.setInterval(0)
        self._build_soon.timeout.connect(self.widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._placeholder)

    def is_built(self) -> bool:
        return self._widget is not None

    def widget(self) -> QWidget:
        """The real widget, built now if it was not yet."""
        if self._widget is None:
            self._build_soon.stop()
            self._widget = self._factory()
            self.layout().replaceWidget(self._placeholder, self._widget)
            self._widget.show()  # at once: a layout would show it only on the next turn of the event loop
            self._placeholder.deleteLater()
            self._placeholder = None
            self.built.emit(self._widget)
        return self._widget

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self._widget is None and not self._build_soon.isActive():
            self._build_soon.start()  # after this paint has reached the screen


class _FirstPaintWatcher(QObject):
    def __init__(self, widget: QWidget, callback: Callable[[], object]):
        super().__init__(widget)
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._run)  # after the paint pass has finished
        return False

    def _run(self) -> None:
        self._callback()
        self.deleteLater()


def after_first_paint(widget: QWidget, callback: Callable[[], object]) -> None:
    """Calls ``callback()`` once ``widget`` has been painted for the first time (never, if it is never shown)."""
    _FirstPaintWatcher(widget, callback)
