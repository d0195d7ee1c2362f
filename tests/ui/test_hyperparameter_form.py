"""The hyperparameter form: ``auto`` precision says what it will do here (measured, or measured when training starts)
and still means auto, values round-trip by value, and the form is built without torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from studio.core.configs import preset
from studio.core.network.precision import ProbeKey, decide, remember
from studio.ui.train.hyperparameter_form import HyperparameterForm
from studio.ui.train.training_worker import training_threads

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    """A data folder of this test's own (the session shares its cache folder): ``precision.json``'s path in it."""
    monkeypatch.setenv("ABC_STUDIO_HOME", str(tmp_path / "home"))
    return tmp_path / "home" / "cache" / "precision.json"


def test_auto_precision_says_what_was_measured_here_and_still_means_auto(qtbot, own_cache):
    form = HyperparameterForm()
    qtbot.addWidget(form)
    form.set_preset("lab")
    combo = form.editors["precision"]
    assert combo.currentText() == "auto (measured when training starts)"
    model_config, train_config = preset("lab")
    remember(ProbeKey.here(model_config, train_config, training_threads()), decide(750.0, 624.0))
    form.show_auto_precision()  # what the Train panel does once a run has measured
    assert combo.currentText() == "auto (bf16 here: measured 1.20x faster)"
    assert "624 ms" in combo.itemData(combo.currentIndex(), Qt.ToolTipRole) and form.preset_box.currentText() == "Lab"
    form.set_value("batch_size", "32")  # a shape not measured yet
    assert combo.currentText() == "auto (measured when training starts)"
    form.set_value("batch_size", "8")
    assert combo.currentText().startswith("auto (bf16 here")
    assert form.configs()[1].precision == "auto"
    form.set_value("precision", "fp32")
    assert combo.currentText() == "fp32" and form.configs()[1].precision == "fp32"
    form.remember()
    again = HyperparameterForm()  # the remembered value is the value, not the label
    qtbot.addWidget(again)
    assert again.configs()[1].precision == "fp32"


def test_bf16_asked_for_where_its_gradients_stray_is_warned_of_not_refused(qtbot, own_cache):
    form = HyperparameterForm()
    qtbot.addWidget(form)
    form.set_preset("lab")
    model_config, train_config = preset("lab")
    remember(ProbeKey.here(model_config, train_config, training_threads()), decide(736.0, 416.0, 1.063))  # AMX
    form.show_auto_precision()
    assert form.editors["precision"].currentText() == "auto (fp32 here: bf16's gradients 106% off)"
    combo = form.editors["precision"]
    form.set_value("precision", "bf16")
    assert combo.currentText() == "bf16 (trains worse here: gradients off)"
    why = combo.itemData(combo.currentIndex(), Qt.ToolTipRole)
    assert "trains worse on this CPU" in why and "106%" in why
    assert form.configs()[1].precision == "bf16" and form.errors["precision"].text() == ""  # obeyed: not a problem
    form.set_value("batch_size", "32")  # another shape, not measured: no warning
    assert combo.currentText() == "bf16"


def test_a_corrupt_measurement_file_leaves_the_form_working(qtbot, own_cache):
    own_cache.parent.mkdir(parents=True)
    own_cache.write_text("{ half a file")
    form = HyperparameterForm()
    qtbot.addWidget(form)
    form.set_preset("lab")
    assert form.editors["precision"].currentText() == "auto (measured when training starts)"
    assert form.configs() is not None


def test_the_form_is_built_without_torch(tmp_path):
    script = ("import sys\n"
              "from PySide6.QtWidgets import QApplication\n"
              "app = QApplication([])\n"
              "from studio.ui.train.hyperparameter_form import HyperparameterForm\n"
              "form = HyperparameterForm()\n"
              "form.show()\n"
              "app.processEvents()\n"
              "print(form.editors['precision'].itemText(0), '|', 'torch' in sys.modules)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ABC_STUDIO_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env,
                         cwd=tmp_path)
    assert out.stdout.strip().endswith("| False"), (out.stdout[-500:], out.stderr[-1500:])
    assert out.stdout.startswith("auto (")


def test_the_context_row_explains_itself_and_follows_the_presets(qtbot):
    from PySide6.QtWidgets import QFormLayout

    form = HyperparameterForm()
    qtbot.addWidget(form)
    layout = form.findChild(QFormLayout) or form.layout()
    labels = [layout.itemAt(row, QFormLayout.LabelRole).widget().text() for row in range(layout.rowCount())]
    assert "Context" in labels
    combo = form.editors["context"]
    assert "whole tunes" in combo.toolTip() and "random windows" in combo.toolTip()
    form.set_preset("lab")
    assert form.configs()[1].context == "stream" and combo.currentText().startswith("stream")
    form.set_preset("lab-window")
    assert form.configs()[1].context == "window" and form.preset_box.currentText() == "Lab random windows"
    form.set_value("context", "stream")
    assert form.configs()[1].context == "stream" and form.preset_box.currentText() == "Custom"
