"""The hyperparameter form: ``auto`` precision says what it picks on this CPU, and values round-trip by value."""

from __future__ import annotations

from studio.core.network.precision import auto_precision_label
from studio.ui.train.hyperparameter_form import HyperparameterForm


def test_auto_precision_shows_what_it_uses_here_and_still_means_auto(qtbot):
    form = HyperparameterForm()
    qtbot.addWidget(form)
    combo = form.editors["precision"]
    label = combo.currentText()
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:  # this machine's flags, read here, not by the code
        amx = "amx_bf16" in cpuinfo.read().split()
    assert label.startswith("auto (") and ("bf16 here" if amx else "fp32 here") in label
    assert form.configs()[1].precision == "auto"
    form.set_value("precision", "fp32")
    assert combo.currentText() == "fp32" and form.configs()[1].precision == "fp32"
    form.remember()
    again = HyperparameterForm()  # the remembered value is the value, not the label
    qtbot.addWidget(again)
    assert again.configs()[1].precision == "fp32"


def test_the_label_follows_the_cpu_flags():
    assert auto_precision_label("flags : fpu avx512f avx512_bf16 amx_bf16 amx_tile") == "auto (bf16 here: AMX)"
    assert auto_precision_label("flags : fpu avx512f avx512_bf16") == "auto (fp32 here: AVX-512 BF16 but no AMX)"
    assert auto_precision_label("flags : fpu sse2") == "auto (fp32 here: no AMX)"


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
