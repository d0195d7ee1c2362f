"""Shared look and helpers of the loss plots: colours, loss smoothing, a growing numpy buffer, and export.

Smoothing is an exponential moving average with bias correction (as TensorBoard draws it), so the smoothed curve
starts at the first loss instead of at zero.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg

SMOOTHING = 0.9
#: Distinct colours for overlaid runs (colour-blind-safe "Okabe-Ito" order).
RUN_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]


def configure_pyqtgraph() -> None:
    """Light background and antialiasing, set once before the first plot is made."""
    pg.setConfigOptions(background="w", foreground="#333333", antialias=True)


class ExponentialSmoother:
    """Incremental bias-corrected EMA: ``push(values) -> smoothed values``, continuing from earlier pushes."""

    def __init__(self, weight: float = SMOOTHING):
        self.weight = weight
        self._ema = 0.0
        self._count = 0

    def push(self, values) -> np.ndarray:
        out = np.empty(len(values))
        w = self.weight
        for i, value in enumerate(values):
            self._count += 1
            self._ema = w * self._ema + (1 - w) * value
            out[i] = self._ema / (1 - w**self._count)
        return out


def smooth(values, weight: float = SMOOTHING) -> np.ndarray:
    return ExponentialSmoother(weight).push(values)


class GrowingBuffer:
    """Columns of float64 that grow by doubling; ``view()`` gives the filled part without copying."""

    def __init__(self, columns: int = 2, capacity: int = 4096):
        self._data = np.empty((capacity, columns))
        self.size = 0

    def extend(self, rows) -> None:
        rows = np.asarray(rows, dtype=float).reshape(-1, self._data.shape[1])
        needed = self.size + len(rows)
        if needed > len(self._data):
            bigger = np.empty((max(needed, 2 * len(self._data)), self._data.shape[1]))
            bigger[: self.size] = self._data[: self.size]
            self._data = bigger
        self._data[self.size:needed] = rows
        self.size = needed

    def column(self, index: int) -> np.ndarray:
        return self._data[: self.size, index]

    def clear(self) -> None:
        self.size = 0


def tune_for_streaming(plot_item: pg.PlotItem) -> None:
    """Peak downsampling and clipping to the view: cheap redraws of long curves."""
    plot_item.setDownsampling(auto=True, mode="peak")
    plot_item.setClipToView(True)
    plot_item.showGrid(x=True, y=True, alpha=0.25)
    plot_item.setLabel("bottom", "step")
    plot_item.setLabel("left", "loss (nats/char)")


def export_plot(plot_item: pg.PlotItem, path: str | Path) -> Path:
    """Writes the plot as PNG (2x resolution) or SVG, chosen by the file's extension."""
    from pyqtgraph import exporters

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        return _export_svg(plot_item, path)
    if suffix == ".png":
        exporter = exporters.ImageExporter(plot_item)
        width = int(plot_item.sceneBoundingRect().width()) or 800
        exporter.parameters()["width"] = width * 2
    else:
        raise ValueError(f"cannot export a chart as {suffix or 'a file without extension'}: use .png or .svg")
    exporter.export(str(path))
    return path


def _export_svg(plot_item: pg.PlotItem, path: Path) -> Path:
    """Renders the plot's part of the scene with QSvgGenerator (pyqtgraph 0.14's SVG exporter cannot parse the
    path data Qt 6.11+ writes and raises ValueError)."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator

    source = plot_item.sceneBoundingRect()
    target = QRectF(0, 0, source.width(), source.height())
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(target.size().toSize())
    generator.setViewBox(target)
    generator.setTitle("ABC Studio loss chart")
    painter = QPainter(generator)
    try:
        painter.fillRect(target, pg.mkColor("w"))
        plot_item.scene().render(painter, target, source)
    finally:
        painter.end()
    if not path.exists():
        raise OSError(f"could not write {path}")
    return path
