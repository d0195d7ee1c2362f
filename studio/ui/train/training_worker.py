"""The thin Qt adapter over the core Trainer: a listener that turns its hooks into signals, and the QThread wiring.

``QtTrainingListener`` is the core ``TrainingListener`` as a QObject: the Trainer calls its hooks on the training
thread and they emit signals, which the window connects to directly (one hop: ``TrainingSession.progressed`` and its
other event signals are the listener's own). Per-step points are not sent one signal
each: they go into a lock-protected buffer that the chart drains from its redraw timer (``take_points()``), and a
``progressed`` signal is emitted at most ``PROGRESS_HZ`` times a second for the progress bar. Rare events
(validation, checkpoint, state, warning, end) are signals.

``TrainingSession`` is a ``studio.ui.widgets.threads.WorkerThread`` around one run's ``TrainingWorker`` (the wiring and the
signal vocabulary live there): ``stop()`` is ``Trainer.stop()``; an error while building the Trainer comes back as
``failed``; ``succeeded(TrainingResult)`` when the Trainer returned; ``finished`` once the thread has ended;
``stop_and_wait()`` joins the thread (window close).
"""

from __future__ import annotations

import os
import threading
import time

from PySide6.QtCore import QObject, Signal

from studio.core.learning.training_listener import TrainingListener
from studio.ui.widgets import settings
from studio.ui.widgets.threads import Worker, WorkerThread

PROGRESS_HZ = 4


def training_threads() -> int:
    """Torch threads for a run in the window: the ``train/threads`` setting, else one core less than the machine
    has, so the GUI thread keeps a core. On a busy 2-core machine torch's default (2 threads) was 10 to 80 times
    slower than 1 thread: its worker threads spin-wait for a core that the GUI or another process holds."""
    chosen = settings.read("train/threads", 0)
    return chosen if chosen > 0 else max(1, (os.cpu_count() or 1) - 1)


class QtTrainingListener(QObject, TrainingListener):
    """The core ``TrainingListener`` whose hooks are Qt signals (the core listener imports no torch)."""

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


class TrainingWorker(Worker):
    """Builds the Trainer on the worker thread (``make_trainer(listener)``) and runs it to the end.

    ``succeeded(TrainingResult)`` whenever the Trainer returned (finished, stopped or failed: a failed run also
    emits ``failed`` with its error first); ``failed(message)`` alone when the Trainer could not be built."""

    run_created = Signal(object)  # core Run (or None without a store)

    def __init__(self, make_trainer, listener: QtTrainingListener, threads: int):
        super().__init__()
        self._make_trainer = make_trainer
        self._listener = listener
        self._threads = threads
        self._lock = threading.Lock()
        self._trainer = None

    def work(self):
        import torch

        torch.set_num_threads(self._threads)
        trainer = self._make_trainer(self._listener)
        with self._lock:
            self._trainer = trainer
            if self.is_cancelled():
                trainer.stop()
        self.run_created.emit(trainer.run_folder)
        return trainer.run()

    def report_success(self, result) -> None:
        if result.reason == "failed":
            self.failed.emit(result.error or "training failed")
        self.succeeded.emit(result)

    def trainer(self):
        with self._lock:
            return self._trainer

    def cancel(self) -> None:
        """Thread-safe: asks the Trainer to stop before its next step (or not to start)."""
        with self._lock:
            super().cancel()
            if self._trainer is not None:
                self._trainer.stop()


class TrainingSession(WorkerThread):
    """One training run on its own QThread. Connect the signals, then ``start()``; ``stop_and_wait()`` to join."""

    run_created = Signal(object)
    succeeded = Signal(object)  # TrainingResult
    FORWARDED = ("run_created", "succeeded", "failed")
    #: the training events: the listener's own signals, connected to directly
    EVENTS = ("progressed", "validated", "checkpointed", "state_changed", "warned")

    def __init__(self, make_trainer, parent: QObject | None = None, threads: int | None = None):
        listener = QtTrainingListener()
        super().__init__(TrainingWorker(make_trainer, listener, threads or training_threads()), parent)
        self.listener = listener
        for name in self.EVENTS:
            setattr(self, name, getattr(listener, name))
        self._paused = False

    def is_active(self) -> bool:
        """True from ``start()`` until the thread has ended."""
        return self.is_running()

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        trainer = self._worker.trainer() if self.is_running() else None
        if trainer is not None:
            self._paused = True
            trainer.pause()

    def resume(self) -> None:
        trainer = self._worker.trainer() if self.is_running() else None
        if trainer is not None:
            self._paused = False
            trainer.resume_training()

    def stop(self) -> None:
        if self.is_running():
            self._paused = False
            self.cancel()

    def stop_and_wait(self, milliseconds: int = 30_000) -> bool:
        """Stops the run and joins the thread; the Trainer saves its checkpoint and log before returning."""
        return super().stop_and_wait(milliseconds)

    def take_points(self) -> list[tuple[int, float]]:
        return self.listener.take_points()
