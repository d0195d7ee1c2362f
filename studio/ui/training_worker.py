"""The thin Qt adapter over the core Trainer: a listener that turns its hooks into signals, and the QThread wiring.

``QtTrainingListener`` receives the Trainer's hooks on the training thread. Per-step points are not sent one signal
each: they go into a lock-protected buffer that the chart drains from its redraw timer (``take_points()``), and a
``progressed`` signal is emitted at most ``PROGRESS_HZ`` times a second for the progress bar. Rare events
(validation, checkpoint, state, warning, end) are signals.

``TrainingSession`` owns one run's worker and thread, wired the standard way (DESIGN.md): worker moved to a QThread,
connections before ``start()``, ``finished -> quit``, ``deleteLater`` on the thread (the Python-owned worker goes with
the session, in the GUI thread); ``stop()`` is ``Trainer.stop()``;
an error while building the Trainer comes back as ``failed``; ``stop_and_wait()`` joins the thread (window close).
"""

from __future__ import annotations

import os
import threading
import time

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from studio.ui import settings

PROGRESS_HZ = 4


def training_threads() -> int:
    """Torch threads for a run in the window: the ``train/threads`` setting, else one core less than the machine
    has, so the GUI thread keeps a core. On a busy 2-core machine torch's default (2 threads) was 10 to 80 times
    slower than 1 thread: its worker threads spin-wait for a core that the GUI or another process holds."""
    chosen = settings.read("train/threads", 0)
    return chosen if chosen > 0 else max(1, (os.cpu_count() or 1) - 1)


class QtTrainingListener(QObject):
    """A core ``TrainingListener`` whose hooks become Qt signals (built lazily so core stays import-light)."""

    progressed = Signal(int, float, float, float)  # step, loss, elapsed seconds, steps per second
    validated = Signal(int, float)
    checkpointed = Signal(int, str)
    state_changed = Signal(str)
    warned = Signal(str)

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()
        self._points: list[tuple[int, float]] = []
        self._last_progress = 0.0

    # hooks, called on the training thread -----------------------------------------------------------------------
    def on_step(self, step: int, loss: float, elapsed: float, steps_per_second: float) -> None:
        with self._lock:
            self._points.append((step, loss))
        now = time.monotonic()
        if now - self._last_progress >= 1.0 / PROGRESS_HZ:
            self._last_progress = now
            self.progressed.emit(step, loss, elapsed, steps_per_second)

    def on_validation(self, step: int, loss: float) -> None:
        self.validated.emit(step, loss)

    def on_checkpoint(self, step: int, path: str) -> None:
        self.checkpointed.emit(step, path)

    def on_state_changed(self, state: str) -> None:
        self.state_changed.emit(state)

    def on_warning(self, message: str) -> None:
        self.warned.emit(message)

    def on_finished(self, result) -> None:  # the worker reports the result itself
        pass

    # GUI side ------------------------------------------------------------------------------------------------
    def take_points(self) -> list[tuple[int, float]]:
        """Every (step, loss) logged since the last call, oldest first."""
        with self._lock:
            points, self._points = self._points, []
        return points


def _as_core_listener(adapter: QtTrainingListener):
    """A core TrainingListener forwarding to ``adapter`` (the core class is imported only when training starts)."""
    from studio.core.training import TrainingListener

    class _Forwarder(TrainingListener):
        def on_step(self, *args): adapter.on_step(*args)
        def on_validation(self, *args): adapter.on_validation(*args)
        def on_checkpoint(self, *args): adapter.on_checkpoint(*args)
        def on_state_changed(self, *args): adapter.on_state_changed(*args)
        def on_warning(self, *args): adapter.on_warning(*args)

    return _Forwarder()


