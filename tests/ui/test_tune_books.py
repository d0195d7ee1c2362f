"""The Generate tab's tunes are kept: restored after a SIGKILL, opened from and saved to tune books, titles from T:,
undo per tune, asking before unsaved changes to a named book are lost. Real windows, real files, real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QMessageBox

from support import studio_env
from window_helpers import oneill_tunes
from studio.core.abc.text import decode_abc_bytes, split_tunes
from studio.core.tune_store import store_path
from studio.ui.main_window import MainWindow

EDIT = "% a bar fixed by hand\n"

CHILD = textwrap.dedent('''
    import sys
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication
    from PySide6.QtGui import QTextCursor
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, sys.argv[2])
    app = QApplication([])
    app.setOrganizationName("ABC Studio Tests"); app.setApplicationName("ABC Studio")
    from studio.ui.main_window import MainWindow
    window = MainWindow(load_corpus_at_start=False)
    window.show()
    panel = window.generate_panel
    panel.add_model(sys.argv[1], "tiny")
    panel.sampling_form.random_seed.setChecked(False); panel.sampling_form.seed_spin.setValue(5)
    panel.sampling_form.count_spin.setValue(1); panel.sampling_form.length_spin.setValue(200)

    def edit():
        if panel.is_generating or not panel.entries:
            QTimer.singleShot(100, edit); return
        cursor = panel.tune_editor.editor.textCursor(); cursor.movePosition(QTextCursor.End)
        panel.tune_editor.editor.setTextCursor(cursor)
        panel.tune_editor.editor.insertPlainText(sys.argv[3])  # as typed: the window is told the way a key press tells it
        print("EDITED", flush=True)

    panel.tunes_generated.connect(lambda n: QTimer.singleShot(100, edit))
    panel.generate()
    app.exec()
''')


def make_window(qtbot):
    window = MainWindow(load_corpus_at_start=False)
    qtbot.addWidget(window)
    window.show()
    window.tabs.setCurrentWidget(window.generate_slot)
    return window


def test_a_killed_window_keeps_the_generated_tune_and_its_edit(qtbot, tiny_checkpoint, fresh_settings, tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    errors = tmp_path / "child-stderr.txt"  # a file, not a pipe: reading a live child's stderr pipe blocks
    with errors.open("w") as stderr:
        child = subprocess.Popen([sys.executable, str(script), tiny_checkpoint, str(fresh_settings), EDIT],
                                 env=studio_env(QT_QPA_PLATFORM="offscreen"), stdout=subprocess.PIPE,
                                 stderr=stderr, text=True)

    def child_stderr() -> str:
        return errors.read_text(errors="replace")

    try:
        # blocks until the tune is generated and edited (or the child dies); a library may write to stdout too
        # (a loaded machine once showed a first line that was not ours): look for ours in every line
        printed = []
        for line in child.stdout:  # ends when the child closes its stdout (dies)
            printed.append(line.strip())
            if "EDITED" in line:
                break
        assert printed and "EDITED" in printed[-1], (printed, child_stderr())
        kept = store_path()  # the child's data folder is this test's (ABC_STUDIO_HOME is inherited)
        deadline = time.monotonic() + 120  # a guard against a child that never saves, not a speed requirement
        while not (kept.exists() and EDIT.strip() in kept.read_text(encoding="utf-8")):  # the delayed save ran
            assert child.poll() is None, child_stderr()
            assert time.monotonic() < deadline, ("the edit never reached tunes.json", child_stderr())
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
    window = make_window(qtbot)
    panel = window.generate_panel
    assert len(panel.entries) == 1
    entry = panel.entries[0]
    assert entry.text.endswith(EDIT) and entry.text.startswith("X:")
    assert (entry.temperature, entry.seed, entry.model) == (pytest.approx(0.8), 5, tiny_checkpoint)
    assert panel.tunes.list.currentRow() == 0 and panel.tune_editor.editor.toPlainText() == entry.text
    samples = list((Path(tiny_checkpoint).parents[1] / "samples").glob("*seed5-n1.abc"))
    assert samples, "the tune is also kept in the run's samples folder"


def oneill_book(count: int) -> str:
    """The first ``count`` O'Neill tunes as they are in music21's files (comments, B:, Z: lines and all),
    numbered X:1, X:2... and separated by one blank line, with CRLF line ends."""
    from support import oneills_files

    tunes = []
    for path in oneills_files():
        tunes += split_tunes(decode_abc_bytes(Path(path).read_bytes()))
        if len(tunes) >= count:
            break
    numbered = ["X:%d\n%s" % (n, t.split("\n", 1)[1]) for n, t in enumerate(tunes[:count], 1)]
    return ("\n\n".join(numbered) + "\n").replace("\n", "\r\n")


def test_300_oneill_tunes_open_and_round_trip_through_save_as(qtbot, tmp_path):
    book = tmp_path / "oneill-300.abc"
    book.write_bytes(oneill_book(300).encode("latin-1", errors="replace"))
    window = make_window(qtbot)
    panel = window.generate_panel
    with qtbot.waitSignal(panel.books.checked, timeout=120_000) as checked:
        assert window.open_tunes(str(book))
    assert len(panel.entries) == 300 and panel.tunes.list.count() == 300
    marked = [row for row in range(300) if not panel.tunes.list.item(row).icon().isNull()]
    assert checked.args == [len(marked)] and 0 < len(marked) < 300  # O'Neill's has some bars that do not add up
    assert "problem(s); line" in panel.tunes.list.item(marked[0]).toolTip()
    assert window.windowTitle() == "oneill-300.abc[*] - ABC Studio" and not window.isWindowModified()
    copy = tmp_path / "copy.abc"
    assert panel.books.save_book(str(copy))
    expected = decode_abc_bytes(book.read_bytes())
    assert copy.read_text(encoding="utf-8") == expected  # byte for byte once line ends are normalised
    assert window.windowTitle() == "copy.abc[*] - ABC Studio"


@pytest.mark.parametrize("content", [os.urandom(5000), b"%PDF-1.4\n" + bytes(range(256)) * 30,
                                     b"Shopping list\r\neggs\r\nmilk\r\n"])
def test_a_corrupt_or_binary_file_gives_a_message_and_leaves_the_list(qtbot, tmp_path, content):
    window = make_window(qtbot)
    panel = window.generate_panel
    panel.add_tune(oneill_tunes()[0])
    before = [e.text for e in panel.entries]
    bad = tmp_path / "bad.abc"
    bad.write_bytes(content)
    assert not window.open_tunes(str(bad))
    assert [e.text for e in panel.entries] == before
    assert panel.banner.isVisible()  # the window is shown on the Generate tab: the message is on screen
    assert "Could not open the tune book" in panel.banner.text() and "bad.abc" in panel.banner.text()
    assert window.windowTitle() == "ABC Studio"


def test_closing_with_an_unsaved_named_book_asks_and_cancel_keeps_the_window(qtbot, tmp_path, monkeypatch):
    book = tmp_path / "three.abc"
    book.write_text("\n\n".join(oneill_tunes()[:3]) + "\n", encoding="utf-8")
    window = make_window(qtbot)
    assert window.open_tunes(str(book))
    panel = window.generate_panel
    panel.add_tune(oneill_tunes()[5])
    assert window.isWindowModified()
    asked = []

    def answer(choice):
        def question(*args, **kwargs):
            asked.append(args[2])
            return choice
        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.Cancel))
    assert not window.close()
    assert window.isVisible() and asked and "three.abc" in asked[0]
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.Save))
    assert window.close()
    assert len(split_tunes(book.read_text(encoding="utf-8"))) == 4


def test_titles_follow_the_t_line_and_undo_survives_switching_tunes(qtbot):
    window = make_window(qtbot)
    panel = window.generate_panel
    panel.new_tune()
    panel.add_tune(oneill_tunes()[1])
    panel.tunes.list.setCurrentRow(0)
    cursor = panel.tune_editor.editor.textCursor()
    cursor.movePosition(QTextCursor.Start)
    cursor.movePosition(QTextCursor.Down)
    cursor.movePosition(QTextCursor.EndOfLine, QTextCursor.KeepAnchor)
    panel.tune_editor.editor.setTextCursor(cursor)
    panel.tune_editor.editor.insertPlainText("T:The Kept Reel")
    qtbot.waitUntil(lambda: panel.tunes.list.item(0).text() == "The Kept Reel", timeout=5000)
    panel.tunes.list.setCurrentRow(1)
    panel.tunes.list.setCurrentRow(0)
    assert "T:The Kept Reel" in panel.tune_editor.editor.toPlainText()
    panel.tune_editor.editor.undo()
    assert "T:My tune" in panel.tune_editor.editor.toPlainText()
    panel.tune_editor.editor.redo()
    assert "T:The Kept Reel" in panel.tune_editor.editor.toPlainText()


def test_the_selection_and_book_come_back_and_continue_fills_the_primer(qtbot, tmp_path):
    book = tmp_path / "five.abc"
    book.write_text("\n\n".join(oneill_tunes()[:5]) + "\n", encoding="utf-8")
    window = make_window(qtbot)
    window.open_dropped(str(book))  # a file dropped on the Generate tab opens as tunes
    panel = window.generate_panel
    assert len(panel.entries) == 5
    panel.tunes.list.setCurrentRow(3)
    panel.tunes.list.item(1).setSelected(True)
    window.close()
    assert store_path().is_file()
    again = make_window(qtbot)
    panel = again.generate_panel
    assert len(panel.entries) == 5 and panel.tunes.list.currentRow() == 3
    assert panel.tunes.selected_rows() == [1, 3]
    assert again.windowTitle() == "five.abc[*] - ABC Studio"
    qtbot.mouseClick(panel.tunes.continue_button, Qt.LeftButton)
    primer = panel.sampling_config().primer
    assert primer.startswith("X:1\nT:") and "K:" in primer and "X:4" not in primer
    assert primer.count("|") >= 2


def test_a_damaged_store_is_set_aside_and_the_window_opens(qtbot):
    store_path().parent.mkdir(parents=True, exist_ok=True)
    store_path().write_bytes(b"{not json")
    window = make_window(qtbot)
    panel = window.generate_panel
    assert panel.entries == [] and "damaged" in panel.banner.text()
    assert store_path().with_name("tunes.json.corrupt-1").read_bytes() == b"{not json"


def test_opening_a_book_keeps_the_tunes_that_were_in_no_book(qtbot, tmp_path):
    window = make_window(qtbot)
    panel = window.generate_panel
    panel.add_tune(oneill_tunes()[7])
    book = tmp_path / "two.abc"
    book.write_text("\n\n".join(oneill_tunes()[:2]) + "\n", encoding="utf-8")
    assert window.open_tunes(str(book))
    kept = panel.books.recent_books()[1]
    assert "set-aside" in kept and split_tunes(Path(kept).read_text(encoding="utf-8"))[0].split("\n")[1:] == \
        oneill_tunes()[7].rstrip("\n").split("\n")[1:]
    assert window.open_tunes(kept) and len(panel.entries) == 1


def test_a_book_with_bang_line_ends_opens_with_no_problem_marks(qtbot):
    """thesession.org's older '!'-line-end style: no warning sign in the list, nothing marked in the editor."""
    book = Path(__file__).parents[1] / "core" / "data" / "bang_line_ends.abc"
    window = make_window(qtbot)
    panel = window.generate_panel
    with qtbot.waitSignal(panel.books.checked, timeout=60_000) as checked:
        assert window.open_tunes(str(book))
    assert checked.args == [0] and panel.tunes.list.count() == 3
    for row in range(3):
        panel.tunes.list.setCurrentRow(row)
        qtbot.waitUntil(lambda: "!" in panel.tune_editor.editor.toPlainText() and panel.tune_editor.editor.toPlainText().startswith(
            f"X:{row + 1}"), timeout=10_000)
        assert panel.tunes.list.item(row).icon().isNull()
        assert panel.tune_editor.editor.problems == []
