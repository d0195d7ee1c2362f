"""Set-up for the window tests: fresh QSettings and a private data folder per test (the home fixture of
tests/conftest.py), a small real corpus (one file of O'Neill's), the session's tiny checkpoint, the Generate and
Train panels, and a helper that answers the next modal dialog like a user."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication

from support import copy_run, oneills_first_file


@pytest.fixture(autouse=True)
def fresh_settings(qapp, home, tmp_path):
    """Each test gets empty QSettings under tmp_path (its runs and data are in ``home``), and the application is set
    up as ``studio.app`` sets it up (garbage collection in the GUI thread), whichever panel the test builds."""
    from studio.ui.widgets.gui_gc import collect_in_gui_thread

    collect_in_gui_thread(qapp)
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    qapp.setOrganizationName("ABC Studio Tests")
    qapp.setApplicationName("ABC Studio")
    yield tmp_path / "settings"


@pytest.fixture(scope="session")
def small_corpus_path() -> str:
    """The first file of O'Neill's Music of Ireland (50 real tunes) from music21's corpus."""
    return oneills_first_file()


@pytest.fixture(scope="session")
def tiny_checkpoint(trained_run, tmp_path_factory) -> str:
    """The last checkpoint of a copy of the session's tiny trained run (``<folder>/runs/<id>/checkpoints``): the
    window's tests sample from it, and tunes generated from a run are kept in its folder, so they get their own."""
    run = copy_run(trained_run, tmp_path_factory.mktemp("tiny-model") / "runs")
    return str(run.last_checkpoint)


@pytest.fixture()
def panel(qtbot):
    """A Generate panel at a usual size that plays to the silent clock (the same on machines without sound)."""
    from studio.ui.generate.panel import GeneratePanel
    from studio.ui.generate.playback import CLOCK

    widget = GeneratePanel()
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.playback.output_combo.setCurrentIndex(widget.playback.output_combo.findData(CLOCK))
    yield widget
    widget.shutdown()


@pytest.fixture
def answer_dialog(qtbot):
    """``answer_dialog("Stop and keep the run")`` clicks that button of the next modal dialog when it opens."""
    answered = []

    def schedule(button_text: str, timeout_ms: int = 10_000):
        waited = [0]

        def poll():
            dialog = QApplication.activeModalWidget()
            if dialog is not None:
                for button in dialog.findChildren(QAbstractButton):
                    if button.text().replace("&", "") == button_text:
                        answered.append(button_text)
                        button.click()
                        return
            waited[0] += 20
            if waited[0] < timeout_ms:
                QTimer.singleShot(20, poll)

        QTimer.singleShot(20, poll)
        return answered

    return schedule


@pytest.fixture
def train_panel(qtbot, small_corpus_path):
    """A Train panel with O'Neill's first file loaded and the tiny preset chosen; stopped and joined afterwards."""
    from studio.core.runs import RunStore
    from studio.ui.train.train_panel import TrainPanel

    panel = TrainPanel(RunStore())
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.corpus_picker.corpus_loaded, timeout=120_000):
        panel.open_corpus(small_corpus_path)
    panel.form.set_preset("tiny")
    yield panel
    panel.stop_and_wait()
