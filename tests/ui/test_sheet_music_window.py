"""Sheet music from the window: File > Export writes a PDF of every tune (off the GUI thread) and remembers the
format; File > Print... opens Qt's print preview of the selected tunes, and what it prints is the PDF's pages
(printed here to Qt's own PDF printer and read back with pdftotext). Real window, verovio, files."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from window_helpers import oneill_tunes
from PySide6.QtCore import QSettings
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from test_export_dialogs import generate_tab, save_dialog, window  # noqa: F401 - fixtures

from studio.ui.generate.export import FORMATS
from studio.ui.generate.sheet_music import draw_pages

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("rsvg-convert") is None,
                                reason="poppler-utils or librsvg2-bin is not installed (./studio.sh test installs "
                                       "them)")


def _text(pdf) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_export_writes_a_pdf_of_every_tune_and_the_next_dialog_offers_pdf_again(qtbot, window, save_dialog,
                                                                                 tmp_path):
    tunes = oneill_tunes()[:3]
    panel = generate_tab(qtbot, window, *tunes)
    save_dialog.answer(tmp_path / "book", FORMATS["pdf_book"][0])
    with qtbot.waitSignal(panel.exporter.status_changed, timeout=60_000,
                          check_params_cb=lambda message: message.startswith("Exported")):
        window.export_current()
    text = _text(tmp_path / "book.pdf")
    assert "Generated tunes" in text and all(entry.title in text for entry in panel.entries)
    assert QSettings().value("export/format") == "pdf_book"
    # "Exported" is said once the engraving thread has ended: the next export may start at once
    assert not panel.exporter.sheets.is_running()
    save_dialog.answer(tmp_path / "again", FORMATS["musicxml"][0])
    with qtbot.waitSignal(panel.exporter.status_changed, timeout=60_000,
                          check_params_cb=lambda message: message.startswith("Exported")):
        window.export_current()
    assert save_dialog.opened[1].selected == FORMATS["pdf_book"][0]
    assert (tmp_path / "again.musicxml").read_text(encoding="utf-8").count("<measure ") > 8


def test_print_opens_the_preview_of_the_selected_tunes_with_the_pdf_pages(qtbot, window, tmp_path):
    panel = generate_tab(qtbot, window, *oneill_tunes()[:3])
    panel.tunes.list.clearSelection()
    panel.tunes.list.item(0).setSelected(True)
    panel.tunes.list.item(2).setSelected(True)
    window.print_tunes()
    runner = panel.exporter.sheets
    qtbot.waitUntil(lambda: runner.preview is not None and runner.preview.isVisible(), timeout=60_000)
    assert isinstance(runner.preview, QPrintPreviewDialog)
    pages = []
    runner.preview.paintRequested.connect(lambda printer: pages.append(printer))
    printer = QPrinter(QPrinter.HighResolution)
    printer.setOutputFormat(QPrinter.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    runner.preview.paintRequested.emit(printer)  # what the Print button sends to the printer
    text = _text(tmp_path / "printed.pdf")
    selected = [panel.entries[0].title, panel.entries[2].title]
    assert all(title in text for title in selected) and panel.entries[1].title not in text
    assert "Selected tunes" in text  # the title page of the same pages as the PDF
    runner.preview.close()
    assert draw_pages  # the painter used by the preview
