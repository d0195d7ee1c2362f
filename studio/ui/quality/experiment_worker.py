"""Runs an experiment on a QThread: the core ExperimentRunner's hooks become Qt signals; the report is written last.

``ExperimentSession`` is a ``studio.ui.widgets.threads.WorkerThread`` (the wiring, the signal vocabulary and the direct
``finished -> quit`` that lets the window wait for it while it closes live there): ``stop()`` sets the runner's
stop flag (it acts within one training or sampling step); errors come back as ``failed``; ``succeeded(result,
report path)``; ``finished`` once the thread has ended. Training losses are buffered under a lock and drained by the
results chart's timer (``take_points()``) rather than sent one signal per step.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import Signal

from studio.ui.train.training_worker import training_threads
from studio.ui.widgets.threads import Worker, WorkerThread


class ExperimentWorker(Worker):
    """An ExperimentListener (its hooks are called on the worker thread) that runs the experiment in ``work()``."""

    arm_started = Signal(int, int, str)  # index, total, label
    phase_changed = Signal(int, str)  # index, phase (reference, training, sampling, scoring)
    progressed = Signal(int, int, int)  # index, step, total steps
    arm_finished = Signal(int, object)  # index, ArmResult
    succeeded = Signal(object, str)  # ExperimentResult, HTML report path

    def __init__(self, spec, store=None, root=None):
        super().__init__()
        self.spec, self.store, self.root = spec, store, root
        self.runner = None
        self._lock = threading.Lock()
        self._points: list[tuple[int, int, float]] = []
        self._last_step = -1

    # ExperimentListener hooks ------------------------------------------------------------------------------------
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

    def cancel(self) -> None:
        with self._lock:
            super().cancel()
            if self.runner is not None:
                self.runner.stop()

    def work(self):
        import torch

        from studio.core.learning.experiments import ExperimentRunner
        from studio.core.reports.report_html import write_reports

        torch.set_num_threads(training_threads())
        runner = ExperimentRunner(self.spec, store=self.store, root=self.root, listener=self)
        with self._lock:
            self.runner = runner
            if self.is_cancelled():
                runner.stop()
        result = runner.run()
        return result, str(write_reports(result)[1])  # the HTML page (report.md is beside it)

    def report_success(self, outcome) -> None:
        self.succeeded.emit(*outcome)


class ExperimentSession(WorkerThread):
    """One experiment's worker and thread. Connect the signals, then ``start()``; ``stop()``; ``wait()``."""

    arm_started = Signal(int, int, str)
    phase_changed = Signal(int, str)
    progressed = Signal(int, int, int)
    arm_finished = Signal(int, object)
    succeeded = Signal(object, str)
    FORWARDED = ("arm_started", "phase_changed", "progressed", "arm_finished", "succeeded", "failed")

    def __init__(self, spec, store=None, root=None, parent=None):
        super().__init__(ExperimentWorker(spec, store, root), parent)

    def stop(self) -> None:
        self.cancel()

    def take_points(self) -> list[tuple[int, int, float]]:
        """(arm index, step, loss) logged since the last call (the loss logs on disk hold them all)."""
        return self._worker.take_points() if self.is_running() else []
