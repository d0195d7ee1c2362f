"""Scoring models on a corpus from the Runs view, off the GUI thread: one job at a time, a progress bar, and the
results handed back (a run keeps its score in its ``run.json``; the shipped model's stay for the session)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QProgressBar, QWidget

from studio.ui.run_history.score_dialog import ModelToScore, ScoringWorker
from studio.ui.widgets.threads import start_worker


class RunScoring(QObject):
    """``score(models, corpus, split)`` on a worker thread. ``progress`` is the bar to lay out; ``scored(results)``
    carries ``(ModelToScore, CorpusScore)`` pairs; ``busy_changed`` when a job starts or ends; ``status_changed``
    a line for the status bar."""

    scored = Signal(object)
    busy_changed = Signal(bool)
    status_changed = Signal(str)

    def __init__(self, store_root, parent: QWidget):
        super().__init__(parent)
        self._store_root = store_root
        self._window = parent
        self._job = None  # the WorkerThread while scoring
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(160)
        self.progress.hide()

    def is_busy(self) -> bool:
        return self._job is not None

    def score(self, models: list[ModelToScore], corpus: str, split: str) -> bool:
        """Starts scoring ``models``; False when a job runs already or there is nothing to score."""
        if self._job is not None or not models:
            return False
        worker = ScoringWorker(models, corpus, split, self._store_root)
        worker.progressed.connect(self._progressed)
        worker.succeeded.connect(self._scored)
        worker.failed.connect(self._failed)
        worker.finished.connect(self._finished)
        self.progress.setValue(0)
        self.progress.show()
        self._job = start_worker(worker, self._window)
        self.busy_changed.emit(True)
        return True

    def _progressed(self, text: str, fraction: float) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.status_changed.emit(text)

    def _scored(self, results) -> None:
        self.scored.emit(results)
        self.status_changed.emit("; ".join(f"{model.label}: {score.nats_per_char:.3f} nats per character "
                                           f"({score.bits_per_char:.3f} bits)" for model, score in results))

    def _failed(self, message: str) -> None:
        self.status_changed.emit(f"Scoring {message}" if message == "stopped" else f"Could not score: {message}")
        if message != "stopped":
            QMessageBox.warning(self._window, "Score on corpus", message)

    def _finished(self) -> None:
        self._job = None
        self.progress.hide()
        self.busy_changed.emit(False)
