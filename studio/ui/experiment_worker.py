"""Runs an experiment on a QThread: the core ExperimentRunner's hooks become Qt signals; the report is written last.

Wired the standard way (DESIGN.md): worker moved to its QThread, every connection made before ``start()``,
``finished -> quit``, ``deleteLater`` on the thread (the Python-owned worker goes with the session, in the GUI
thread); ``stop()`` sets the runner's stop flag (it acts within
one training or sampling step); errors come back as ``failed``. Training losses are buffered under a lock and
drained by the results chart's timer (``take_points()``) rather than sent one signal per step.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread, Signal, Slot

from studio.ui.training_worker import training_threads


class _Worker(QObject):
    arm_started = Signal(int, int, str)  # index, total, label
    phase_changed = Signal(int, str)  # index, phase (reference, training, sampling, scoring)
    progressed = Signal(int, int, int)  # index, step, total steps
    arm_finished = Signal(int, object)  # index, ArmResult
    succeeded = Signal(object, str)  # ExperimentResult, report path
    failed = Signal(str)
    finished = Signal()

    def __init__(self, spec, store=None, root=None):
        super().__init__()
        self.spec, self.store, self.root = spec, store, root
        self.runner = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._points: list[tuple[int, int, float]] = []
        self._last_step = -1

    # ExperimentListener hooks (called on the worker thread) ------------------------------------------------------
    def on_arm_started(self, index, total, label):
        self.arm_started.emit(index, total, label)

    def on_phase(self, index, phase):
        self.phase_changed.emit(index, phase)

    def on_step(self, index, step, loss, total_steps):
        with self._lock:
            self._points.append((index, step, loss))
        if step == total_steps or step - self._last_step >= max(1, total_steps // 100):
            self._last_step = step
            self.progressed.emit(index, step, total_steps)

    def on_validation(self, index, step, loss): ...
    def on_warning(self, message): ...

    def on_arm_finished(self, index, arm):
        self._last_step = -1
        self.arm_finished.emit(index, arm)

    def on_finished(self, result): ...

    def take_points(self) -> list[tuple[int, int, float]]:
        with self._lock:
            points, self._points = self._points, []
        return points

    def stop(self) -> None:
        self._stop.set()
        if self.runner is not None:
            self.runner.stop()

    @Slot()
    def run(self) -> None:
        import torch

        from studio.core.experiments import ExperimentRunner
        from studio.core.report import write_report

        try:
            torch.set_num_threads(training_threads())
            self.runner = ExperimentRunner(self.spec, store=self.store, root=self.root, listener=self)
            if self._stop.is_set():
                self.runner.stop()
            result = self.runner.run()
            report = write_report(result)
        except Exception as exc:  # noqa: BLE001 - every error reaches the window as a message
            self.failed.emit(str(exc) or type(exc).__name__)
        else:
            self.succeeded.emit(result, str(report))
        finally:
            self.finished.emit()


class ExperimentSession(QObject):
    """One experiment's worker and thread. Connect the signals, then ``start()``; ``stop()``; ``wait()``."""

    arm_started = Signal(int, int, str)
    phase_changed = Signal(int, str)
    progressed = Signal(int, int, int)
    arm_finished = Signal(int, object)
    succeeded = Signal(object, str)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, spec, store=None, root=None, parent=None):
        super().__init__(parent)
        self._thread = QThread()
        self._worker = _Worker(spec, store, root)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        for name in ("arm_started", "phase_changed", "progressed", "arm_finished", "succeeded", "failed"):
            getattr(self._worker, name).connect(getattr(self, name))
        self._worker.finished.connect(self._thread.quit)
        # no deleteLater on the worker: it is Python-owned and released with this session, in the GUI thread, after
        # the thread has finished (a worker-thread delete raced the GUI thread's release: a segfault in Shiboken)
        self._thread.finished.connect(self._thread.deleteLater)
        self._thread.finished.connect(self._on_thread_finished)
        self._running = False
        self._take_points = self._worker.take_points
        self._stop = self._worker.stop

    def start(self) -> None:
        self._running = True
        self._thread.start()

    def is_running(self) -> bool:
        return self._running

    def stop(self) -> None:
        if self._running:
            self._stop()

    def take_points(self) -> list[tuple[int, int, float]]:
        """(arm index, step, loss) logged since the last call (the loss logs on disk hold them all)."""
        return self._take_points() if self._running else []

    def wait(self, milliseconds: int = 30_000) -> bool:
        return self._thread.wait(milliseconds) if self._running else True

    @Slot()
    def _on_thread_finished(self) -> None:
        self._running = False
        self.finished.emit()
