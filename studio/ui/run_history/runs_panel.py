"""Run history and comparison: every run in the run store, and an overlay of the selected runs' loss curves.

The list shows date, corpus, the hyperparameters, steps done, last and best loss and validation loss; runs can be
opened in the Generate tab, renamed, deleted, resumed and written up as an HTML lab report ("Report...": saved
where the user says, written off the GUI thread, then opened in the browser). Selecting several runs overlays their curves next to a
table of only the settings that differ between them (the controlled-variable view). The overlay exports as PNG or
SVG, the loss data of the selected runs as CSV.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QInputDialog, QLabel, QMessageBox,
    QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from studio.core.formatting import format_value, score_label
from studio.core.paths import SHIPPED_MODEL
from studio.core.runs import RunStore, RunStoreError
from studio.ui.run_history.run_comparison import differing_settings, loss_logs_csv
from studio.ui.run_history.run_scoring import RunScoring
from studio.ui.run_history.runs_table import (COLUMNS, FIRST_NUMBER_COLUMN, SCORE_COLUMN, SHIPPED_ROW_NAME,
                                       STATUS_COLUMN)
from studio.ui.run_history.score_dialog import SHIPPED, ModelToScore, ScoreDialog
from studio.ui.widgets import settings
from studio.ui.widgets.deferred import DeferredWidget
from studio.ui.widgets.report_actions import HtmlReportService, ask_report_destination

def _make_comparison_chart():
    from studio.ui.run_history.comparison_chart import ComparisonChart  # pyqtgraph and numpy: once the window is shown

    return ComparisonChart()


class RunsPanel(QWidget):
    """``refresh()`` re-reads the store; ``select_runs(ids)`` selects and overlays; signals ask for resume/open."""

    resume_requested = Signal(str)  # run id
    model_opened = Signal(str, str)  # checkpoint path, label
    status_changed = Signal(str)

    def __init__(self, store: RunStore | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store or RunStore()
        self._summaries: dict[str, dict] = {}
        self.reports = HtmlReportService(self)
        self.reports.status_changed.connect(self.status_changed)
        self.reports.busy_changed.connect(lambda _busy: self._update_buttons())
        self.shipped_scores: dict[str, dict] = {}  # the shipped model's scores this session (it has no run.json)
        self.scoring = RunScoring(self.store.root, self)
        self.scoring.scored.connect(self._on_scored)
        self.scoring.status_changed.connect(self.status_changed)
        self.scoring.busy_changed.connect(lambda _busy: self._update_buttons())

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([header for header, _ in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setToolTip("Select several runs (Ctrl/Shift+click) to overlay their curves")
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemDoubleClicked.connect(lambda _item: self._open_selected())

        self.buttons = {}
        actions = (
            ("Refresh", self.refresh, "Re-read the runs folder"),
            ("Open in Generate", self._open_selected, "Load this run's best checkpoint into the Generate tab"),
            ("Rename...", self._rename_selected, "Give the run a new name"),
            ("Resume", self._resume_selected, "Continue a stopped run from its last checkpoint"),
            ("Delete...", self._delete_selected, "Delete the selected runs and their checkpoints"),
            ("Report...", self._report_selected, "Write the run's HTML lab report (curves, tunes engraved and to "
                                                 "listen to) and open it in your browser"),
            ("Score on corpus...", self._score_dialog, "The loss of the selected runs (or the shipped model) on a "
             "corpus's held-out tunes, every tune read whole: compare runs trained on different corpora"),
        )
        button_column = QVBoxLayout()  # beside the table: in one row the seven buttons made the window too wide
        for text, slot, tip in actions:
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            button_column.addWidget(button)
            self.buttons[text] = button
        button_column.addWidget(self.scoring.progress)
        button_column.addStretch(1)
        self.folder_label = QLabel()
        self.folder_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.folder_label.setWordWrap(True)

        self.chart_slot = DeferredWidget(_make_comparison_chart, "Loading the comparison chart...")
        self.chart_slot.built.connect(self._show_curves)
        self.differences = QTableWidget(0, 0)
        self.differences.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.differences.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.differences_note = QLabel("Select two or more runs to compare them.")
        self.differences_note.setWordWrap(True)
        export_row = QHBoxLayout()
        for text, slot in (("Export chart...", self._export_chart_dialog), ("Export CSV...", self._export_csv_dialog)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            export_row.addWidget(button)
            self.buttons[text] = button
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(QLabel("<b>Settings that differ</b>"))
        side_layout.addWidget(self.differences_note)
        side_layout.addWidget(self.differences, 1)
        side_layout.addLayout(export_row)

        compare = QSplitter(Qt.Horizontal)
        compare.addWidget(self.chart_slot)
        compare.addWidget(side)
        compare.setStretchFactor(0, 3)
        compare.setStretchFactor(1, 1)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        table_row = QHBoxLayout()
        table_row.addWidget(self.table, 1)
        table_row.addLayout(button_column)
        top_layout.addLayout(table_row)
        top_layout.addWidget(self.folder_label)
        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(compare)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)
        self.refresh()
        self._update_buttons()

    # --- list ------------------------------------------------------------------------------------------------
    @property
    def chart(self):
        """The ``ComparisonChart`` (built when first painted or asked for)."""
        return self.chart_slot.widget()

    def refresh(self) -> None:
        """Re-reads every run's summary; keeps the selection."""
        selected = self.selected_ids()
        self._summaries = {}
        for run in self.store.list():
            try:
                self._summaries[run.id] = run.summary()
            except RunStoreError:
                continue  # a half-written or foreign folder: not a run
        self.table.blockSignals(True)
        rows = list(self._summaries.items())
        if self.shipped_scores:
            rows.append(("", {"name": SHIPPED_ROW_NAME, "status": "shipped", "scores": self.shipped_scores}))
        self.table.setRowCount(len(rows))
        for row, (run_id, summary) in enumerate(rows):
            for column, (_header, read) in enumerate(COLUMNS):
                # the shipped model's row: name, status, score
                shown = run_id or column in (0, STATUS_COLUMN, SCORE_COLUMN)
                item = QTableWidgetItem(format_value(read(summary), exact=True) if shown else "")
                item.setData(Qt.UserRole, run_id)
                if column >= FIRST_NUMBER_COLUMN:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if column == SCORE_COLUMN and summary.get("scores"):
                    item.setToolTip("Nats per character, every tune read whole:\n" + "\n".join(
                        score_label(entry) for entry in summary["scores"].values()))
                self.table.setItem(row, column, item)
        self.table.blockSignals(False)
        self.folder_label.setText(f"{len(self._summaries)} run(s) in {self.store.root}")
        self.select_runs(selected)

    def run_ids(self) -> list[str]:
        return list(self._summaries)

    def selected_ids(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [run_id for run_id in (self.table.item(row, 0).data(Qt.UserRole) for row in rows) if run_id]

    def select_runs(self, run_ids) -> None:
        """Selects these runs (others are unselected) and overlays them."""
        wanted = set(run_ids)
        self.table.blockSignals(True)
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.MultiSelection)
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.UserRole) in wanted:
                self.table.selectRow(row)
        self.table.setSelectionMode(mode)
        self.table.blockSignals(False)
        self._selection_changed()

    # --- compare ----------------------------------------------------------------------------------------------
    def _selection_changed(self) -> None:
        ids = self.selected_ids()
        if self.chart_slot.is_built() or ids:
            self._show_curves()
        self._show_differences([self._summaries[run_id] for run_id in ids])
        self._update_buttons()

    def _show_curves(self) -> None:
        runs = [self.store.open(run_id) for run_id in self.selected_ids()]
        self.chart.show_runs([(self._summaries[run.id].get("name", run.id), run.loss_log()) for run in runs])

    def _show_differences(self, summaries: list[dict]) -> None:
        rows = differing_settings(summaries) if len(summaries) > 1 else []
        self.differences.clear()
        self.differences.setRowCount(len(rows))
        self.differences.setColumnCount(len(summaries) if rows else 0)
        self.differences.setHorizontalHeaderLabels([s.get("name", s["id"]) for s in summaries] if rows else [])
        self.differences.setVerticalHeaderLabels([label for label, _ in rows])
        for row, (_label, values) in enumerate(rows):
            for column, value in enumerate(values):
                self.differences.setItem(row, column, QTableWidgetItem(value))
        if len(summaries) < 2:
            self.differences_note.setText("Select two or more runs to compare them.")
        elif not rows:
            self.differences_note.setText("These runs have the same settings.")
        else:
            self.differences_note.setText(f"{len(rows)} setting(s) differ; all others are equal.")

    def differing_rows(self) -> dict[str, list[str]]:
        """What the differences table shows: setting -> one value per selected run."""
        out = {}
        for row in range(self.differences.rowCount()):
            label = self.differences.verticalHeaderItem(row).text()
            out[label] = [self.differences.item(row, c).text() for c in range(self.differences.columnCount())]
        return out

    def export_chart(self, path: str | Path) -> Path:
        from studio.ui.widgets.plot_style import export_plot

        return export_plot(self.chart.plot, path)

    def export_csv(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(loss_logs_csv([self.store.open(run_id) for run_id in self.selected_ids()]), encoding="utf-8")
        return path

    # --- actions ----------------------------------------------------------------------------------------------
    def rename_run(self, run_id: str, name: str) -> None:
        self.store.rename(run_id, name)
        self.refresh()

    def delete_runs(self, run_ids) -> None:
        for run_id in run_ids:
            self.store.delete(run_id)
        self.refresh()

    def _single(self) -> str | None:
        ids = self.selected_ids()
        return ids[0] if len(ids) == 1 else None

    def _update_buttons(self) -> None:
        ids = self.selected_ids()
        one = len(ids) == 1
        summary = self._summaries.get(ids[0], {}) if one else {}
        self.buttons["Open in Generate"].setEnabled(one and bool(summary.get("has_checkpoint")))
        self.buttons["Rename..."].setEnabled(one)
        self.buttons["Resume"].setEnabled(one and bool(summary.get("has_checkpoint"))
                                          and summary.get("status") not in ("running", "paused"))
        self.buttons["Delete..."].setEnabled(bool(ids))
        self.buttons["Report..."].setEnabled(one and bool(summary.get("has_checkpoint")) and not self.reports.is_busy())
        self.buttons["Export chart..."].setEnabled(bool(ids))
        self.buttons["Export CSV..."].setEnabled(bool(ids))
        self.buttons["Score on corpus..."].setEnabled(not self.scoring.is_busy())

    def _open_selected(self) -> None:
        run_id = self._single()
        if run_id is None:
            return
        run = self.store.open(run_id)
        path = run.best_checkpoint if run.best_checkpoint.exists() else run.last_checkpoint
        if path.exists():
            self.model_opened.emit(str(path), run.name)

    def _rename_selected(self) -> None:
        run_id = self._single()
        if run_id is None:
            return
        name, ok = QInputDialog.getText(self, "Rename run", "New name:", text=self._summaries[run_id].get("name", ""))
        if ok:
            try:
                self.rename_run(run_id, name)
            except RunStoreError as exc:
                QMessageBox.warning(self, "Rename run", str(exc))

    def _resume_selected(self) -> None:
        run_id = self._single()
        if run_id is not None:
            self.resume_requested.emit(run_id)

    def _delete_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        names = ", ".join(self._summaries[i].get("name", i) for i in ids)
        answer = QMessageBox.question(self, "Delete runs", f"Delete {len(ids)} run(s) and their checkpoints?\n{names}")
        if answer == QMessageBox.Yes:
            try:
                self.delete_runs(ids)
            except RunStoreError as exc:
                QMessageBox.warning(self, "Delete runs", str(exc))
                self.refresh()

    def write_report(self, run_id: str, destination: str | Path | None = None) -> bool:
        """Writes the run's HTML report (``report.html`` in its folder) in the background, copies it to
        ``destination`` and opens it in the browser. False when another report is being written."""
        run = self.store.open(run_id)
        return self.reports.request(run.path, run.path / "report.html", destination, open_after=True)

    def _report_selected(self) -> None:
        run_id = self._single()
        if run_id is None:
            return
        destination = ask_report_destination(self, self.store.open(run_id).path / "report.html")
        if destination is not None:
            self.write_report(run_id, destination)

    def _export_chart_dialog(self) -> None:
        folder = settings.read("runs/export_folder", str(Path.home()))
        path, chosen = QFileDialog.getSaveFileName(self, "Export chart", str(Path(folder) / "loss-comparison.png"),
                                                   "PNG image (*.png);;SVG drawing (*.svg)")
        if path:
            if not Path(path).suffix:  # the format of the filter the user picked
                path += ".svg" if "*.svg" in chosen else ".png"
            try:
                self.export_chart(path)
            except (OSError, ValueError) as exc:
                QMessageBox.warning(self, "Export chart", str(exc))
                return
            settings.write("runs/export_folder", str(Path(path).parent))
            self.status_changed.emit(f"Chart saved to {path}")

    def _export_csv_dialog(self) -> None:
        folder = settings.read("runs/export_folder", str(Path.home()))
        path, _ = QFileDialog.getSaveFileName(self, "Export loss data", str(Path(folder) / "loss.csv"),
                                              "CSV table (*.csv)")
        if path:
            if not Path(path).suffix:
                path += ".csv"
            try:
                self.export_csv(path)
            except OSError as exc:
                QMessageBox.warning(self, "Export CSV", str(exc))
                return
            settings.write("runs/export_folder", str(Path(path).parent))
            self.status_changed.emit(f"Loss data saved to {path}")

    # --- scoring on a corpus ----------------------------------------------------------------------------------
    def models_to_score(self, what: str) -> list[ModelToScore]:
        """The selected runs' best (else last) checkpoints, or the shipped model (``what`` == ``shipped``)."""
        if what == SHIPPED:
            return [ModelToScore(SHIPPED_ROW_NAME, SHIPPED_MODEL, None)]
        models = []
        for run_id in self.selected_ids():
            run = self.store.open(run_id)
            path = run.best_checkpoint if run.best_checkpoint.exists() else run.last_checkpoint
            if path.exists():
                models.append(ModelToScore(run.name, path, run_id))
        return models

    def score_models(self, models: list[ModelToScore], corpus: str, split: str) -> bool:
        """Scores ``models`` on a worker thread; each result lands in the table's score column. False when busy."""
        return self.scoring.score(models, corpus, split)

    def _score_dialog(self) -> None:
        dialog = ScoreDialog(len(self.selected_ids()), settings.read("runs/score_corpus", "oneills1850"), self)
        if dialog.exec() != ScoreDialog.Accepted:
            return
        what, corpus, split = dialog.choice()
        settings.write("runs/score_corpus", corpus)
        if not self.score_models(self.models_to_score(what), corpus, split):
            self.status_changed.emit("Nothing to score: the selected runs have no checkpoint yet")

    def _on_scored(self, results) -> None:
        for model, score in results:
            if model.run_id is None:
                self.shipped_scores[f"{score.corpus}|{score.split}|{score.method}"] = {
                    "corpus": score.corpus, "split": score.split, "method": score.method,
                    "nats_per_char": score.nats_per_char}
        self.refresh()
