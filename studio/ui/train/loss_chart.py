"""The live loss chart of a training run: raw per-step loss, a smoothed curve, validation points, checkpoints.

Curves are created once; points go into numpy buffers and a ~30 ms timer redraws with ``setData(buf[:n])`` only
when something changed, never in a signal handler. The chart can pull per-step points itself from a source
(``set_point_source(callable)``, e.g. ``TrainingSession.take_points``) so the training thread sends no per-step
signal. A crosshair shows step and loss under the mouse; the mouse zooms and pans; a check box switches to a
log-scale loss axis; "Fit" follows the run again after zooming. The step axis spans the planned run
(``set_planned_steps``) so that only the loss axis moves while points arrive; see bench/README.md for the cost.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.ui.widgets import settings
from studio.ui.widgets.plot_style import ExponentialSmoother, GrowingBuffer, configure_pyqtgraph, tune_for_streaming

REDRAW_MS = 30
#: The longest pause between redraws, and the share of the GUI thread the chart may use: when a frame (setData
#: plus paint) costs more than ``FRAME_BUDGET`` of the interval, the interval grows (up to ``MAX_REDRAW_MS``), so a
#: slow or busy machine draws less often instead of starving the event loop and the training thread (the GIL).
MAX_REDRAW_MS = 250
FRAME_BUDGET = 0.2


class TimedPlotWidget(pg.PlotWidget):
    """A PlotWidget that measures how long its paints take (``paint_ms``, smoothed)."""

    paint_ms = 0.0

    def paintEvent(self, event):
        began = time.perf_counter()
        super().paintEvent(event)
        cost = (time.perf_counter() - began) * 1000
        self.paint_ms = cost if not self.paint_ms else 0.7 * self.paint_ms + 0.3 * cost


class LossChart(QWidget):
    """``append_steps``, ``add_validation``, ``add_checkpoint`` and ``load_log`` feed it; ``clear`` empties it."""

    redrawn = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.plot_widget = TimedPlotWidget()
        self.plot = self.plot_widget.getPlotItem()
        tune_for_streaming(self.plot)
        # no grid while streaming: pyqtgraph draws the grid with the axes, and a redrawn grid cost 2/3 of each frame
        self.plot.showGrid(x=False, y=False)
        self.plot.addLegend(offset=(-10, 10))
        self.raw_curve = self.plot.plot(pen=pg.mkPen("#9ecae1", width=1), name="loss per step", antialias=False)
        # not antialiased: an antialiased 2-px pen takes Qt's slow stroker, 90% of a frame at 20,000 points
        self.smooth_curve = self.plot.plot(pen=pg.mkPen("#08519c", width=2), name="smoothed", antialias=False)
        for curve in (self.raw_curve, self.smooth_curve):
            # peak downsampling to about one bin (a min and a max) per pixel; pyqtgraph's default of 5 bins per
            # pixel draws 5x the vertices for the same picture (bench/chart_fps.py measures the frame cost)
            curve.opts["autoDownsampleFactor"] = 1.0
        self.validation_points = self.plot.plot(pen=None, symbol="o", symbolSize=8, symbolBrush="#e6550d",
                                                 symbolPen="w", name="validation")
        self.checkpoint_points = self.plot.plot(pen=None, symbol="t1", symbolSize=12, symbolBrush="#31a354",
                                                symbolPen="w", name="checkpoint")
        for curve in (self.validation_points, self.checkpoint_points):
            curve.setDownsampling(auto=False)  # a handful of markers: never drop one
        self._train = GrowingBuffer(3)  # step, loss, smoothed
        self._validation = GrowingBuffer(2)
        self._checkpoints = GrowingBuffer(2)
        self._smoother = ExponentialSmoother()
        self._dirty = False
        self._point_source = None
        self._planned_steps = 0
        self._x_end = 0
        self._following = True

        self._crosshair = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888888", style=Qt.DashLine))
        self._crosshair.setVisible(False)
        self.plot.addItem(self._crosshair, ignoreBounds=True)
        self.readout = QLabel("")
        self.readout.setMinimumWidth(260)
        self._mouse_proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._mouse_moved)

        self.log_scale = QCheckBox("Log scale")
        self.log_scale.setToolTip("Show the loss on a logarithmic axis")
        self.log_scale.toggled.connect(self._set_log_scale)
        self.fit_button = QPushButton("Fit")
        self.fit_button.setToolTip("Zoom to the whole run and follow new points (the mouse wheel zooms, drag pans)")
        self.fit_button.clicked.connect(self.fit)

        tools = QHBoxLayout()
        tools.addWidget(self.readout, 1)
        tools.addWidget(self.log_scale)
        tools.addWidget(self.fit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(tools)
        layout.addWidget(self.plot_widget, 1)

        self.plot.vb.sigRangeChangedManually.connect(self._user_moved_view)
        self.log_scale.setChecked(settings.read("chart/log_scale", False))
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()

    # --- feeding -------------------------------------------------------------------------------------------
    def set_planned_steps(self, steps: int) -> None:
        """The run's length: the step axis then grows by doubling up to it, instead of being re-laid out at
        every new point (a re-laid-out axis is most of a frame's cost)."""
        self._planned_steps = steps
        self.fit()

    def fit(self) -> None:
        """Back to following the run: step axis by doubling (or automatic), loss axis following the data."""
        self._following = True
        self._x_end = 0
        if self._planned_steps:
            self.plot.enableAutoRange(x=False)
            self.plot.enableAutoRange(y=True)
            self._follow_steps(self._train.column(0)[-1] if self._train.size else 0)
        else:
            self.plot.enableAutoRange()

    def _follow_steps(self, last_step: float) -> None:
        if not self._planned_steps or not self._following:
            return
        if self.plot.vb.autoRangeEnabled()[0]:  # the user asked for auto range (menu): leave it
            return
        if last_step < self._x_end * 0.95 and self._x_end:
            return
        end = max(50, self._x_end)
        while end * 0.95 <= last_step and end < self._planned_steps:
            end *= 2
        self._x_end = min(end, self._planned_steps)
        self.plot.setXRange(0, self._x_end, padding=0.01)

    def set_point_source(self, source) -> None:
        """``source()`` returns new (step, loss) pairs; the redraw timer drains it. None detaches."""
        self._point_source = source

    def append_steps(self, points) -> None:
        """Adds (step, loss) pairs; they appear at the next redraw."""
        if not len(points):
            return
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        smoothed = self._smoother.push(points[:, 1])
        self._train.extend(np.column_stack([points, smoothed]))
        self._dirty = True

    def add_validation(self, step: int, loss: float) -> None:
        self._validation.extend([step, loss])
        self._dirty = True

    def add_checkpoint(self, step: int) -> None:
        """Marks a checkpoint on the smoothed curve at ``step`` (the last known value at or before it)."""
        steps = self._train.column(0)
        index = int(np.searchsorted(steps, step, side="right")) - 1
        value = self._train.column(2)[index] if index >= 0 else np.nan
        self._checkpoints.extend([step, value])
        self._dirty = True

    def load_log(self, points) -> None:
        """Replaces the chart's content with a run's loss log (core ``LossPoint`` list)."""
        self.clear()
        self.append_steps([(p.step, p.value) for p in points if p.kind == "train"])
        for p in points:
            if p.kind == "validation":
                self.add_validation(p.step, p.value)
        for p in points:
            if p.kind == "checkpoint":
                self.add_checkpoint(p.step)

    def clear(self) -> None:
        for buffer in (self._train, self._validation, self._checkpoints):
            buffer.clear()
        self._smoother = ExponentialSmoother()
        self._planned_steps = 0
        self.plot.enableAutoRange()
        self._dirty = True

    # --- what is shown (for tests and export) -----------------------------------------------------------------
    def train_data(self) -> tuple[np.ndarray, np.ndarray]:
        """Steps and losses received so far (copies), including points not yet redrawn."""
        self.flush()
        return self._train.column(0).copy(), self._train.column(1).copy()

    def validation_data(self) -> tuple[np.ndarray, np.ndarray]:
        return self._validation.column(0).copy(), self._validation.column(1).copy()

    def checkpoint_steps(self) -> np.ndarray:
        return self._checkpoints.column(0).copy()

    def flush(self) -> None:
        """Drains the point source now (the timer does this every ``REDRAW_MS``)."""
        if self._point_source is not None:
            self.append_steps(self._point_source())

    # --- drawing ---------------------------------------------------------------------------------------------
    def _redraw(self) -> None:
        self.flush()
        if not self._dirty or not self.isVisible():
            return  # hidden (e.g. the Runs tab is shown): points are kept, drawn when it shows again
        self._dirty = False
        began = time.perf_counter()
        steps = self._train.column(0)
        self.raw_curve.setData(steps, self._train.column(1))
        self.smooth_curve.setData(steps, self._train.column(2))
        for item, buffer in ((self.validation_points, self._validation), (self.checkpoint_points, self._checkpoints)):
            if len(item.xData if item.xData is not None else ()) != buffer.size:  # markers change rarely
                item.setData(buffer.column(0), buffer.column(1))
        self._follow_steps(steps[-1] if len(steps) else 0)
        frame_ms = (time.perf_counter() - began) * 1000 + self.plot_widget.paint_ms
        self._timer.setInterval(int(min(MAX_REDRAW_MS, max(REDRAW_MS, frame_ms / FRAME_BUDGET))))
        self.redrawn.emit()

    def _user_moved_view(self, *_args) -> None:
        self._following = False  # the user zoomed or panned: stay there until "Fit"

    def _set_log_scale(self, on: bool) -> None:
        self.plot.setLogMode(y=on)
        self.plot.setLabel("left", "loss (nats/char, log scale)" if on else "loss (nats/char)")
        settings.write("chart/log_scale", on)

    def _mouse_moved(self, event) -> None:
        position = event[0]
        steps = self._train.column(0)
        if not self.plot.sceneBoundingRect().contains(position) or not len(steps):
            self._crosshair.setVisible(False)
            return
        step = self.plot.vb.mapSceneToView(position).x()
        index = int(np.clip(np.searchsorted(steps, step), 0, len(steps) - 1))
        self._crosshair.setPos(steps[index])
        self._crosshair.setVisible(True)
        self.readout.setText(f"step {int(steps[index]):,}   loss {self._train.column(1)[index]:.4f}   "
                             f"smoothed {self._train.column(2)[index]:.4f}")
