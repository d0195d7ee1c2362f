"""The Quality tab's right half: controlled experiments.

The experiment builder (one base configuration, one variable, several values), the queue's progress, the results
(overlaid curves, live while training, and the comparison table), "Open report" (the HTML lab report in the system
browser), "Export report..." (written off the GUI thread when missing) and past experiments.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout

from studio.core.corpus import DEFAULT_CORPUS
from studio.core.learning.experiment_spec import ExperimentError
from studio.core.learning.experiments import experiments_home, load_experiment
from studio.core.runs import RunStore
from studio.ui.quality.experiment_builder import ExperimentBuilder
from studio.ui.quality.experiment_worker import ExperimentSession
from studio.ui.widgets.deferred import DeferredWidget
from studio.ui.widgets.report_actions import HtmlReportService, ask_report_destination

_PHASES = {"reference": "measuring the corpus", "training": "training", "sampling": "generating tunes",
           "scoring": "scoring tunes"}


def _write_experiment_reports(folder: Path, page: Path) -> Path:
    """Both reports of an experiment folder (on a worker thread): the Markdown one and the HTML page."""
    from studio.core.reports.report_html import write_reports  # noqa: PLC0415 - jinja2 and matplotlib: when asked

    return write_reports(folder)[1]


def _make_experiment_results():
    from studio.ui.quality.experiment_results import ExperimentResults

    return ExperimentResults()


class ExperimentsPanel(QGroupBox):
    """Run and show controlled experiments. ``experiment_finished`` carries the result; ``status_changed`` a line
    for the status bar."""

    status_changed = Signal(str)
    experiment_finished = Signal(object)

    def __init__(self, parent=None, corpus: str = DEFAULT_CORPUS, store: RunStore | None = None,
                 experiments_root: Path | None = None):
        super().__init__("Controlled experiment", parent)
        self.corpus_spec = corpus
        self.store = store
        self.experiments_root = experiments_root
        self.session: ExperimentSession | None = None
        self.report_path: str | None = None  # the experiment's report.html (written when first asked for)
        self.reports = HtmlReportService(self)
        self._build()
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._drain_points)

    def _build(self) -> None:
        self.builder = ExperimentBuilder()
        self.corpus_label = QLabel()
        self.corpus_label.setWordWrap(True)
        self._show_corpus(self.corpus_spec)
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
        experiment_layout = QVBoxLayout(self)
        experiment_layout.addWidget(self.corpus_label)
        experiment_layout.addWidget(self.builder)
        experiment_layout.addLayout(buttons)
        experiment_layout.addWidget(self.progress)
        experiment_layout.addWidget(self.progress_label)
        experiment_layout.addWidget(self.results_slot, 1)

        self.start_button.clicked.connect(self.start_experiment)
        self.stop_button.clicked.connect(self.stop_experiment)
        self.report_button.clicked.connect(self.open_report)
        self.export_report_button.clicked.connect(self.export_report_dialog)
        self.reports.status_changed.connect(self.progress_label.setText)
        self.reports.status_changed.connect(self.status_changed)
        self.reports.busy_changed.connect(self._report_busy)
        self.previous_button.clicked.connect(self.choose_experiment)
        self.builder.changed.connect(self._check_builder)

    @property
    def results(self):
        """The ``ExperimentResults`` table and chart (built when first painted or asked for)."""
        return self.results_slot.widget()

    def set_corpus(self, spec: str, name: str) -> None:
        """Runs the next experiment on this corpus (a built-in name or a path): the one opened in the Train tab."""
        self.corpus_spec = spec
        self._show_corpus(name)

    def _show_corpus(self, name: str) -> None:
        self.corpus_label.setText(f"Corpus: <b>{escape(name)}</b> (the one opened in the Train tab)")

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
