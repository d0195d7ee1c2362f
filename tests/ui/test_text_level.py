"""The Text control of the Train panel: real corpus file, real rewrite on a worker thread, real tiny runs."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt

from studio.ui.train.text_level_report import TextLevelDialog

TIMEOUT = 120_000


@pytest.fixture
def panel(train_panel):
    return train_panel


def test_the_text_control_offers_the_three_levels_and_says_what_they_do(panel):
    box = panel.form.editors["text_level"]
    assert [box.itemText(i) for i in range(box.count())] == ["raw", "canonical", "melody"]
    assert "exact replication" in box.toolTip() and "slurs" in box.toolTip()
    assert "exact replication" in box.itemData(0, Qt.ToolTipRole)
    assert panel.form.text_level() == "raw"  # the tiny preset: no rewrite before a quick look
    panel.form.set_preset("lab")
    assert panel.form.text_level() == "canonical"


def test_training_at_canonical_rewrites_off_the_gui_thread_then_trains(qtbot, panel):
    for name, value in {"iterations": 5, "validation_interval": 5, "checkpoint_interval": 5,
                        "text_level": "canonical"}.items():
        panel.form.set_value(name, str(value))
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    # the click returned while the tunes are still being rewritten on the worker thread
    assert panel.is_rewriting() and not panel.is_training()
    assert "writing the tunes at the canonical level" in panel.progress.format()
    assert not panel.train_button.isEnabled() and not panel.form.isEnabled()
    qtbot.waitUntil(lambda: panel.current_run() is not None, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not panel.is_training(), timeout=TIMEOUT)
    summary = panel.current_run().summary()
    assert summary["status"] == "finished" and summary["corpus"]["text_level"] == "canonical"
    table = panel.runs_panel.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert table.item(0, headers.index("Text")).text() == "canonical"

    panel.text_report_button.click()  # the corpus is at hand at this level now: the report opens at once
    dialog = panel.findChild(TextLevelDialog)
    assert dialog is not None and dialog.isVisible()
    assert "text level canonical:" in dialog.summary.text() and "spaces" in dialog.summary.text()
    before, after = dialog.before.toPlainText(), dialog.after.toPlainText()
    assert before.startswith("X:") and after.startswith("X:") and before != after
    dialog.close()


def test_the_report_of_melody_rewrites_first_and_raw_says_nothing_changes(qtbot, panel):
    panel.text_report_button.click()
    assert not panel.is_rewriting() and "nothing is rewritten" in panel.message.text()
    panel.form.set_value("text_level", "melody")
    panel.text_report_button.click()
    assert panel.is_rewriting()
    qtbot.waitUntil(lambda: panel.findChild(TextLevelDialog) is not None, timeout=TIMEOUT)
    dialog = panel.findChild(TextLevelDialog)
    assert "slurs" in dialog.summary.text()
    assert not re.search(r"\((?!\d)", dialog.after.toPlainText().split("K:", 1)[1])  # slurs gone, tuplets kept
    # the report opens once the rewrite is over: Train is ready behind it
    assert not panel.is_rewriting() and panel.train_button.isEnabled()


def test_the_experiment_builder_suggests_comparing_text_levels(qtbot):
    from studio.ui.quality.experiment_builder import ExperimentBuilder

    builder = ExperimentBuilder()
    qtbot.addWidget(builder)
    builder.variable.setCurrentText("text_level")
    assert builder.values.text() == "raw,canonical"
    assert builder.spec().values == ["raw", "canonical"] and builder.problem() == ""
