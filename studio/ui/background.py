"""Runs one blocking call (loading a corpus, reading a run) on a QThread and hands its result back as a signal.

The standard wiring (see DESIGN.md): a QObject worker moved to its own QThread, every connection made before
``start()``, ``finished -> quit``, ``deleteLater`` on worker and thread. ``BackgroundCall`` keeps itself alive
until the thread has ended, so a caller may drop its reference.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

_alive: set["BackgroundCall"] = set()


class _CallWorker(QObject):
    succeeded = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, function, args):
        super().__init__()
        self._function = function
        self._args = args

    @Slot()
    def run(self) -> None:
        try:
            result = self._function(*self._args)
        except Exception as exc:  # noqa: BLE001 - every error reaches the GUI as a message
            self.failed.emit(str(exc) or type(exc).__name__)
        else:
            self.succeeded.emit(result)
        finally:
            self.finished.emit()


class BackgroundCall(QObject):
    """``BackgroundCall(function, *args)``; connect ``succeeded(result)`` / ``failed(message)``, then ``start()``."""

    succeeded = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, function, *args, parent: QObject | None = None):
        super().__init__(parent)
        self._thread = QThread()
        self._worker = _CallWorker(function, args)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.succeeded.connect(self.succeeded)
        self._worker.failed.connect(self.failed)
        # direct: quit() is thread-safe, and a queued call would wait for the GUI thread, which may be the one
        # blocked in wait() (closing the window)
        self._worker.finished.connect(self._thread.quit, Qt.DirectConnection)
        self._worker.finished.connect(self._worker.deleteLater)
        self._thread.finished.connect(self._thread.deleteLater)
        self._thread.finished.connect(self._on_thread_finished)

    def start(self) -> None:
        _alive.add(self)
        self._thread.start()

    def is_running(self) -> bool:
        return self in _alive

    def wait(self, milliseconds: int = 5000) -> bool:
        """Blocks until the call has ended (used when the window closes)."""
        return self._thread.wait(milliseconds) if self in _alive else True

    @Slot()
    def _on_thread_finished(self) -> None:
        _alive.discard(self)
        self.finished.emit()


def wait_for_all(milliseconds: int = 5000) -> None:
    """Joins every background call still running (the window calls this when it closes)."""
    for call in list(_alive):
        call.wait(milliseconds)
