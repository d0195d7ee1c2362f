"""The next-character chart: what the model expected at one point of a tune, at temperature 1 and at the dial's.

``DistributionChart.show_at(inspection, offset, temperature)`` draws horizontal bars for the characters the model
found most likely at ``offset`` (its top :data:`SHOWN_CHARACTERS` at temperature 1, plus the written character when it
is not among them), two bars per character: grey at temperature 1, orange at the dial's temperature. The written
character is marked; the caption gives the entropy in bits at both temperatures and the share of the probability the
strict-bars rule forbids there. ``set_temperature`` redraws from the inspection's cached log-probabilities: no model
call, a softmax over the vocabulary and two ``setOpts``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from studio.core.network.inspection import character_display, character_label, line_and_column
from studio.ui.widgets.plot_style import configure_pyqtgraph

SHOWN_CHARACTERS = 12
BAR_THICKNESS = 0.38
AT_ONE_COLOUR = "#9e9e9e"
AT_DIAL_COLOUR = "#e6700a"
WRITTEN_COLOUR = "#c00000"


def percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}" if share >= 0.01 or share == 0 else "<1%"


class DistributionChart(QWidget):
    """The chart and its caption (see the module docstring). ``characters``, ``at_one`` and ``at_dial`` hold what is
    drawn (for tests and scripts); ``redraws`` counts the redraws."""

    def __init__(self, parent=None):
        super().__init__(parent)
        configure_pyqtgraph()
        self.caption = QLabel("Click a character of the ABC to see what the model expected there.")
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.RichText)
        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setMinimumHeight(230)
        plot = self.plot_widget.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=False, y=False)
        plot.invertY(True)
        plot.setXRange(0, 1, padding=0.02)
        plot.setLabel("bottom", "probability of the next character")
        plot.getAxis("bottom").enableAutoSIPrefix(False)  # probabilities, not "x0.001" units
        plot.showGrid(x=True, y=False, alpha=0.25)
        self.legend = plot.addLegend(offset=(-6, -6), labelTextSize="8pt")  # bottom right: the shortest bars
        self.bars_at_one = pg.BarGraphItem(x0=[], y=[], height=BAR_THICKNESS, width=[], brush=AT_ONE_COLOUR,
                                           pen=None, name="T = 1")
        self.bars_at_dial = pg.BarGraphItem(x0=[], y=[], height=BAR_THICKNESS, width=[], brush=AT_DIAL_COLOUR,
                                            pen=None, name="T = dial")
        self.written_frame = pg.BarGraphItem(x0=[], y=[], height=0.96, width=[], brush=None,
                                             pen=pg.mkPen(WRITTEN_COLOUR, width=2))
        for item in (self.written_frame, self.bars_at_one, self.bars_at_dial):
            plot.addItem(item)
        self._dial_legend = self.legend.items[-1][1]  # the label of the dial's bars
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot_widget, 1)
        self.inspection = None
        self.offset = 0
        self.temperature = 1.0
        self.characters: list[str] = []
        self.written_index: int | None = None
        self.at_one = np.zeros(0)
        self.at_dial = np.zeros(0)
        self.redraws = 0
        self._codes = np.zeros(0, dtype=int)
        self._x_limit = 1.0
        self._head = ""
        self._at_one_line = ""

    # ------------------------------------------------------------------ what to show
    def clear(self, message: str) -> None:
        self.inspection = None
        self.characters, self.written_index = [], None
        self.at_one = self.at_dial = np.zeros(0)
        for item in (self.bars_at_one, self.bars_at_dial, self.written_frame):
            item.setOpts(x0=[], y=[], width=[])
        self.caption.setText(message)

    def show_at(self, inspection, offset: int, temperature: float) -> bool:
        """Draws the distribution at ``offset`` of an inspected text; False (and a message) where there is none."""
        at_one = inspection.distribution_at(offset, 1.0, top=SHOWN_CHARACTERS)
        if at_one is None:
            self.clear("The first character has no prediction: the model starts reading there.")
            return False
        chars = inspection.vocabulary.chars
        shown = [chance.char for chance in at_one.top]
        if at_one.written is not None and at_one.written in chars and at_one.written not in shown:
            shown.append(at_one.written)
        self.inspection, self.offset, self.characters = inspection, offset, shown
        self._codes = np.array([chars.index(ch) for ch in shown])
        self.written_index = shown.index(at_one.written) if at_one.written in shown else None
        self.at_one = np.array(at_one.probabilities)[self._codes]
        axis = self.plot_widget.getPlotItem().getAxis("left")
        axis.setTicks([[(i, self._tick(ch, i == self.written_index)) for i, ch in enumerate(shown)]])
        self.plot_widget.getPlotItem().setYRange(-0.6, len(shown) - 0.4, padding=0)
        line, column = line_and_column(inspection.text, offset)
        written = at_one.written
        if written is None:
            self._head = f"After the last character (line {line}): what would follow"
        else:
            known = "" if at_one.written_probability is not None else " (a character the model never saw)"
            self._head = (f"Line {line}, column {column}: written <b style='color:{WRITTEN_COLOUR}'>"
                          f"{character_display(written)}</b>{known}")
        self._at_one_line = self._temperature_line(1.0, at_one, inspection.strict_forbidden_share(offset, 1.0))
        self._x_limit = 0.0
        self.bars_at_one.setOpts(x0=np.zeros(len(shown)), y=np.arange(len(shown)) - BAR_THICKNESS / 2,
                                 width=self.at_one)
        self.set_temperature(temperature)
        return True

    def set_temperature(self, temperature: float) -> None:
        """Redraws the dial's bars and caption at ``temperature`` from the cached log-probabilities (no model call)."""
        self.temperature = temperature
        if self.inspection is None:
            return
        at_dial = self.inspection.distribution_at(self.offset, temperature, top=1)
        self.at_dial = np.array(at_dial.probabilities)[self._codes]
        count = len(self.characters)
        self.bars_at_dial.setOpts(x0=np.zeros(count), y=np.arange(count) + BAR_THICKNESS / 2, width=self.at_dial)
        self._fit_probability_axis()
        if self.written_index is not None:
            i = self.written_index
            self.written_frame.setOpts(x0=[0.0], y=[float(i)], width=[max(self.at_one[i], self.at_dial[i], 0.01)])
        else:
            self.written_frame.setOpts(x0=[], y=[], width=[])
        self._dial_legend.setText(f"T = {temperature:g}")
        share = self.inspection.strict_forbidden_share(self.offset, temperature)
        self.caption.setText(f"<div>{self._head}</div><div>{self._at_one_line}</div>"
                             f"<div>{self._temperature_line(temperature, at_dial, share, AT_DIAL_COLOUR)}</div>")
        self.redraws += 1

    # ------------------------------------------------------------------ helpers
    def _fit_probability_axis(self) -> None:
        """Fits the probability axis to the point's bars; while the dial moves it only grows, so a distribution
        that sharpens is seen to sharpen (not rescaled away)."""
        wanted = min(1.0, max(0.1, 1.15 * float(max(self.at_one.max(), self.at_dial.max()))))
        if wanted > self._x_limit:
            self._x_limit = wanted
            self.plot_widget.getPlotItem().setXRange(0, wanted, padding=0.02)

    @staticmethod
    def _tick(ch: str, written: bool) -> str:
        text = f"{character_display(ch)}  {character_label(ch)}"
        return f"\u25b6 {text} (written)" if written else text

    @staticmethod
    def _temperature_line(temperature: float, distribution, strict_share, colour: str = AT_ONE_COLOUR) -> str:
        written = ("" if distribution.written_probability is None
                   else f", written p = {distribution.written_probability:.3f}")
        strict = "" if strict_share is None else f", strict bars forbid {percent(strict_share)}"
        return (f"<span style='color:{colour}'>\u25a0</span> T = {temperature:g}: entropy "
                f"{distribution.entropy_bits:.2f} bits{written}{strict}")