class TrainingWorker(QObject):
    """Builds the Trainer on the worker thread (``make_trainer(listener)``) and runs it to the end."""

    run_created = Signal(object)  # core Run (or None without a store)
    completed = Signal(object)  # core TrainingResult
    failed = Signal(str)
    finished = Signal()

    def __init__(self, make_trainer, listener: QtTrainingListener, threads: int):
        super().__init__()
        self._make_trainer = make_trainer
        self._listener = listener
        self._threads = threads
        self._lock = threading.Lock()
        self._trainer = None
        self._stop_asked = False

    @Slot()
    def run(self) -> None:
        try:
            import torch

            torch.set_num_threads(self._threads)
            trainer = self._make_trainer(_as_core_listener(self._listener))
            with self._lock:
                self._trainer = trainer
                if self._stop_asked:
                    trainer.stop()
            self.run_created.emit(trainer.run_folder)
            result = trainer.run()
        except Exception as exc:  # noqa: BLE001 - e.g. TrainingError for a bad config, CorpusError on resume
            self.failed.emit(str(exc) or type(exc).__name__)
        else:
            if result.reason == "failed":
                self.failed.emit(result.error or "training failed")
            self.completed.emit(result)
        finally:
            self.finished.emit()

    def trainer(self):
        with self._lock:
            return self._trainer

    def stop(self) -> None:
        """Thread-safe: asks the Trainer to stop before its next step (or not to start)."""
        with self._lock:
            self._stop_asked = True
            if self._trainer is not None:
                self._trainer.stop()


class TrainingSession(QObject):
    """One training run on its own QThread. Connect the signals, then ``start()``; ``stop_and_wait()`` to join."""

    run_created = Signal(object)
    progressed = Signal(int, float, float, float)
    validated = Signal(int, float)
    checkpointed = Signal(int, str)
    state_changed = Signal(str)
    warned = Signal(str)
    completed = Signal(object)
    failed = Signal(str)
    ended = Signal()  # the thread has finished: the session may be dropped

    def __init__(self, make_trainer, parent: QObject | None = None, threads: int | None = None):
        super().__init__(parent)
        self.listener = QtTrainingListener()
        for name in ("progressed", "validated", "checkpointed", "state_changed", "warned"):
            getattr(self.listener, name).connect(getattr(self, name))
        self._worker = TrainingWorker(make_trainer, self.listener, threads or training_threads())
        self._thread = QThread()
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.run_created.connect(self.run_created)
        self._worker.completed.connect(self.completed)
        self._worker.failed.connect(self.failed)
        # direct: quit() is thread-safe, and a queued call would wait for the GUI thread, which may be the one
        # blocked in wait() (closing the window)
        self._worker.finished.connect(self._thread.quit, Qt.DirectConnection)
        # no deleteLater on the worker: it is Python-owned and released with this session, in the GUI thread, after
        # the thread has finished (a worker-thread delete raced the GUI thread's release: a segfault in Shiboken)
        self._thread.finished.connect(self._thread.deleteLater)
        self._thread.finished.connect(self._on_thread_finished)
        self._active = False
        self._paused = False

    def start(self) -> None:
        self._active = True
        self._thread.start()

    def is_active(self) -> bool:
        """True from ``start()`` until the thread has ended."""
        return self._active

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        trainer = self._worker.trainer() if self._active else None
        if trainer is not None:
            self._paused = True
            trainer.pause()

    def resume(self) -> None:
        trainer = self._worker.trainer() if self._active else None
        if trainer is not None:
            self._paused = False
            trainer.resume_training()

    def stop(self) -> None:
        if self._active:
            self._paused = False
            self._worker.stop()

    def stop_and_wait(self, milliseconds: int = 30_000) -> bool:
        """Stops the run and joins the thread; the Trainer saves its checkpoint and log before returning."""
        if not self._active:
            return True
        self._worker.stop()
        return self._thread.wait(milliseconds)

    def take_points(self) -> list[tuple[int, float]]:
        return self.listener.take_points()

    @Slot()
    def _on_thread_finished(self) -> None:
        self._active = False
        self.ended.emit()
