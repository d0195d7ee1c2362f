"""The one way to run work off the GUI thread: workers on QThreads (or daemon threads) with one signal vocabulary.

The shape is superqt's ``thread_worker``: a ``Worker`` QObject does the work in ``work()``, is moved to its own
QThread by a ``WorkerThread``, every connection is made before ``start()``, cancellation is a flag the work checks
every step (``is_cancelled()``), and errors come back as a signal. Every worker and every session speaks the same
past-tense vocabulary:

- ``progressed(...)``: partial results or progress while the work runs (the payload is the worker's own);
- ``succeeded(result)``: the work returned (once);
- ``failed(message)``: the work raised; the message is meant for the user (once);
- ``finished()``: always last. On a ``WorkerThread`` it means the thread has ended and may be dropped.

A ``WorkerThread`` emits its ``succeeded``/``failed`` once its thread has ended (just before ``finished``), so a
handler of the outcome sees the session no longer running and may start the next job at once (an "Exported"
message shown while the export still counted as running refused the next export).

Other events keep their own past-tense names (``validated``, ``checkpointed``, ``arm_started``...).

Details learnt the hard way, kept here so no worker has to remember them:

- ``worker.finished -> thread.quit`` is a direct connection: ``quit()`` is thread-safe, and a queued call would
  wait for the GUI thread, which may be the one blocked in ``wait()`` (closing the window): it would hang.
- Workers are Python-owned and never ``deleteLater``'d: a worker deleted in its own thread raced the GUI thread
  dropping its Python reference (a double free, a segfault in Shiboken). A ``WorkerThread`` keeps its worker until
  the thread has finished and lets it go in the GUI thread; running threads are kept alive by this module, so a
  caller may drop its reference.
- Garbage collection runs only in the GUI thread (``studio.ui.widgets.gui_gc``): install it before the first worker starts.
- ``BackgroundCall`` runs one blocking call that cannot be cancelled (loading a corpus) on a daemon thread rather
  than a QThread: a QThread still running when the process ends aborts it, a daemon thread simply ends with it.

``stop_all(milliseconds)`` cancels every running worker and joins it (bounded): the window calls it when it closes.
"""

from __future__ import annotations

import threading
from functools import partial

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

#: Everything running now (WorkerThreads, BackgroundCalls, long-lived services): ``stop_all`` cancels and joins it.
_running: set[QObject] = set()


def error_message(exc: BaseException) -> str:
    """The text a ``failed`` signal carries for an exception."""
    return str(exc) or type(exc).__name__


