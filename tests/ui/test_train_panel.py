"""The Train panel with real widgets, a real corpus file and real tiny training runs on the worker thread."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.core.runs import RunStore

TIMEOUT = 60_000


@pytest.fixture
def panel(train_panel):
    return train_panel


def configure(panel, **values):
    for name, value in values.items():
        panel.form.set_value(name, str(value))
    assert panel.form.is_valid(), panel.form.problems()


def test_corpus_report_names_tunes_and_vocabulary(panel):
    report = panel.corpus_picker.report.toPlainText()
    assert "50 tunes" in report and "vocabulary" in report
    assert panel.train_button.isEnabled()


def test_train_streams_points_into_the_chart_and_keeps_a_run_folder(qtbot, panel):
    configure(panel, iterations=30, validation_interval=10, checkpoint_interval=10)
    saved = []
    panel.checkpoint_saved.connect(lambda path, label: saved.append(path))
    with qtbot.waitSignal(panel.training_changed, timeout=TIMEOUT) as started:
        qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    assert started.args == [True]
    assert not panel.train_button.isEnabled() and panel.stop_button.isEnabled()
    qtbot.waitUntil(lambda: len(panel.chart.train_data()[0]) > 0, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not panel.is_training(), timeout=TIMEOUT)
    steps, losses = panel.chart.train_data()
    assert list(steps) == list(range(1, 31))
    assert np.all(np.isfinite(losses)) and losses[-5:].mean() < losses[:5].mean()
    assert list(panel.chart.validation_data()[0]) == [10, 20, 30]
    assert 10 in panel.chart.checkpoint_steps() and 20 in panel.chart.checkpoint_steps()
    run = panel.current_run()
    assert run.path.is_dir() and run.last_checkpoint.exists()
    assert [p.step for p in run.loss_log() if p.kind == "train"] == list(range(1, 31))
    assert run.summary()["status"] == "finished"
    assert saved and saved[-1] == str(run.last_checkpoint)
    assert panel.runs_panel.run_ids() == [run.id]
    assert panel.progress.value() == 30 and panel.train_button.isEnabled()


def test_pause_resume_and_stop_keep_the_run(qtbot, panel):
    configure(panel, iterations=100000, checkpoint_interval=100000, validation_interval=100000)
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(panel.chart.train_data()[0]) >= 3, timeout=TIMEOUT)

    with qtbot.waitSignal(panel.session.state_changed, check_params_cb=lambda s: s == "paused", timeout=TIMEOUT):
        qtbot.mouseClick(panel.pause_button, Qt.LeftButton)
    assert panel.resume_button.isEnabled() and not panel.pause_button.isEnabled()
    paused_at = len(panel.chart.train_data()[0])
    with qtbot.waitSignal(panel.session.state_changed, check_params_cb=lambda s: s == "running", timeout=TIMEOUT):
        qtbot.mouseClick(panel.resume_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(panel.chart.train_data()[0]) > paused_at + 2, timeout=TIMEOUT)

    trainer = panel.session._worker.trainer()
    with qtbot.waitSignal(panel.run_ended, timeout=TIMEOUT) as ended:
        qtbot.mouseClick(panel.stop_button, Qt.LeftButton)
        step_after_click = trainer.step  # read after the stop request: only a step already under way may finish
    result = ended.args[0]
    assert result.reason == "stopped"
    assert step_after_click <= result.steps_done <= step_after_click + 1  # the Trainer stops before its next step
    qtbot.waitUntil(lambda: not panel.is_training(), timeout=TIMEOUT)
    run = result.run
    assert run.last_checkpoint.exists()
    assert run.summary()["status"] == "stopped"
    assert run.summary()["steps_done"] == result.steps_done
    assert "Stopped at step" in panel.message.text()

    # the stopped run resumes from its checkpoint and carries on to the new target
    panel.runs_panel.select_runs([run.id])
    assert panel.runs_panel.buttons["Resume"].isEnabled()
    with qtbot.waitSignal(panel.run_ended, timeout=TIMEOUT) as resumed:
        assert panel.resume_run(run.id, iterations=result.steps_done + 5)
    assert resumed.args[0].reason == "finished"
    assert resumed.args[0].steps_done == result.steps_done + 5
    assert list(panel.chart.train_data()[0]) == list(range(1, result.steps_done + 6))


def test_invalid_values_block_train_and_say_why_next_to_the_field(qtbot, panel):
    panel.form.set_value("batch_size", "0")
    panel.form.set_value("learning_rate", "fast")
    assert panel.form.errors["batch_size"].text() == "must be between 1 and 1024"
    assert panel.form.errors["learning_rate"].text() == "enter a number"
    assert panel.form.errors["iterations"].text() == ""
    assert not panel.train_button.isEnabled()
    assert panel.form.preset_box.currentText() == "Custom"
    assert panel.start_training() is False
    assert "Fix the values marked in red" in panel.message.text()
    assert RunStore().list() == []

    panel.form.set_value("batch_size", "4")
    panel.form.set_value("learning_rate", "0.01")
    assert panel.form.errors["batch_size"].text() == "" and panel.train_button.isEnabled()


def test_presets_fill_the_lab_values(panel):
    panel.form.set_preset("lab-seq200")
    model_config, train_config = panel.form.configs()
    assert (train_config.batch_size, train_config.seq_length, train_config.iterations) == (8, 200, 3000)
    assert (model_config.embedding_dim, model_config.hidden_size) == (256, 1024)
    assert panel.form.preset_box.currentText() == "Lab sequence 200"


def test_a_bad_corpus_path_says_why(qtbot, panel, tmp_path):
    empty = tmp_path / "empty.abc"
    empty.write_text("no tunes here\n")
    with qtbot.waitSignal(panel.corpus_picker.failed, timeout=TIMEOUT) as failed:
        panel.open_corpus(str(empty))
    assert failed.args[0]
    assert "Cannot use this corpus" in panel.corpus_picker.report.toPlainText()
    assert not panel.train_button.isEnabled()


@pytest.fixture
def measured_afresh(tmp_path, monkeypatch):
    """Precision auto's measurements in a cache of this test's own (the session shares its cache folder)."""
    monkeypatch.setenv("ABC_STUDIO_HOME", str(tmp_path / "home"))


def test_auto_precision_shows_what_the_run_measured(qtbot, measured_afresh, panel):
    combo = panel.form.editors["precision"]
    assert combo.currentData() == "auto" and combo.currentText() == "auto (measured when training starts)"
    configure(panel, iterations=3, validation_interval=3, checkpoint_interval=3)
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.current_run() is not None and not panel.is_training(), timeout=TIMEOUT)
    measured = panel.current_run().meta()["precision_auto"]
    ratio = measured["fp32_ms"] / measured["bf16_ms"]
    assert combo.currentText() in (f"auto (bf16 here: measured {ratio:.2f}x faster)",
                                   f"auto (fp32 here: bf16 measured only {ratio:.2f}x faster)",
                                   "auto (fp32 here: bf16 measured slower)")
    assert combo.currentText().startswith(f"auto ({measured['precision']} here")
