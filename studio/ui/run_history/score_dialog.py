"""Score on corpus...: the small dialog (model, corpus, split) and the worker that scores models off the GUI thread.

The Runs panel opens :class:`ScoreDialog` and runs a :class:`ScoringWorker` with ``studio.ui.widgets.threads.start_worker``;
the worker scores each model with :func:`studio.core.quality.scoring.score_corpus` (every held-out tune read whole), keeps a
run's score in its ``run.json`` (:func:`studio.core.quality.scoring.record_score`) and reports progress as it goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from studio.core.configs import SCORE_SPLITS
from studio.core.corpus import BUILTIN_CORPORA, DEFAULT_CORPUS
from studio.ui.widgets.threads import Worker

SPLIT_CHOICES = SCORE_SPLITS
SHIPPED = "shipped"
SELECTED = "selected"


@dataclass(frozen=True)
class ModelToScore:
    """One model to score: a label for the table, its checkpoint and the run it belongs to (None: the shipped one)."""

    label: str
    checkpoint: Path
    run_id: str | None


class ScoreDialog(QDialog):
    """Asks what to score (the selected runs or the shipped model), on which corpus (a built-in name or a path to an
    ``.abc`` file or folder) and which split."""

    def __init__(self, selected_runs: int, corpus: str = DEFAULT_CORPUS, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Score on corpus")
        self.model_box = QComboBox()
        if selected_runs:
            self.model_box.addItem(f"the {selected_runs} selected run(s)", SELECTED)
        self.model_box.addItem("the shipped model", SHIPPED)
        self.corpus_box = QComboBox()
        self.corpus_box.setEditable(True)
        self.corpus_box.addItems(list(BUILTIN_CORPORA))
        self.corpus_box.setCurrentText(corpus)
        self.corpus_box.setToolTip("A built-in collection, or type the path of an .abc file or folder")
        self.split_box = QComboBox()
        self.split_box.addItems(SPLIT_CHOICES)
        self.split_box.setToolTip("validation: the tunes each model's training held out (the same tunes for runs of "
                                  "O'Neill's and of irishCombined); all: every tune of the corpus")
        note = QLabel("The loss per character with every tune read whole (lower is better), kept with each run.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QFormLayout(self)
        layout.addRow("Model", self.model_box)
        layout.addRow("Corpus", self.corpus_box)
        layout.addRow("Split", self.split_box)
        layout.addRow(note)
        layout.addRow(buttons)

    def choice(self) -> tuple[str, str, str]:
        """(``selected`` or ``shipped``, corpus, split)."""
        return self.model_box.currentData(), self.corpus_box.currentText().strip(), self.split_box.currentText()


class ScoringCancelled(Exception):
    """The user stopped the scoring."""


class ScoringWorker(Worker):
    """Scores ``models`` on one corpus split; ``progressed(text, fraction)``; ``succeeded`` with a list of
    ``(ModelToScore, CorpusScore)``. A model that cannot be scored (e.g. its split is not of that corpus) fails the
    whole call with the reason."""

    progressed = Signal(str, float)

    def __init__(self, models: list[ModelToScore], corpus: str, split: str, store_root: Path):
        super().__init__()
        self.models, self.corpus, self.split, self.store_root = models, corpus, split, store_root

    def work(self):
        from studio.core.corpus import load_corpus
        from studio.core.runs import RunStore
        from studio.core.quality.scoring import record_score, score_corpus

        self.progressed.emit(f"Loading {self.corpus}...", 0.0)
        corpus = load_corpus(self.corpus)
        store = RunStore(self.store_root)
        results = []
        for number, model in enumerate(self.models):
            def progress(done: int, total: int, number=number, model=model) -> None:
                if self.is_cancelled():
                    raise ScoringCancelled()
                self.progressed.emit(f"Scoring {model.label} on {corpus.name} ({self.split}): {done:,} / "
                                     f"{total:,} characters", (number + done / max(total, 1)) / len(self.models))

            run = store.open(model.run_id) if model.run_id else None
            score = score_corpus(model.checkpoint, corpus, self.split, run=run, progress=progress)
            if run is not None:
                record_score(run, score)
            results.append((model, score))
        return results

    def describe_failure(self, exc: Exception) -> str:
        return "stopped" if isinstance(exc, ScoringCancelled) else super().describe_failure(exc)
