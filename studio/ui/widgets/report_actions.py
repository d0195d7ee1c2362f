"""The HTML lab report from the window: written off the GUI thread, opened in the system browser, saved anywhere.

``HtmlReportService.request(source, page, destination=None, open_after=False)`` makes sure ``page`` (the report's
home: ``report.html`` in the experiment or run folder) is current, writing it with
:func:`studio.core.reports.report_html.write_html_report` on a :class:`~studio.ui.widgets.threads.BackgroundCall` when it is
missing or older than the source's ``results.json`` / ``run.json`` (engraving and rendering every tune takes tens
of seconds), then copies it to ``destination`` (the page is self-contained, so a copy is the whole report) and/or
opens it with ``QDesktopServices``. It reports through ``status_changed`` and ``busy_changed``; one request at a
time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QWidget

from studio.ui.widgets.threads import BackgroundCall

_SOURCE_FILES = ("results.json", "run.json")


def open_in_browser(path: str | Path) -> None:
    """Opens a local file (the HTML report) with the system's browser."""
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def page_is_current(page: Path, source_folder: Path) -> bool:
    """True when ``page`` exists and is no older than the experiment's or run's saved state."""
    if not page.is_file():
        return False
    saved = [source_folder / name for name in _SOURCE_FILES if (source_folder / name).is_file()]
    return all(page.stat().st_mtime >= path.stat().st_mtime for path in saved)


def ask_report_destination(parent: QWidget, suggested: Path) -> Path | None:
    """A save dialog for an HTML report; None when the user cancels."""
    chosen, _ = QFileDialog.getSaveFileName(parent, "Save the report", str(suggested), "HTML page (*.html)")
    if not chosen:
        return None
    path = Path(chosen)
    return path if path.suffix.lower() in (".html", ".htm") else path.with_name(path.name + ".html")


class HtmlReportService(QObject):
    """Writes, opens and exports one HTML report at a time; ``written(path)`` once a page is ready."""

    status_changed = Signal(str)
    busy_changed = Signal(bool)
    written = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._call: BackgroundCall | None = None
        self._pending: tuple[Path, Path | None, bool] | None = None

    def is_busy(self) -> bool:
        return self._call is not None

    def request(self, source, page: str | Path, destination: str | Path | None = None, open_after: bool = False,
                writer=None) -> bool:
        """Makes ``page`` current (writing it in the background if needed), then copies it to ``destination`` and/or
        opens it. ``source``: what :func:`write_html_report` accepts; ``writer(source, page) -> path`` replaces
        that function (the Quality tab writes the Markdown report too). False when a report is already being
        written."""
        if self._call is not None:
            return False
        page = Path(page)
        destination = Path(destination) if destination else None
        if page_is_current(page, page.parent):
            self._deliver(page, destination, open_after)
            return True
        if writer is None:
            from studio.core.reports.report_html import write_html_report as writer  # noqa: PLC0415 - jinja2: when asked
        self._pending = (page, destination, open_after)
        self._call = BackgroundCall(writer, source, page, parent=self)
        self._call.succeeded.connect(self._page_written)
        self._call.failed.connect(self._write_failed)
        self._call.finished.connect(self._call_ended)
        self.busy_changed.emit(True)
        self.status_changed.emit("Writing the report (engraving and rendering every tune; this takes a while)...")
        self._call.start()
        return True

    def wait(self, milliseconds: int = 120_000) -> bool:
        """Blocks until the report being written is done (tests, closing); True when nothing runs any more."""
        return self._call.wait(milliseconds) if self._call is not None else True

    def _page_written(self, path) -> None:
        page, destination, open_after = self._pending
        self._deliver(Path(path), destination, open_after)

    def _deliver(self, page: Path, destination: Path | None, open_after: bool) -> None:
        shown = page
        if destination is not None and destination.resolve() != page.resolve():
            try:
                shutil.copyfile(page, destination)
            except OSError as exc:
                self._write_failed(f"cannot save the report to {destination}: {exc.strerror or exc}")
                return
            shown = destination
        self.written.emit(str(shown))
        self.status_changed.emit(f"Report saved to {shown}" if destination else f"Report: {shown}")
        if open_after:
            open_in_browser(shown)

    def _write_failed(self, message: str) -> None:
        self.failed.emit(message)
        self.status_changed.emit(f"The report could not be written: {message}")

    def _call_ended(self) -> None:
        self._call, self._pending = None, None
        self.busy_changed.emit(False)
