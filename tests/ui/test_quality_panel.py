"""The Quality tab: real tunes measured against a real corpus, broken tunes marked, an experiment run from the form."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.core.abc.text import split_tunes
from studio.core.runs import RunStore
from studio.ui.quality.metrics_table import OUTSIDE_MARK
from studio.ui.quality.quality_panel import QualityPanel

BROKEN = "X:1\nT:Broken\nM:4/4\nL:1/8\nK:C\nC c' C c' C c' C c'|C c' C c' C c' C c'|[CEG C2|\n"


@pytest.fixture
def panel(qtbot, small_corpus_path, tmp_path):
    widget = QualityPanel(corpus=small_corpus_path, store=RunStore(tmp_path / "runs"),
                          experiments_root=tmp_path / "experiments")
    qtbot.addWidget(widget)
    widget.resize(1300, 850)
    if widget.judging.reference is None:
        with qtbot.waitSignal(widget.reference_ready, timeout=60_000):
            widget.judging.ensure_reference()
    yield widget
    widget.shutdown()


def _column(table, column):
    return [table.item(row, column).text() for row in range(table.rowCount())]


def test_a_real_tune_sits_inside_the_corpus_ranges(panel, small_corpus_path):
    real = split_tunes(Path(small_corpus_path).read_text(encoding="latin-1"))[3]
    panel.judging.set_text(real)
    assert panel.judging.table.rowCount() >= 15
    assert _column(panel.judging.table, 1)[0] == "yes"
    assert len(panel.judging.table.outside_metrics()) <= 2
    assert sum(panel.judging.histograms.shown["pitch_class"]) == pytest.approx(1.0)


def test_a_broken_tune_is_marked_for_the_right_reasons(panel):
    panel.judging.set_text(BROKEN)
    outside = panel.judging.table.outside_metrics()
    assert "valid" in outside  # the unclosed chord
    assert "mean_abs_interval" in outside and "octave_leap_rate" in outside
    marks = _column(panel.judging.table, 4)
    assert marks.count(OUTSIDE_MARK) == len(outside)
    assert panel.judging.table.item(0, 1).background().color().red() == 255


def test_picking_the_second_tune_of_a_file(panel, small_corpus_path):
    tunes = split_tunes(Path(small_corpus_path).read_text(encoding="latin-1"))
    panel.judging.set_text(tunes[1])
    second_alone = _column(panel.judging.table, 1)
    panel.judging.load_file(small_corpus_path)
    assert panel.judging.tune_picker.count() == len(tunes) == 50
    first = _column(panel.judging.table, 1)
    assert first != second_alone  # the two tunes measure differently, so the check below can tell them apart
    panel.judging.tune_picker.setCurrentIndex(1)
    assert _column(panel.judging.table, 1) == second_alone


def test_builder_refuses_a_single_value(panel):
    panel.experiments.builder.values.setText("8")
    assert not panel.experiments.start_button.isEnabled()
    assert "two values" in panel.experiments.start_button.toolTip()
    panel.experiments.builder.values.setText("8,4")
    assert panel.experiments.start_button.isEnabled()


def test_an_experiment_runs_from_the_form(panel, qtbot, small_corpus_path):
    panel.experiments.builder.preset.setCurrentText("tiny")
    panel.experiments.builder.variable.setCurrentText("batch_size")
    panel.experiments.builder.values.setText("8,4")
    panel.experiments.builder.iterations.setValue(12)
    panel.experiments.builder.tunes.setValue(2)
    with qtbot.waitSignal(panel.experiment_finished, timeout=300_000) as blocker:  # below pytest-timeout (600 s)
        panel.experiments.start_button.click()
        assert panel.experiments.stop_button.isEnabled()
    result = blocker.args[0]
    assert result.status == "finished"
    assert panel.experiments.results.table.rowCount() == 3  # two runs and the real-vs-real baseline
    assert panel.experiments.report_path == str(result.folder / "report.html") and Path(panel.experiments.report_path).exists()
    qtbot.waitUntil(lambda: panel.experiments.session is None, timeout=10_000)
    assert panel.experiments.report_button.isEnabled() and panel.experiments.export_report_button.isEnabled()
