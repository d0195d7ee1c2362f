"""A chart overlaying the loss curves of several runs, one colour each, with a legend.

Each run shows its smoothed training loss (solid), its raw loss (faint) and its validation loss (dashed, with
points). The runs are fixed data, so curves are built when the selection changes, not streamed.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from studio.ui.widgets.plot_style import RUN_COLOURS, configure_pyqtgraph, smooth, tune_for_streaming


class ComparisonChart(QWidget):
    """``show_runs([(label, loss_points), ...])`` replaces the overlay; ``run_labels()`` lists what is shown."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.plot_widget = pg.PlotWidget()
        self.plot = self.plot_widget.getPlotItem()
        tune_for_streaming(self.plot)
        self.legend = self.plot.addLegend(offset=(-10, 10))
        self._labels: list[str] = []
        self._smoothed: list[pg.PlotDataItem] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget)

    def show_runs(self, runs) -> None:
        self.plot.clear()
        self.legend.clear()
        self._labels, self._smoothed = [], []
        for index, (label, points) in enumerate(runs):
            colour = QColor(RUN_COLOURS[index % len(RUN_COLOURS)])
            train = np.array([(p.step, p.value) for p in points if p.kind == "train"], dtype=float).reshape(-1, 2)
            val = np.array([(p.step, p.value) for p in points if p.kind == "validation"], dtype=float).reshape(-1, 2)
            faint = QColor(colour)
            faint.setAlpha(50)
            self.plot.plot(train[:, 0], train[:, 1], pen=pg.mkPen(faint, width=1))
            # a short run gets a lighter smoothing, so its smoothed curve does not lag far behind its points
            weight = min(0.95, max(0.5, 1 - 10 / max(len(train), 1)))
            curve = self.plot.plot(train[:, 0], smooth(train[:, 1], weight), pen=pg.mkPen(colour, width=2.5),
                                   name=label)
            if len(val):
                self.plot.plot(val[:, 0], val[:, 1], pen=pg.mkPen(colour, width=1.5, style=Qt.DashLine),
                               symbol="o", symbolSize=6, symbolBrush=colour, symbolPen="w",
                               name=f"{label} (validation)")
            self._labels.append(label)
            self._smoothed.append(curve)
        self.plot.enableAutoRange()

    def run_labels(self) -> list[str]:
        return list(self._labels)

    def curve_data(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The smoothed training curve of the ``index``-th run shown."""
        return self._smoothed[index].getData()
