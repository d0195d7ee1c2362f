"""The Quality tab: judge a tune against the corpus, and run controlled experiments.

Left: a tune (pasted, opened from a file, or picked from a run's samples), its metrics table with values outside the
corpus's 5th-95th percentile marked, and the set's pitch-class and interval histograms over the corpus's. Right:
the experiment builder, the queue's progress, the results (overlaid curves and table), "Open report" (the HTML
lab report in the system browser) and "Export report..." (written off the GUI thread when missing). The
corpus reference (ranges, baseline, novelty index) takes seconds to compute: it is built when the tab is first
shown (or first needed), once per process, on a background thread, and cached on disk by the core.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar,
                               QPushButton, QSplitter, QVBoxLayout, QWidget)

from studio.core.abc.text import split_tunes
from studio.core.corpus import DEFAULT_CORPUS
from studio.core.learning.experiments import ExperimentError, experiments_home, load_experiment
from studio.core.quality.evaluation import (CorpusReference, EvaluationError, corpus_reference, read_tunes_file,
                                    set_histograms)
from studio.core.quality.metrics import tune_metrics
from studio.core.runs import RunStore
from studio.ui.quality.experiment_builder import ExperimentBuilder
from studio.ui.quality.experiment_worker import ExperimentSession
from studio.ui.quality.metrics_table import MetricsTable
from studio.ui.widgets.deferred import DeferredWidget
from studio.ui.widgets.report_actions import HtmlReportService, ask_report_destination
from studio.ui.widgets.threads import BackgroundCall

_references: dict[str, CorpusReference] = {}
_PHASES = {"reference": "measuring the corpus", "training": "training", "sampling": "generating tunes",
           "scoring": "scoring tunes"}


def _load_reference(spec: str) -> CorpusReference:
    reference = corpus_reference(spec)
    reference.novelty  # noqa: B018 - build the novelty index here, off the GUI thread
    return reference


def _make_set_histograms():
    from studio.ui.quality.set_histograms import SetHistograms  # pyqtgraph and numpy: once the window is shown

    return SetHistograms()


def _write_experiment_reports(folder: Path, page: Path) -> Path:
    """Both reports of an experiment folder (on a worker thread): the Markdown one and the HTML page."""
    from studio.core.reports.report_html import write_reports  # noqa: PLC0415 - jinja2 and matplotlib: when asked

    return write_reports(folder)[1]


def _make_experiment_results():
    from studio.ui.quality.experiment_results import ExperimentResults

    return ExperimentResults()


class QualityPanel(QWidget):
    """The Quality/Experiments area. ``reference_ready`` fires once the corpus statistics are in."""

    status_changed = Signal(str)
    reference_ready = Signal()
    experiment_finished = Signal(object)

    def __init__(self, parent=None, corpus: str = DEFAULT_CORPUS, store: RunStore | None = None,
                 experiments_root: Path | None = None):
        super().__init__(parent)
        self.corpus_spec = corpus
        self.store = store
        self.experiments_root = experiments_root
        self.reference: CorpusReference | None = _references.get(corpus)
        self.session: ExperimentSession | None = None
        self.report_path: str | None = None  # the experiment's report.html (written when first asked for)
        self.reports = HtmlReportService(self)
        self._build()
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._drain_points)
        self._reference_call = None
        if self.reference is not None:
            self.reference_label.setText(self._reference_text())

    # --- layout -----------------------------------------------------------------------------------------------
    def _build(self) -> None:
        tune_box = QGroupBox("Judge a tune")
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
        tune_layout = QVBoxLayout(tune_box)
        tune_layout.addLayout(row)
        tune_layout.addWidget(self.editor, 1)
        tune_layout.addWidget(self.reference_label)
        tune_layout.addWidget(self.tune_picker)
        tune_layout.addWidget(self.table, 3)
        tune_layout.addWidget(self.histograms_slot, 3)

        experiment_box = QGroupBox("Controlled experiment")
        self.builder = ExperimentBuilder()
        self.start_button = QPushButton("Start experiment")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.report_button = QPushButton("Open report")
        self.report_button.setEnabled(False)
        self.report_button.setToolTip("Open the experiment's HTML lab report in your browser")
        self.export_report_button = QPushButton("Export report...")
        self.export_report_button.setEnabled(False)
        self.export_report_button.setToolTip("Save the self-contained HTML report anywhere")
        self.previous_button = QPushButton("Show a past experiment...")
        self.progress = QProgressBar()
        self.progress_label = QLabel("Define a comparison: one variable, several values.")
        self.progress_label.setWordWrap(True)
        self.results_slot = DeferredWidget(_make_experiment_results, "Loading the results chart...")
        buttons = QHBoxLayout()
        for widget in (self.start_button, self.stop_button, self.report_button, self.export_report_button,
                       self.previous_button):
            buttons.addWidget(widget)
        experiment_layout = QVBoxLayout(experiment_box)
        experiment_layout.addWidget(self.builder)
        experiment_layout.addLayout(buttons)
        experiment_layout.addWidget(self.progress)
        experiment_layout.addWidget(self.progress_label)
        experiment_layout.addWidget(self.results_slot, 1)

        splitter = QSplitter()
        splitter.addWidget(tune_box)
        splitter.addWidget(experiment_box)
        splitter.setSizes([600, 600])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        self.open_button.clicked.connect(self.open_file)
        self.samples.activated.connect(self._load_sample_file)
        self.evaluate_button.clicked.connect(self.evaluate)
        self.tune_picker.currentIndexChanged.connect(self._show_tune)
        self.start_button.clicked.connect(self.start_experiment)
        self.stop_button.clicked.connect(self.stop_experiment)
        self.report_button.clicked.connect(self.open_report)
        self.export_report_button.clicked.connect(self.export_report_dialog)
        self.reports.status_changed.connect(self.progress_label.setText)
        self.reports.status_changed.connect(self.status_changed)
        self.reports.busy_changed.connect(self._report_busy)
        self.previous_button.clicked.connect(self.choose_experiment)
        self.builder.changed.connect(self._check_builder)

    # --- corpus reference -------------------------------------------------------------------------------------
    @property
    def histograms(self):
        """The ``SetHistograms`` charts (built when first painted or asked for)."""
        return self.histograms_slot.widget()

    @property
    def results(self):
        """The ``ExperimentResults`` table and chart (built when first painted or asked for)."""
        return self.results_slot.widget()

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

    # --- tunes ------------------------------------------------------------------------------------------------
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

    # --- experiments ------------------------------------------------------------------------------------------
    def _check_builder(self) -> None:
        problem = self.builder.problem()
        self.start_button.setEnabled(not problem and self.session is None)
        self.start_button.setToolTip(problem)

    def start_experiment(self) -> None:
        try:
            spec = replace(self.builder.spec(), corpus=self.corpus_spec)
        except ExperimentError as exc:
            self.progress_label.setText(str(exc))
            return
        session = ExperimentSession(spec, self.store, self.experiments_root, parent=self)
        session.arm_started.connect(self._arm_started)
        session.phase_changed.connect(self._phase_changed)
        session.progressed.connect(self._progressed)
        session.succeeded.connect(self._experiment_succeeded)
        session.failed.connect(self._experiment_failed)
        session.finished.connect(self._experiment_ended)
        self.session = session
        self.results.begin([spec.label(v) for v in spec.values])
        self.progress.setRange(0, len(spec.values) * 100)
        self.progress.setValue(0)
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self._set_report(None)
        self._arm_label, self._arm_total = "", len(spec.values)
        session.start()
        self._poll.start()
        self.status_changed.emit(f"Experiment started: {spec.title()}")

    def stop_experiment(self) -> None:
        if self.session is not None:
            self.session.stop()
            self.progress_label.setText("Stopping...")

    def _arm_started(self, index: int, total: int, label: str) -> None:
        self._arm_label = f"Run {index + 1}/{total} ({label})"
        self.progress_label.setText(self._arm_label)

    def _phase_changed(self, index: int, phase: str) -> None:
        self.progress_label.setText(f"{self._arm_label}: {_PHASES.get(phase, phase)}".lstrip(": "))

    def _progressed(self, index: int, step: int, total: int) -> None:
        self.progress.setValue(index * 100 + int(100 * step / max(1, total)))
        self.progress_label.setText(f"{self._arm_label}: training step {step}/{total}")

    def _drain_points(self) -> None:
        if self.session is not None:
            self.results.add_points(self.session.take_points())

    def _experiment_succeeded(self, result, report: str) -> None:
        self._set_report(report)
        self.results.show_result(result)
        self.progress.setValue(self.progress.maximum())
        errors = [f"{arm.label}: {arm.error}" for arm in result.arms if arm.error]
        self.progress_label.setText(f"Experiment {result.status}. Report: {report}"
                                    + (f"\nRun failed: {errors[0]}" if errors else ""))
        self.refresh_samples()
        self.experiment_finished.emit(result)

    def _experiment_failed(self, message: str) -> None:
        self.progress_label.setText(f"The experiment failed: {message}")
        self.status_changed.emit(f"Experiment failed: {message}")

    def _experiment_ended(self) -> None:
        self._drain_points()
        self._poll.stop()
        self.session = None
        self.stop_button.setEnabled(False)
        self._check_builder()

    def choose_experiment(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Experiment folder",
                                                  str(self.experiments_root or experiments_home()))
        if folder:
            self.show_experiment(folder)

    def show_experiment(self, folder: str | Path) -> None:
        """Shows a finished experiment's curves and table; its reports are written when first opened or exported
        (on a background thread: engraving and rendering every tune takes tens of seconds)."""
        try:
            result = load_experiment(folder)
        except ExperimentError as exc:
            self.progress_label.setText(str(exc))
            return
        self._set_report(Path(result.folder) / "report.html")
        self.results.show_result(result)
        self.progress_label.setText(f"{result.spec.title()} ({result.status}). Report: {self.report_path}")

    def _set_report(self, page: str | Path | None) -> None:
        self.report_path = str(page) if page else None
        for button in (self.report_button, self.export_report_button):
            button.setEnabled(page is not None and not self.reports.is_busy())

    def open_report(self) -> None:
        """Opens the experiment's HTML report in the system browser (writing it first if it is missing)."""
        if self.report_path:
            page = Path(self.report_path)
            self.reports.request(page.parent, page, open_after=True, writer=_write_experiment_reports)

    def export_report_dialog(self) -> None:
        if self.report_path:
            page = Path(self.report_path)
            destination = ask_report_destination(self, Path.home() / f"{page.parent.name}.html")
            if destination is not None:
                self.export_report(destination)

    def export_report(self, destination: str | Path) -> None:
        """Saves the experiment's HTML report at ``destination`` (a copy of the self-contained page)."""
        page = Path(self.report_path)
        self.reports.request(page.parent, page, destination=destination, writer=_write_experiment_reports)

    def _report_busy(self, busy: bool) -> None:
        if busy:
            self._progress_before = (self.progress.maximum(), self.progress.value())
            self.progress.setRange(0, 0)  # an indeterminate bar while the page is written
        else:
            maximum, value = getattr(self, "_progress_before", (100, 0))
            self.progress.setRange(0, maximum)
            self.progress.setValue(value)
        self._set_report(self.report_path)

    def shutdown(self) -> None:
        """Stops a running experiment and joins its thread (the window calls this when it closes)."""
        if self.session is not None:
            self.session.stop_and_wait()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self.shutdown()
        super().closeEvent(event)
