"""The Quality tab's left half: judge tunes against the corpus.

A tune (pasted, opened from a file, or picked from a run's samples), its metrics table with values outside the
corpus's 5th-95th percentile marked, and the set's pitch-class and interval histograms over the corpus's. The corpus
reference (ranges, baseline, novelty index) takes seconds to compute: it is built when the panel is first shown (or
first needed), once per process, on a background thread, and cached on disk by the core.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout

from studio.core.abc.text import split_tunes
from studio.core.corpus import DEFAULT_CORPUS
from studio.core.quality.evaluation import (CorpusReference, EvaluationError, corpus_reference, read_tunes_file,
                                            set_histograms)
from studio.core.quality.metrics import tune_metrics
from studio.core.runs import RunStore
from studio.ui.quality.metrics_table import MetricsTable
from studio.ui.widgets.deferred import DeferredWidget
from studio.ui.widgets.threads import BackgroundCall

_references: dict[str, CorpusReference] = {}


def _load_reference(spec: str) -> CorpusReference:
    reference = corpus_reference(spec)
    reference.novelty  # noqa: B018 - build the novelty index here, off the GUI thread
    return reference


def _make_set_histograms():
    from studio.ui.quality.set_histograms import SetHistograms  # pyqtgraph and numpy: once the window is shown

    return SetHistograms()


class JudgingPanel(QGroupBox):
    """Judge a tune. ``reference_ready`` fires once the corpus statistics are in; ``status_changed`` says what
    went wrong with a file."""

    status_changed = Signal(str)
    reference_ready = Signal()

    def __init__(self, parent=None, corpus: str = DEFAULT_CORPUS, store: RunStore | None = None):
        super().__init__("Judge a tune", parent)
        self.corpus_spec = corpus
        self.store = store
        self.reference: CorpusReference | None = _references.get(corpus)
        self._reference_call = None
        self._build()
        if self.reference is not None:
            self.reference_label.setText(self._reference_text())

    def _build(self) -> None:
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("Paste ABC here (one or more tunes), open a file, or pick a run's samples")
        self.open_button = QPushButton("Open ABC...")
        self.samples = QComboBox()
        self.samples.setToolTip("Saved samples of your runs")
        self.refresh_samples()
        self.tune_picker = QComboBox()
        self.tune_picker.setToolTip("Which tune of the text the table shows")
        self.evaluate_button = QPushButton("Evaluate")
        self.reference_label = QLabel("Measuring the corpus...")
        self.reference_label.setWordWrap(True)
        self.table = MetricsTable()
        self.histograms_slot = DeferredWidget(_make_set_histograms, "Loading the histograms...")
        row = QHBoxLayout()
        for widget in (self.open_button, self.samples, self.evaluate_button):
            row.addWidget(widget)
        tune_layout = QVBoxLayout(self)
        tune_layout.addLayout(row)
        tune_layout.addWidget(self.editor, 1)
        tune_layout.addWidget(self.reference_label)
        tune_layout.addWidget(self.tune_picker)
        tune_layout.addWidget(self.table, 3)
        tune_layout.addWidget(self.histograms_slot, 3)

        self.open_button.clicked.connect(self.open_file)
        self.samples.activated.connect(self._load_sample_file)
        self.evaluate_button.clicked.connect(self.evaluate)
        self.tune_picker.currentIndexChanged.connect(self._show_tune)

    @property
    def histograms(self):
        """The ``SetHistograms`` charts (built when first painted or asked for)."""
        return self.histograms_slot.widget()

    def ensure_reference(self) -> None:
        """Starts measuring the corpus unless it is measured or under way. Lazy (first shown or first needed), so
        a window that only trains never spends CPU and the GIL on it."""
        if self.reference is None and self._reference_call is None:
            self._start_reference()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self.ensure_reference()
        super().showEvent(event)

    def _start_reference(self) -> None:
        call = BackgroundCall(_load_reference, self.corpus_spec, parent=self)
        call.succeeded.connect(self._reference_loaded)
        call.failed.connect(lambda message: self.reference_label.setText(f"Cannot measure the corpus: {message}"))
        call.start()
        self._reference_call = call

    def _reference_loaded(self, reference: CorpusReference) -> None:
        _references[self.corpus_spec] = reference
        self.reference = reference
        self.reference_label.setText(self._reference_text())
        if self.editor.toPlainText().strip():
            self.evaluate()
        self.reference_ready.emit()

    def _reference_text(self) -> str:
        reference = self.reference  # name and count only: a cached reference never loads its corpus
        return (f"Compared with {reference.name} ({reference.tune_count} tunes); red rows lie outside its 5th-95th "
                "percentile range.")

    def refresh_samples(self) -> None:
        """Lists the saved sample files of every run."""
        self.samples.clear()
        self.samples.addItem("Run samples...", None)
        try:
            runs = (self.store or RunStore()).list()
        except OSError:
            runs = []
        for run in runs:
            for path in sorted(run.samples_dir.glob("*.abc")) if run.samples_dir.is_dir() else []:
                self.samples.addItem(f"{run.name}: {path.stem}", str(path))

    def _load_sample_file(self, index: int) -> None:
        path = self.samples.itemData(index)
        if path:
            self.load_file(path)

    def open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open ABC", "", "ABC files (*.abc);;All files (*)")
        if path:
            self.load_file(path)

    def load_file(self, path: str) -> None:
        try:
            tunes = read_tunes_file(path)
        except EvaluationError as exc:
            self.status_changed.emit(str(exc))
            return
        self.set_text("\n\n".join(t.strip() for t in tunes) + "\n")

    def set_text(self, text: str) -> None:
        """Shows ``text`` in the editor and evaluates it."""
        self.editor.setPlainText(text)
        self.evaluate()

    def evaluate(self) -> None:
        """Measures the tunes in the editor: the table shows the picked tune, the histograms the whole set."""
        text = self.editor.toPlainText()
        tunes = split_tunes(text) or ([f"X:1\n{text}"] if text.strip() else [])
        self._tunes = tunes
        self.tune_picker.blockSignals(True)
        self.tune_picker.clear()
        for number, tune in enumerate(tunes, 1):
            title = next((line[2:].strip() for line in tune.split("\n") if line.startswith("T:")), "")
            self.tune_picker.addItem(f"{number}. {title or 'untitled'}")
        self.tune_picker.blockSignals(False)
        self.tune_picker.setVisible(len(tunes) > 1)
        if not tunes:
            self.table.setRowCount(0)
            return
        self._show_tune(0)
        corpus = self.reference.histograms if self.reference else None
        self.histograms.show_sets(set_histograms(tunes), corpus)

    def _show_tune(self, index: int) -> None:
        if not 0 <= index < len(getattr(self, "_tunes", [])):
            return
        tune = self._tunes[index]
        novelty = self.reference.novelty.max_similarity(tune) if self.reference else None
        self.table.show_metrics(tune_metrics(tune).as_dict(), self.reference, novelty)
