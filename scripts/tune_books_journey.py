"""Drives the tune-book journey in the real window: generate tunes, edit one, close, reopen (the tunes are back),
open a 300-tune O'Neill book, save it as a new book; a screenshot after each step (``--out`` folder).

    xvfb-run -a -s '-screen 0 1400x900x24' python scripts/tune_books_journey.py --out /tmp/journey
"""

from __future__ import annotations

import argparse
from pathlib import Path

import window_driver  # noqa: F401  (before PySide6: private data folder and settings)
from window_driver import StudioDriver


def oneill_book(path: Path, count: int) -> None:
    from music21 import corpus

    from studio.core.tune_book import read_tune_book, write_tune_book

    tunes = []
    for source in sorted(p for p in corpus.getCorePaths(fileExtensions=("abc",)) if "oneills1850" in str(p)):
        tunes += read_tune_book(source)
        if len(tunes) >= count:
            break
    path.write_text(write_tune_book(type("T", (), {"text": t})() for t in tunes[:count]), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="/tmp/tune-books-journey")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    driver = StudioDriver("ABC Studio Journey")
    window = driver.window
    window.tabs.setCurrentWidget(window.generate_slot)
    panel = window.generate_panel
    panel.sampling_form.count_spin.setValue(3)
    panel.sampling_form.length_spin.setValue(600)
    panel.generate()
    driver.wait_until(lambda: not panel.is_generating and panel.preview is not None)
    panel.tunes.list.setCurrentRow(1)
    driver.pause(300)
    cursor = panel.tune_editor.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.Start)
    cursor.movePosition(cursor.MoveOperation.Down)
    cursor.movePosition(cursor.MoveOperation.EndOfLine, cursor.MoveMode.KeepAnchor)
    panel.tune_editor.editor.setTextCursor(cursor)
    panel.tune_editor.editor.insertPlainText("T:Kept After Closing")
    driver.wait_until(lambda: panel.tunes.list.item(1).text().startswith("Kept After Closing"))
    driver.pause(1500)
    driver.grab(out / "1-generated-and-edited.png")
    window.close()

    from studio.ui.main_window import MainWindow

    window = driver.window = MainWindow(load_corpus_at_start=False)
    window.resize(1400, 900)
    window.show()
    window.tabs.setCurrentWidget(window.generate_slot)
    panel = window.generate_panel
    driver.wait_until(lambda: panel.preview is not None)
    driver.pause(1000)
    print("after reopening:", [e.title for e in panel.entries], "current", panel.tunes.list.currentRow())
    driver.grab(out / "2-reopened.png")

    book = out / "oneill-300.abc"
    oneill_book(book, 300)
    window.open_tunes(str(book))
    panel.tunes.list.setCurrentRow(41)
    driver.wait_until(lambda: panel.preview is not None and panel.preview.text == panel.entries[41].text)
    driver.pause(1000)
    print("title:", window.windowTitle(), "tunes:", len(panel.entries))
    driver.grab(out / "3-oneill-book.png")
    panel.add_tune("X:1\nT:A Tune Of My Own\nM:6/8\nL:1/8\nK:G\n|:GAG GAB|ABA ABd|edd gdd|edB dBA:|\n")
    driver.pause(1500)
    print("title after adding a tune:", window.windowTitle(), "modified:", window.isWindowModified())
    driver.grab(out / "4-unsaved.png")
    copy = out / "my-book.abc"
    panel.books.save_book(str(copy))
    driver.pause(300)
    print("saved:", copy, copy.stat().st_size, "bytes; title:", window.windowTitle())
    driver.grab(out / "5-saved-as.png")
    window.close()


if __name__ == "__main__":
    main()