class Worker(QObject):
    """Work to run on a ``WorkerThread``: override ``work()`` (return the result, check ``is_cancelled()`` every
    step). Subclasses may redeclare ``progressed`` (or ``succeeded``) with their own argument types."""

    progressed = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self):
        super().__init__()
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Thread-safe: asks the work to stop at its next step."""
        self._cancelled.set()

    def is_cancelled(self) -> bool:
        return self._cancelled.is_set()

    def work(self):
        raise NotImplementedError

    def report_success(self, result) -> None:
        """Emits ``succeeded`` for what ``work()`` returned (a worker with a two-argument signal overrides this)."""
        self.succeeded.emit(result)

    def describe_failure(self, exc: Exception) -> str:
        return error_message(exc)

    @Slot()
    def run(self) -> None:
        try:
            result = self.work()
        except Exception as exc:  # noqa: BLE001 - every error reaches the window as a message
            self.failed.emit(self.describe_failure(exc))
        else:
            self.report_success(result)
        finally:
            self.finished.emit()


def move_to_new_thread(worker: QObject, on_finished=None) -> QThread:
    """A new QThread holding ``worker``; once it has finished, ``on_finished`` runs in the GUI thread, then the
    thread object (never the worker) is deleted."""
    thread = QThread()
    worker.moveToThread(thread)
    if on_finished is not None:
        thread.finished.connect(on_finished)  # queued: runs in the GUI thread, before the deletion below
    thread.finished.connect(thread.deleteLater)
    return thread


class WorkerThread(QObject):
    """One worker on its own QThread. Connect the signals (here or on ``worker``), then ``start()``.

    The worker's signals named in ``FORWARDED`` are forwarded as this object's own (``succeeded`` and ``failed``
    here; a session subclass redeclares ``progressed`` and its other events with the worker's argument types and
    names them too); ``finished`` is emitted once the thread has ended. ``cancel()`` sets the worker's flag;
    ``wait(ms)`` joins; ``stop_and_wait(ms)`` does both.
    """

    succeeded = Signal(object)
    failed = Signal(str)
    finished = Signal()
    FORWARDED: tuple[str, ...] = ("succeeded", "failed")
    OUTCOMES = ("succeeded", "failed")

    def __init__(self, worker: Worker, parent: QObject | None = None):
        super().__init__(parent)
        self._worker = worker
        self._thread = move_to_new_thread(worker, self._on_thread_finished)
        self._thread.started.connect(worker.run)
        for name in self.FORWARDED:
            if name in self.OUTCOMES:  # kept in the worker's thread, emitted once the thread has ended
                getattr(worker, name).connect(partial(self._keep_outcome, name), Qt.DirectConnection)
            else:
                getattr(worker, name).connect(getattr(self, name))
        worker.finished.connect(self._thread.quit, Qt.DirectConnection)  # see the module docstring
        self._active = False
        self._outcome: tuple[str, tuple] | None = None

    @property
    def worker(self) -> Worker:
        return self._worker

    def start(self) -> None:
        self._active = True
        _running.add(self)
        self._thread.start()

    def is_running(self) -> bool:
        """True from ``start()`` until the thread has ended (and ``finished`` was emitted)."""
        return self._active

    def cancel(self) -> None:
        if self._active:
            self._worker.cancel()

    def wait(self, milliseconds: int = 30_000) -> bool:
        """Blocks until the thread has ended or the time is up; True when it has ended."""
        return self._thread.wait(milliseconds) if self._active else True

    def stop_and_wait(self, milliseconds: int = 30_000) -> bool:
        self.cancel()
        return self.wait(milliseconds)

    def _keep_outcome(self, name: str, *args) -> None:
        self._outcome = (name, args)

    @Slot()
    def _on_thread_finished(self) -> None:
        self._thread.wait()
        self._active = False
        _running.discard(self)  # the worker goes with this object, in the GUI thread
        if self._outcome is not None:
            name, args = self._outcome
            self._outcome = None
            getattr(self, name).emit(*args)
        self.finished.emit()


class _FunctionWorker(Worker):
    def __init__(self, function, args):
        super().__init__()
        self._function, self._args = function, args

    def work(self):
        return self._function(*self._args)


def start_worker(worker: Worker, parent: QObject | None = None) -> WorkerThread:
    """Runs ``worker`` on a new thread now; connect its signals first. Returns the ``WorkerThread``."""
    thread = WorkerThread(worker, parent)
    thread.start()
    return thread


class BackgroundCall(QObject):
    """``function(*args)`` on a daemon thread: connect ``succeeded(result)`` / ``failed(message)`` / ``finished()``,
    then ``start()``. Signals arrive in the GUI thread. It cannot be cancelled; it keeps itself alive until it has
    ended and is not a Qt child of anything, so closing a panel cannot delete a call that still runs."""

    succeeded = Signal(object)
    failed = Signal(str)
    finished = Signal()
    _ended = Signal()  # emitted by the thread, delivered in the GUI thread

    def __init__(self, function, *args, parent: QObject | None = None):
        super().__init__()
        self.owner = parent  # for readability only: see the docstring
        self._worker = _FunctionWorker(function, args)
        self._worker.succeeded.connect(self.succeeded, Qt.DirectConnection)
        self._worker.failed.connect(self.failed, Qt.DirectConnection)
        self._worker.finished.connect(self._ended, Qt.DirectConnection)
        self._thread = threading.Thread(target=self._worker.run,
                                        name=f"background {getattr(function, '__name__', '')}", daemon=True)
        self._ended.connect(self._on_ended)

    def start(self) -> None:
        _running.add(self)
        self._thread.start()

    def is_running(self) -> bool:
        return self in _running

    def cancel(self) -> None:
        """Nothing to cancel: the call runs to its end (``stop_all`` still waits for it, bounded)."""

    def wait(self, milliseconds: int = 5000) -> bool:
        """Blocks until the call has ended or the time is up; True when it has ended."""
        if self._thread.is_alive():
            self._thread.join(milliseconds / 1000)
        return not self._thread.is_alive()

    @Slot()
    def _on_ended(self) -> None:
        # the thread has only its last lines left; joining first means its reference to this call is gone before
        # ours, so the last reference to this QObject is never dropped in the worker thread
        self._thread.join()
        _running.discard(self)
        self.finished.emit()


def keep_running(service: QObject) -> None:
    """Registers a long-lived service (with ``cancel()`` and ``wait(ms)``) for ``stop_all``."""
    _running.add(service)


def let_go(service: QObject) -> None:
    _running.discard(service)


def running() -> list[QObject]:
    """What runs off the GUI thread now (for tests and the window)."""
    return list(_running)


def stop_all(milliseconds: int = 10_000) -> bool:
    """Cancels everything still running and joins it (at most ``milliseconds`` each); True when all has ended."""
    jobs = list(_running)
    for job in jobs:
        job.cancel()
    return all([job.wait(milliseconds) for job in jobs])
