"""Runs one blocking call (loading a corpus, measuring one) off the GUI thread and hands its result back as a signal.

``BackgroundCall(function, *args)``: connect ``succeeded(result)`` / ``failed(message)`` / ``finished()``, then
``start()``. The signals are delivered in the GUI thread (queued). The call keeps itself alive until it has ended,
so a caller may drop its reference, and it is not a Qt child of anything: closing a panel cannot delete a call that
still runs.

A plain daemon thread, not a QThread (a deliberate departure from DESIGN.md's worker pattern, which the training
worker follows): such calls cannot be cancelled, and a QThread still running when the process ends aborts it
("QThread: Destroyed while thread is still running"), whereas a daemon thread simply ends with the process. The
window waits for them a bounded time when it closes (``wait_for_all``).
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal, Slot

_alive: set["BackgroundCall"] = set()


class BackgroundCall(QObject):
    succeeded = Signal(object)
    failed = Signal(str)
    finished = Signal()
    _ended = Signal()  # emitted by the thread, delivered in the GUI thread

    def __init__(self, function, *args, parent: QObject | None = None):
        super().__init__()
        self.owner = parent  # for readability only: see the module docstring
        self._function = function
        self._args = args
        self._thread = threading.Thread(target=self._run, name=f"background {getattr(function, '__name__', '')}",
                                        daemon=True)
        self._ended.connect(self._on_ended)

    def start(self) -> None:
        _alive.add(self)
        self._thread.start()

    def is_running(self) -> bool:
        return self in _alive

    def wait(self, milliseconds: int = 5000) -> bool:
        """Blocks until the call has ended or the time is up; True when it has ended."""
        if self._thread.is_alive():
            self._thread.join(milliseconds / 1000)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            result = self._function(*self._args)
        except Exception as exc:  # noqa: BLE001 - every error reaches the GUI as a message
            self.failed.emit(str(exc) or type(exc).__name__)
        else:
            self.succeeded.emit(result)
        finally:
            self._ended.emit()

    @Slot()
    def _on_ended(self) -> None:
        # the thread has only its last lines left; joining first means its reference to this call (the target) is
        # gone before ours, so the last reference to this QObject is never dropped in the worker thread
        self._thread.join()
        _alive.discard(self)
        self.finished.emit()


def wait_for_all(milliseconds: int = 5000) -> None:
    """Waits (at most ``milliseconds`` each) for background calls still running (the window is closing)."""
    for call in list(_alive):
        call.wait(milliseconds)
