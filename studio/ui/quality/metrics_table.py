"""A table of one tune's metrics beside the corpus's 5th-95th percentile range; values outside it are marked."""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from studio.core.formatting import format_value
from studio.core.quality.evaluation import TABLE_FEATURES, CorpusReference

OUTSIDE_COLOUR = QColor(255, 214, 204)
OUTSIDE_MARK = "outside"
_NAMES = {"valid": "Valid structure", "bar_error_rate": "Bars with a wrong length", "note_count": "Notes",
          "pitch_range": "Pitch range (semitones)", "in_key_rate": "Notes in the key",
          "distinct_pitch_classes": "Distinct pitch classes", "pitch_class_entropy": "Pitch-class entropy (bits)",
          "mean_abs_interval": "Mean |interval| (semitones)", "step_rate": "Steps (1-2 semitones)",
          "leap_rate": "Leaps (5+ semitones)", "dissonant_leap_rate": "Dissonant leaps",
          "octave_leap_rate": "Leaps over an octave", "repeated_bar_share": "Bars repeating an earlier bar",
          "sections": "Sections", "section_similarity": "Similarity between sections",
          "final_on_tonic": "Last note on the tonic (comes home)",
          "strain_tonic_share": "Strains ending on the tonic", "strain_triad_share": "Strains ending on the tonic triad"}
#: Yes/no metrics a tune should have: "no" is marked, and the corpus column gives the share of its tunes with "yes".
_EXPECTED_YES = ("valid", "final_on_tonic")


class MetricsTable(QTableWidget):
    """Rows: metric, value, corpus range, verdict. ``show_metrics(values, reference, novelty)`` fills it."""

    COLUMNS = ("Metric", "This tune", "Corpus 5-95 %", "Corpus median", "")

    def __init__(self, parent=None):
        super().__init__(0, len(self.COLUMNS), parent)
        self.setHorizontalHeaderLabels(self.COLUMNS)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.NoSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        for column in range(1, len(self.COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeToContents)
        self._outside: list[str] = []

    def show_metrics(self, values: dict, reference: CorpusReference | None, novelty: float | None = None) -> None:
        """Fills the table with ``values`` (a ``TuneMetrics.as_dict()``); ranges come from ``reference``."""
        self.setRowCount(0)
        self._outside = []
        for name, _ in TABLE_FEATURES:
            value = values[name]
            low_high = median = ""
            outside = False
            if reference is not None and name in reference.ranges:
                low, middle, high = reference.ranges[name]
                low_high = f"{format_value(low)} - {format_value(high)}"
                median = format_value(middle)
                outside = reference.outside(name, value)
            if name in _EXPECTED_YES:
                outside = not value
                if reference is not None and reference.tune_metrics:
                    low_high = f"{reference.share(name):.0%} of tunes: yes"
            self._add_row(name, _NAMES.get(name, name), format_value(value), low_high, median, outside)
        if novelty is not None:
            self._add_row("novelty", "Closest corpus tune (similarity)", f"{novelty:.2f}", "< 0.85", "",
                          novelty >= 0.85, mark="near copy")

    def _add_row(self, key, label, value, low_high, median, outside, mark=OUTSIDE_MARK) -> None:
        row = self.rowCount()
        self.insertRow(row)
        for column, text in enumerate((label, value, low_high, median, mark if outside else "")):
            item = QTableWidgetItem(text)
            if outside:
                item.setBackground(QBrush(OUTSIDE_COLOUR))
            if column == 0:
                item.setToolTip(key)
            self.setItem(row, column, item)
        if outside:
            self._outside.append(key)

    def outside_metrics(self) -> list[str]:
        """Names of the metrics marked as outside the corpus range (or invalid / a near copy)."""
        return list(self._outside)
