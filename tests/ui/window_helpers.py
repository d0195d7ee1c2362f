"""Plain helpers shared by the window tests (fixtures are in conftest.py): O'Neill's tunes, the main window opened
as a user opens it, a tune shown in the Generate panel."""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.core.abc.text import clean_tune, decode_abc_bytes, split_tunes
from support import oneills_first_file

#: How long a window test waits for real work (a corpus loading, a run training a few steps) on a busy machine.
TIMEOUT = 60_000


def oneill_tunes() -> list[str]:
    """The cleaned tunes of O'Neill's first file (music21's bundled corpus)."""
    with open(oneills_first_file(), "rb") as handle:
        return [clean_tune(t) for t in split_tunes(decode_abc_bytes(handle.read()))]


def make_window(qtbot, corpus_path=None):
    from studio.ui.main_window import MainWindow

    window = MainWindow(load_corpus_at_start=False)
    qtbot.addWidget(window)
    window.show()
    if corpus_path:
        with qtbot.waitSignal(window.train_panel.corpus_picker.corpus_loaded, timeout=TIMEOUT):
            window.open_corpus(corpus_path)
    return window


def start_long_tiny_run(qtbot, window):
    panel = window.train_panel
    panel.form.set_preset("tiny")
    for name, value in (("iterations", "100000"), ("checkpoint_interval", "100000"),
                        ("validation_interval", "100000")):
        panel.form.set_value(name, value)
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    # train_data() drains the points itself, so it can see steps before the queued run_created has been delivered:
    # wait for both (a loaded machine once ran 3 tiny steps between two polls)
    qtbot.waitUntil(lambda: len(panel.chart.train_data()[0]) >= 3 and panel.current_run() is not None,
                    timeout=TIMEOUT)


def show_tune(qtbot, panel, text: str):
    """Adds ``text`` to the Generate panel's list and waits until it is engraved; returns the preview."""
    with qtbot.waitSignal(panel.preview_ready, timeout=30000) as blocker:
        panel.add_tune(text)
    return blocker.args[0]
