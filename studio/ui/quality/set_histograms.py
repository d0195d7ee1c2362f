"""Pitch-class (absolute and from the tonic) and interval histograms of a set of tunes, drawn over the corpus's
(pyqtgraph bar charts)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

PITCH_CLASS_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
#: Semitones above the tonic named as scale degrees.
DEGREE_NAMES = ("1", "b2", "2", "b3", "3", "4", "#4", "5", "b6", "6", "b7", "7")


def _shares(counts) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    return counts / total if total else counts


class SetHistograms(pg.GraphicsLayoutWidget):
    """Three plots: share of each pitch class, of each pitch class counted from the tune's tonic, and of each interval
    size; the corpus in grey, the tunes in colour."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setBackground("w")
        key = "<span style='color:#969696'>corpus</span> vs <span style='color:#1f77b4'>these tunes</span>"
        self.pitch_plot = self.addPlot(title=f"Pitch classes, share of notes: {key}")
        self.nextRow()
        self.degree_plot = self.addPlot(title=f"Pitch classes from the tonic (1 = the key's home note): {key}")
        self.nextRow()
        self.interval_plot = self.addPlot(title=f"Intervals in semitones, share: {key}")
        self.pitch_plot.getAxis("bottom").setTicks([list(enumerate(PITCH_CLASS_NAMES))])
        self.degree_plot.getAxis("bottom").setTicks([list(enumerate(DEGREE_NAMES))])
        for plot in (self.pitch_plot, self.degree_plot, self.interval_plot):
            plot.showGrid(y=True, alpha=0.3)
            plot.setMouseEnabled(x=False, y=False)
        self.shown: dict[str, np.ndarray] = {}

    def show_sets(self, tunes: dict[str, list[int]], corpus: dict[str, list[int]] | None) -> None:
        """Draws the tunes' histograms (``set_histograms`` output) over the corpus's."""
        for key, plot in (("pitch_class", self.pitch_plot), ("relative_pitch_class", self.degree_plot),
                          ("interval", self.interval_plot)):
            plot.clear()
            values = _shares(tunes[key])
            x = np.arange(len(values))
            if corpus and key in corpus:
                plot.addItem(pg.BarGraphItem(x=x - 0.2, height=_shares(corpus[key]), width=0.4,
                                             brush=pg.mkBrush(150, 150, 150), name="corpus"))
            plot.addItem(pg.BarGraphItem(x=x + 0.2, height=values, width=0.4, brush=pg.mkBrush(31, 119, 180)))
            self.shown[key] = values
