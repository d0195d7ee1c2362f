"""The engraved score: verovio's SVG pages drawn by Qt, zoomable and scrollable, with the playing note highlighted.

verovio's SVG is flattened first (``studio.ui.widgets.svg_fix.flatten_svg_for_qt``; Qt draws the nested ``<svg>`` blank
otherwise). Each page is a ``QGraphicsSvgItem`` stacked vertically in one scene. A note is found by its SVG id with
``QSvgRenderer.boundsOnElement`` mapped through ``transformForElement`` (user units), then scaled from the page's
viewBox to the item's size. Ids of repeated passages carry a ``-rendN`` suffix in verovio's timemap and are mapped
back to the engraved note.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtSvgWidgets import QGraphicsSvgItem
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView

from studio.core.engraving.score_cursor import engraved_id
from studio.ui.widgets.svg_fix import flatten_svg_for_qt

HIGHLIGHT_COLOR = QColor(255, 140, 0, 110)
PAGE_GAP = 16.0
MIN_ZOOM, MAX_ZOOM = 0.2, 6.0


class ScoreView(QGraphicsView):
    """Shows the pages of one rendering; ``highlight(ids)`` marks notes and scrolls to them.

    Ctrl + wheel or ``zoom_by`` zooms; ``zoom_changed`` reports the factor.
    """

    zoom_changed = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.Antialiasing | QPainter.SmoothPixmapTransform)
        self.setBackgroundBrush(QBrush(QColor(236, 236, 236)))
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setAlignment(Qt.AlignHCenter | Qt.AlignTop)
        self._pages: list[tuple[QSvgRenderer, QGraphicsSvgItem]] = []
        self._marks: list[QGraphicsRectItem] = []
        self._zoom = 1.0
        self.follow = True

    # -- content
    def clear_score(self, message: str = "") -> None:
        """Removes the score; shows ``message`` (e.g. why nothing can be engraved) instead."""
        self.scene().clear()
        self._pages.clear()
        self._marks.clear()
        if message:
            text = QGraphicsSimpleTextItem(message)
            text.setBrush(QBrush(QColor(90, 90, 90)))
            self.scene().addItem(text)
        self.scene().setSceneRect(self.scene().itemsBoundingRect())

    def set_pages(self, svg_pages: list[str]) -> None:
        """Shows verovio's SVG pages (raw or already flattened), one below the other."""
        self.clear_score()
        y = 0.0
        for svg in svg_pages:
            renderer = QSvgRenderer(QByteArray(flatten_svg_for_qt(svg).encode("utf-8")), self)
            if not renderer.isValid():
                continue
            item = QGraphicsSvgItem()
            item.setSharedRenderer(renderer)
            item.setPos(0.0, y)
            page_background = self.scene().addRect(item.boundingRect().translated(0.0, y), QPen(Qt.NoPen),
                                                   QBrush(Qt.white))
            page_background.setZValue(-1)
            self.scene().addItem(item)
            self._pages.append((renderer, item))
            y += item.boundingRect().height() + PAGE_GAP
        if not self._pages:
            self.clear_score("The score could not be drawn.")
            return
        self.scene().setSceneRect(self.scene().itemsBoundingRect().adjusted(-8, -8, 8, 8))

    @property
    def page_count(self) -> int:
        return len(self._pages)

    # -- notes
    def note_rect(self, note_id: str) -> QRectF | None:
        """Where the note is drawn, in scene coordinates; None when no page has it."""
        element = engraved_id(note_id)
        for renderer, item in self._pages:
            if not renderer.elementExists(element):
                continue
            bounds = renderer.transformForElement(element).mapRect(renderer.boundsOnElement(element))
            view_box = renderer.viewBoxF()
            size = item.boundingRect()
            if view_box.width() <= 0 or view_box.height() <= 0:
                return None
            sx, sy = size.width() / view_box.width(), size.height() / view_box.height()
            local = QRectF((bounds.x() - view_box.x()) * sx, (bounds.y() - view_box.y()) * sy,
                           bounds.width() * sx, bounds.height() * sy)
            return local.translated(item.pos())
        return None

    def drawn_note_ids(self, note_ids: list[str]) -> list[str]:
        """The ids among ``note_ids`` that are drawn with a visible size."""
        drawn = []
        for note_id in note_ids:
            rect = self.note_rect(note_id)
            if rect is not None and rect.width() > 0 and rect.height() > 0:
                drawn.append(note_id)
        return drawn

    def highlight(self, note_ids: list[str]) -> list[QRectF]:
        """Marks the given notes (clearing earlier marks) and, when ``follow`` is on, scrolls to the first."""
        for mark in self._marks:
            self.scene().removeItem(mark)
        self._marks.clear()
        rects = [r for r in (self.note_rect(i) for i in note_ids) if r is not None]
        for rect in rects:
            mark = self.scene().addRect(rect.adjusted(-3, -3, 3, 3), QPen(Qt.NoPen), QBrush(HIGHLIGHT_COLOR))
            mark.setZValue(10)
            self._marks.append(mark)
        if rects and self.follow:
            self.ensureVisible(rects[0], 60, 60)
        return rects

    @property
    def highlighted_count(self) -> int:
        return len(self._marks)

    # -- zoom
    @property
    def zoom(self) -> float:
        return self._zoom

    def set_zoom(self, factor: float) -> None:
        factor = min(max(factor, MIN_ZOOM), MAX_ZOOM)
        self.resetTransform()
        self.scale(factor, factor)
        self._zoom = factor
        self.zoom_changed.emit(factor)

    def zoom_by(self, step: float) -> None:
        self.set_zoom(self._zoom * step)

    def fit_width(self) -> None:
        """Zooms so that a page fills the view's width."""
        if self._pages:
            width = self._pages[0][1].boundingRect().width() + 24
            self.set_zoom(self.viewport().width() / width)

    def wheelEvent(self, event):
        if event.modifiers() & Qt.ControlModifier:
            self.zoom_by(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)
            event.accept()
        else:
            super().wheelEvent(event)
