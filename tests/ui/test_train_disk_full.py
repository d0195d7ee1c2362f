"""The Train tab on a disk that is full: the banner and the runs table say why the run stopped, and "Save the model
elsewhere..." writes the weights that are only in memory as a checkpoint the command line generates from."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from studio.core.disk_space import DISK_FULL_ADVICE
from studio.core.network.checkpoints import load_checkpoint
from studio.core.runs import RunStore
from studio.ui.run_history.runs_table import COLUMNS

TIMEOUT = 120_000
STATUS_COLUMN = [header for header, _ in COLUMNS].index("Status")


def test_a_run_that_could_never_write_a_checkpoint_says_why_and_saves_elsewhere(
        qtbot, small_corpus_path, small_disk, tmp_path, monkeypatch):
    from studio.ui.train.train_panel import TrainPanel

    disk = small_disk(16 << 20)
    panel = TrainPanel(RunStore(disk.path / "runs"))
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.corpus_picker.corpus_loaded, timeout=TIMEOUT):
        panel.open_corpus(small_corpus_path)
    panel.form.set_preset("tiny")
    for name, value in dict(iterations=12, hidden_size=128, checkpoint_interval=5, validation_interval=5).items():
        panel.form.set_value(name, str(value))
    assert not panel.banner.isVisible()
    # room for the run folder, none for a checkpoint (best.pt alone is about 500 KB at this size)
    disk.fill(leave=300 * 1024)

    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.session is None and panel.current_run() is not None, timeout=TIMEOUT)
    panel.stop_and_wait()

    run = panel.current_run()
    assert not run.last_checkpoint.exists() and run.meta()["stop_reason"] == DISK_FULL_ADVICE
    assert panel.banner.isVisible() and DISK_FULL_ADVICE in panel.banner.label.text()
    assert panel.banner.save_button.isVisible() and "No checkpoint of it could be written" in panel.banner.label.text()
    row = panel.runs_panel.run_ids().index(run.id)
    assert panel.runs_panel.table.item(row, STATUS_COLUMN).text() == f"stopped ({DISK_FULL_ADVICE})"

    elsewhere = tmp_path / "elsewhere.pt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(elsewhere), ""))
    with qtbot.waitSignal(panel.checkpoint_saved, timeout=TIMEOUT):
        qtbot.mouseClick(panel.banner.save_button, Qt.LeftButton)
    assert load_checkpoint(elsewhere).step == 12 and not panel.banner.save_button.isVisible()
    assert str(elsewhere) in panel.banner.label.text()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]), OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-m", "studio", "generate", "--checkpoint", str(elsewhere), "--count", "1",
                          "--max-length", "80", "--bars", "free", "--seed", "1", "--quiet"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("X:1")
