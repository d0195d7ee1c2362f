"""Surprise per character: the ABC editor coloured by -log2 p of each character, with a legend and the worst places.

``SurpriseHighlighter`` is a ``QSyntaxHighlighter`` on the editor's document: it paints each character's background
by how surprised the model was (bands of :data:`SURPRISE_BANDS` bits), for the text it was given only (after an
edit the colouring is cleared until the new text is inspected), and never changes the text itself (no undo step).
Repainting does emit the editor's ``textChanged``, though: listen to the document's ``contentsChange`` (with a
nonzero removed or added count) to follow real edits. ``SurprisePanel`` holds the on/off toggle, the legend, the tune's mean bits per
character and the most surprising places; activating a place emits ``place_activated(line, column)`` (1-based).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from studio.core.network.inspection import character_display

#: Lower edges (bits) of the colour bands and their colours: pale where the model was sure, deep red where it guessed.
SURPRISE_BANDS = ((0.0, "#ffffff"), (0.5, "#fff3c4"), (1.0, "#ffd98a"), (2.0, "#ffad5c"), (4.0, "#f26b4a"),
                  (8.0, "#c2185b"))
SURPRISING_PLACES = 8


def band_of(bits: float) -> int:
    """Index of the colour band of a surprise in bits."""
    band = 0
    for i, (lower, _) in enumerate(SURPRISE_BANDS):
        if bits >= lower:
            band = i
    return band


def band_label(i: int) -> str:
    lower = SURPRISE_BANDS[i][0]
    return f"\u2265 {lower:g}" if i == len(SURPRISE_BANDS) - 1 else f"{lower:g}-{SURPRISE_BANDS[i + 1][0]:g}"


class SurpriseHighlighter(QSyntaxHighlighter):
    """Colours the characters of a document by surprise (see the module docstring)."""

    def __init__(self, document, owner=None):
        """Colours ``document``; with an ``owner`` (a QObject) the highlighter belongs to it, not to the document,
        so it outlives documents that are swapped in and out (``setDocument``) and deleted."""
        if owner is None:
            super().__init__(document)
        else:
            super().__init__(owner)
            self.setDocument(document)
        self.text: str | None = None
        self.bits: list[float | None] = []
        self.formats = []
        for i, (_, colour) in enumerate(SURPRISE_BANDS):
            char_format = QTextCharFormat()
            if i:
                char_format.setBackground(QColor(colour))
            if i == len(SURPRISE_BANDS) - 1:
                char_format.setForeground(QColor("white"))
            self.formats.append(char_format)

    @property
    def active(self) -> bool:
        return self.text is not None

    def show_surprise(self, text: str, bits_by_offset: list[float | None]) -> None:
        self.text, self.bits = text, bits_by_offset
        self.rehighlight()

    def clear_surprise(self) -> None:
        if self.text is not None:
            self.text, self.bits = None, []
            self.rehighlight()

    def band_at(self, offset: int) -> int | None:
        """The colour band painted at ``offset`` (None: not coloured)."""
        if self.text is None or not 0 <= offset < len(self.bits) or self.bits[offset] is None:
            return None
        return band_of(self.bits[offset])

    def highlightBlock(self, block_text: str) -> None:  # noqa: N802 - Qt's name
        if self.text is None:
            return
        start = self.currentBlock().position()
        if self.text[start: start + len(block_text)] != block_text:
            return  # edited since it was inspected
        for i in range(len(block_text)):
            band = self.band_at(start + i)
            if band:
                self.setFormat(i, 1, self.formats[band])


class SurprisePanel(QWidget):
    """The Surprise toggle, its legend, the mean bits per character and the most surprising places."""

    toggled = Signal(bool)
    place_activated = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.toggle = QCheckBox("Surprise")
        self.toggle.setToolTip("Colour each character of the ABC by how surprised the model was to read it "
                               "(-log2 p of the character given the text before it, in bits).")
        self.mean_label = QLabel()
        legend = QHBoxLayout()
        legend.setSpacing(2)
        legend.addWidget(QLabel("bits:"))
        for i, (_, colour) in enumerate(SURPRISE_BANDS):
            swatch = QLabel(band_label(i))
            text_colour = "white" if i == len(SURPRISE_BANDS) - 1 else "black"
            swatch.setStyleSheet(f"background: {colour}; color: {text_colour}; border: 1px solid #ccc; "
                                 "padding: 0 3px;")
            legend.addWidget(swatch)
        legend.addStretch(1)
        self.legend = QWidget()
        self.legend.setLayout(legend)
        self.places = QListWidget()
        self.places.setToolTip("The characters the model expected least; click one to see its distribution.")
        head = QHBoxLayout()
        head.addWidget(self.toggle)
        head.addWidget(self.mean_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.legend)
        layout.addWidget(self.places, 1)
        self.toggle.toggled.connect(self.toggled)
        self.toggle.toggled.connect(self._show_parts)
        self.places.itemClicked.connect(self._activated)
        self.places.itemActivated.connect(self._activated)
        self._show_parts(False)

    def _show_parts(self, on: bool) -> None:
        self.legend.setVisible(on)
        self.places.setVisible(on)
        if not on:
            self.mean_label.clear()

    def show_summary(self, inspection) -> None:
        """Mean bits per character and the most surprising places of an inspected text."""
        self.places.clear()
        if inspection.predicted_count == 0:
            self.mean_label.setText("nothing the model can read")
            return
        self.mean_label.setText(f"mean {inspection.mean_bits:.2f} bits per character "
                                f"({inspection.predicted_count:,} characters)")
        for place in inspection.most_surprising(SURPRISING_PLACES):
            item = QListWidgetItem(f"{place.line}:{place.column}  {character_display(place.char)}  "
                                   f"{place.bits:.1f} bits  ({place.label})")
            item.setData(Qt.UserRole, (place.line, place.column))
            self.places.addItem(item)

    def show_message(self, message: str) -> None:
        self.places.clear()
        self.mean_label.setText(message)

    def _activated(self, item: QListWidgetItem) -> None:
        line, column = item.data(Qt.UserRole)
        self.place_activated.emit(int(line), int(column))
