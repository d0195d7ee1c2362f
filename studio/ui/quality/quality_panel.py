"""The Quality tab: judging tunes against the corpus (left) and controlled experiments (right), side by side.

Each half is its own widget (:mod:`studio.ui.quality.judging_panel`, :mod:`studio.ui.quality.experiments_panel`);
this panel lays them out, passes their signals on, and lets a finished experiment's samples appear among the tunes
to judge.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from studio.core.corpus import DEFAULT_CORPUS
from studio.core.runs import RunStore
from studio.ui.quality.experiments_panel import ExperimentsPanel
from studio.ui.quality.judging_panel import JudgingPanel


class QualityPanel(QWidget):
    """The Quality tab: ``judging`` and ``experiments``. ``reference_ready`` fires once the corpus statistics are
    in; ``experiment_finished`` carries an experiment's result; ``status_changed`` a line for the status bar."""

    status_changed = Signal(str)
    reference_ready = Signal()
    experiment_finished = Signal(object)

    def __init__(self, parent=None, corpus: str = DEFAULT_CORPUS, store: RunStore | None = None,
                 experiments_root: Path | None = None):
        super().__init__(parent)
        self.judging = JudgingPanel(corpus=corpus, store=store)
        self.experiments = ExperimentsPanel(corpus=corpus, store=store, experiments_root=experiments_root)
        splitter = QSplitter()
        splitter.addWidget(self.judging)
        splitter.addWidget(self.experiments)
        splitter.setSizes([600, 600])
        QVBoxLayout(self).addWidget(splitter)
        self.judging.status_changed.connect(self.status_changed)
        self.judging.reference_ready.connect(self.reference_ready)
        self.experiments.status_changed.connect(self.status_changed)
        self.experiments.experiment_finished.connect(lambda _result: self.judging.refresh_samples())
        self.experiments.experiment_finished.connect(self.experiment_finished)

    def shutdown(self) -> None:
        """Stops a running experiment and joins its thread (the window calls this when it closes)."""
        self.experiments.shutdown()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self.shutdown()
        super().closeEvent(event)
