"""Set-up for the window tests: Qt offscreen and a private data folder before Qt is imported, fresh QSettings per
test, a small real corpus (one file of O'Neill's), and a helper that answers the next modal dialog like a user."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("ABC_STUDIO_HOME", tempfile.mkdtemp(prefix="abc-studio-ui-tests-"))

import pytest  # noqa: E402
from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QAbstractButton, QApplication  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_settings(qapp, tmp_path, monkeypatch):
    """Each test gets empty QSettings and its own run store under tmp_path, and the application is set up as
    ``studio.app`` sets it up (garbage collection in the GUI thread), whichever panel the test builds."""
    from studio.ui.gui_gc import collect_in_gui_thread

    collect_in_gui_thread(qapp)
    monkeypatch.setenv("ABC_STUDIO_HOME", str(tmp_path / "home"))
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    qapp.setOrganizationName("ABC Studio Tests")
    qapp.setApplicationName("ABC Studio")
    yield tmp_path / "settings"


@pytest.fixture(scope="session")
def small_corpus_path() -> str:
    """The first file of O'Neill's Music of Ireland (50 real tunes) from music21's corpus."""
    from music21 import corpus

    return str(sorted(p for p in corpus.getCorePaths(fileExtensions=("abc",)) if "oneills1850" in str(p))[0])


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


@pytest.fixture(scope="session")
def run_past_experiment():
    """``run_past_experiment(root, corpus_path, iterations, tunes_per_run, max_length)``: a real experiment run
    before the window opens (tiny preset, batch 8 vs 4) under ``root``; returns its result."""
    return _run_past_experiment


def _run_past_experiment(root, corpus_path: str, iterations: int, tunes_per_run: int, max_length: int):
    import torch

    from studio.core.experiments import ExperimentSpec, run_experiment
    from studio.core.runs import RunStore

    torch.set_num_threads(1)
    spec = ExperimentSpec("batch_size", [8, 4], preset="tiny", corpus=corpus_path, iterations=iterations,
                          tunes_per_run=tunes_per_run, max_length=max_length)
    return run_experiment(spec, store=RunStore(root / "runs"), root=root / "experiments")


@pytest.fixture
def train_panel(qtbot, small_corpus_path):
    """A Train panel with O'Neill's first file loaded and the tiny preset chosen; stopped and joined afterwards."""
    from studio.core.runs import RunStore
    from studio.ui.train_panel import TrainPanel

    panel = TrainPanel(RunStore())
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.corpus_picker.corpus_loaded, timeout=120_000):
        panel.open_corpus(small_corpus_path)
    panel.form.set_preset("tiny")
    yield panel
    panel.stop_and_wait()
