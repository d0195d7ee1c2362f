"""Sheet music from the Generate tab: PDF and MusicXML export of the current, selected or all tunes off the GUI
thread with a progress dialog that can stop it, and File > Print... with Qt's print dialog and preview.

The pages are the core's (:func:`studio.core.engraving.sheet_music.lay_out`): the PDF and the printer get the same SVG pages,
here drawn by ``QSvgRenderer`` (after :func:`studio.ui.widgets.svg_fix.flatten_svg_for_qt`) onto the ``QPrinter``.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QProgressDialog

from studio.core.engraving.sheet_music import SheetTune, lay_out
from studio.core.export import export_sheet_music
from studio.ui.widgets.svg_fix import flatten_svg_for_qt
from studio.ui.widgets.threads import Worker, WorkerThread


def local_paper() -> str:
    """Letter where the system's locale measures in US units, else A4."""
    return "letter" if QLocale.system().measurementSystem() == QLocale.ImperialUSSystem else "a4"


class SheetWorker(Worker):
    """Runs one sheet-music job (a function taking ``progress`` and ``cancelled``) and reports each tune."""

    progressed = Signal(int, int, str)

    def __init__(self, job):
        super().__init__()
        self._job = job

    def work(self):
        return self._job(progress=self.progressed.emit, cancelled=self.is_cancelled)


class SheetSession(WorkerThread):
    FORWARDED = ("succeeded", "failed", "progressed")
    progressed = Signal(int, int, str)


def draw_pages(printer: QPrinter, pages: list[str]) -> None:
    """Paints SVG pages on ``printer``, one page each, filling the paper."""
    painter = QPainter(printer)
    try:
        for number, svg in enumerate(pages):
            if number:
                printer.newPage()
            renderer = QSvgRenderer(flatten_svg_for_qt(svg).encode("utf-8"))
            renderer.render(painter, QRectF(printer.paperRect(QPrinter.DevicePixel)))
    finally:
        painter.end()


def print_preview(parent, pages: list[str], paper: str) -> QPrintPreviewDialog:
    """Qt's print preview of ``pages`` (its Print button opens the print dialog); returns it shown."""
    printer = QPrinter(QPrinter.HighResolution)
    printer.setFullPage(True)
    size = QPageSize(QPageSize.Letter if paper == "letter" else QPageSize.A4)
    printer.setPageLayout(QPageLayout(size, QPageLayout.Portrait, printer.pageLayout().margins()))
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setWindowTitle("Print preview")
    dialog.paintRequested.connect(lambda target: draw_pages(target, pages))
    dialog._printer = printer  # kept alive with the dialog
    dialog.show()
    return dialog


class SheetMusicRunner(QObject):
    """Starts PDF/MusicXML exports and print previews, one at a time, and says how they went."""

    status_changed = Signal(str)
    problem_found = Signal(str)

    def __init__(self, dialog_parent):
        super().__init__(dialog_parent)
        self._parent = dialog_parent
        self._session: SheetSession | None = None
        self._progress: QProgressDialog | None = None
        self.preview: QPrintPreviewDialog | None = None

    def is_running(self) -> bool:
        return self._session is not None and self._session.is_running()

    def export(self, tunes: list, *, pdf=None, musicxml=None, book_title: str = "") -> bool:
        """Writes ``tunes`` as a PDF and/or MusicXML in the background; False when a job is already running."""
        def job(progress, cancelled):
            return export_sheet_music(tunes, pdf=pdf, musicxml=musicxml, paper=local_paper(),
                                      book_title=book_title, progress=progress, cancelled=cancelled)
        return self._start(job, len(tunes), self._exported)

    def print_tunes(self, tunes: list, book_title: str = "") -> bool:
        """Lays out ``tunes`` in the background, then opens the print preview."""
        sheets = [SheetTune.of(tune, number) for number, tune in enumerate(tunes, 1)]
        paper = local_paper()

        def job(progress, cancelled):
            return lay_out(sheets, paper, book_title, progress=progress, cancelled=cancelled)
        return self._start(job, len(tunes), lambda music: self._laid_out(music, paper))

    def _start(self, job, count: int, done) -> bool:
        if self.is_running():
            self.status_changed.emit("Sheet music is still being written; wait or stop it first")
            return False
        session = SheetSession(SheetWorker(job), self)
        session.succeeded.connect(done)
        session.failed.connect(self._failed)
        session.finished.connect(self._ended)
        if count > 1:
            self._progress = QProgressDialog("Engraving...", "Stop", 0, count, self._parent)
            self._progress.setWindowTitle("Sheet music")
            self._progress.setWindowModality(Qt.WindowModal)
            self._progress.setMinimumDuration(300)
            self._progress.canceled.connect(session.cancel)
            session.progressed.connect(self._advanced)
        self._session = session
        session.start()
        return True

    def _advanced(self, done: int, total: int, title: str) -> None:
        if self._progress is not None:
            self._progress.setLabelText(f"Engraving {done} of {total}: {title}")
            self._progress.setValue(done)

    def _ended(self) -> None:
        if self._progress is not None:
            self._progress.reset()
            self._progress.deleteLater()
            self._progress = None

    def _skipped(self, skipped) -> str:
        if not skipped:
            return ""
        names = ", ".join(f"“{title}”" for title, _ in skipped[:5]) + (" ..." if len(skipped) > 5 else "")
        return f"; not engraved: {names}"

    def _exported(self, result) -> None:
        if result.cancelled:
            self.status_changed.emit("Stopped: no sheet music was written")
            return
        written = result.written[0] if len(result.written) == 1 else f"{len(result.written)} files"
        self.status_changed.emit(f"Exported {written}{self._skipped(result.skipped)}")
        if result.skipped:
            self.problem_found.emit("Some tunes could not be engraved and were skipped: " +
                                    "; ".join(f"{title}: {reason}" for title, reason in result.skipped[:5]))

    def _laid_out(self, music, paper: str) -> None:
        if music.cancelled or not music.pages:
            self.status_changed.emit("Nothing to print" + self._skipped(music.skipped))
            return
        self.preview = print_preview(self._parent, music.pages, paper)
        self.status_changed.emit(f"Print preview: {len(music.pages)} pages{self._skipped(music.skipped)}")

    def _failed(self, message: str) -> None:
        self.status_changed.emit(f"Sheet music failed: {message}")
        self.problem_found.emit(f"Sheet music failed: {message}")

    def shutdown(self) -> None:
        if self._session is not None:
            self._session.stop_and_wait(10_000)
