"""Results of an experiment in the window: overlaid loss curves (live while training) and the comparison table."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from studio.ui.widgets.plot_style import GrowingBuffer, smooth

_COLOURS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75))
_COLUMNS = ("Run", "Status", "Spike at", "Spike height", "Oscillation", "Final loss", "Best val.",
            "Held-out /note", "Time (s)", "Valid", "Bar-correct", "Overlap", "Novel")


def _cell(value, digits=3) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


class ExperimentResults(QWidget):
    """``begin(labels)``, ``add_points([(arm, step, loss)])`` while training, ``show_result(result)`` at the end."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setLabel("bottom", "training step")
        self.plot.setLabel("left", "loss (nats/char)")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.addLegend(offset=(-10, 10))
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 3)
        layout.addWidget(self.table, 1)
        self._curves: list[pg.PlotDataItem] = []
        self._buffers: list[GrowingBuffer] = []

    def begin(self, labels: list[str]) -> None:
        """Empties the chart and creates one curve per run."""
        self.plot.clear()
        self.table.setRowCount(0)
        self._curves, self._buffers = [], []
        for number, label in enumerate(labels):
            pen = pg.mkPen(_COLOURS[number % len(_COLOURS)], width=2)
            self._curves.append(self.plot.plot([], [], pen=pen, name=label))
            self._buffers.append(GrowingBuffer(2))

    def add_points(self, points: list[tuple[int, int, float]]) -> None:
        """Appends (arm, step, loss) points and redraws the touched curves (smoothed)."""
        touched = set()
        for arm, step, loss in points:
            if arm < len(self._buffers):
                self._buffers[arm].extend([(step, loss)])
                touched.add(arm)
        for arm in touched:
            buffer = self._buffers[arm]
            self._curves[arm].setData(buffer.column(0), smooth(buffer.column(1)))

    def show_result(self, result) -> None:
        """Redraws every curve from the runs' loss logs and fills the table."""
        arms = result.arms
        self.begin([arm.label for arm in arms])
        for number, arm in enumerate(arms):
            train = [(p.step, p.value) for p in arm.loss_log() if p.kind == "train"]
            if train:
                steps, values = map(np.array, zip(*train))
                self._curves[number].setData(steps, smooth(values))
        self.table.setRowCount(len(arms))
        for row, arm in enumerate(arms):
            c, m = arm.curve, arm.set_metrics or {}
            cells = (arm.label, arm.reason, c.get("spike_step"), c.get("spike_height"), c.get("oscillation"),
                     c.get("final_loss"), c.get("best_validation_loss"), arm.held_out_per_note,
                     _cell(c.get("wall_time"), 0),
                     m.get("validity_rate"), m.get("bar_correct_rate"), m.get("mean_overlap"), m.get("novelty_rate"))
            for column, value in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(_cell(value)))
            if arm.error:  # why a run failed, where its status is shown
                self.table.item(row, 1).setToolTip(arm.error)
        if result.baseline:
            row = self.table.rowCount()
            self.table.insertRow(row)
            b = result.baseline
            cells = ["real vs real", "baseline"] + [""] * 7 + [_cell(b.get(k)) for k in
                                                              ("validity_rate", "bar_correct_rate", "mean_overlap",
                                                               "novelty_rate")]
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
