"""The Quality tab's experiments from start to end, in the real window: one is stopped mid-run (it ends as stopped and
the tab can run another), one fails for real (a corpus with no tune, an experiments folder that cannot be made) and
says why, a past one is reopened from its folder with its results, and closing the window mid-run neither hangs nor
loses the partial run.

Everything is real and tiny: the 'tiny' preset on one file of O'Neill's, a few steps, one tune per run. The only
dialog answered is Qt's static ``QFileDialog.getExistingDirectory`` ("Show a past experiment...").
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog
from window_helpers import TIMEOUT, make_window

from studio.core.learning.experiments import experiments_home, list_experiments, load_experiment
from studio.core.runs import Run
from studio.ui.widgets import threads

#: A window that closes mid-run must be gone well before this (the panel itself waits at most 30 s for the run).
CLOSE_BOUND_S = 30


@pytest.fixture
def window(qtbot):
    window = make_window(qtbot)
    yield window
    window.close()


def quality_tab(window, corpus: str):
    """The window's Quality tab, judging against ``corpus``. The panel is built before its tab is shown, so the
    default corpus is never measured."""
    panel = window.quality_panel
    panel.experiments.corpus_spec = corpus
    window.tabs.setCurrentWidget(window.quality_slot)
    return panel


def start_experiment(panel, iterations: int):
    """Starts 'tiny: batch_size 8 vs 4' from the form, one tune per run; returns its session."""
    panel.experiments.builder.preset.setCurrentText("tiny")
    panel.experiments.builder.variable.setCurrentText("batch_size")
    panel.experiments.builder.values.setText("8,4")
    panel.experiments.builder.iterations.setValue(iterations)
    panel.experiments.builder.tunes.setValue(1)
    panel.experiments.start_button.click()
    assert panel.experiments.session is not None, panel.experiments.progress_label.text()
    return panel.experiments.session


def wait_for_training(qtbot, panel, steps: int = 3) -> None:
    """Until the results chart shows ``steps`` training points of the first run."""
    def trained():
        curves = panel.experiments.results.plot.getPlotItem().listDataItems()
        shown = curves[0].getData()[0] if curves else None
        return shown is not None and len(shown) >= steps

    qtbot.waitUntil(trained, timeout=TIMEOUT)


def is_idle(panel) -> bool:
    return panel.experiments.session is None and panel.experiments.start_button.isEnabled() and not panel.experiments.stop_button.isEnabled()


def test_a_stopped_experiment_ends_as_stopped_and_the_tab_runs_another(qtbot, window, small_corpus_path):
    panel = quality_tab(window, small_corpus_path)
    start_experiment(panel, iterations=100_000)
    wait_for_training(qtbot, panel)
    with qtbot.waitSignal(panel.experiment_finished, timeout=TIMEOUT) as ended:
        panel.experiments.stop_button.click()
        assert panel.experiments.progress_label.text() == "Stopping..."
    result = ended.args[0]
    assert result.status == "stopped"
    assert [arm.reason for arm in result.arms] == ["stopped"]  # the second run never started
    assert load_experiment(result.folder).status == "stopped"  # and so it says on disk
    qtbot.waitUntil(lambda: is_idle(panel), timeout=TIMEOUT)
    assert panel.experiments.progress_label.text().startswith("Experiment stopped.")
    assert panel.experiments.results.table.item(0, 1).text() == "stopped"

    with qtbot.waitSignal(panel.experiment_finished, timeout=TIMEOUT) as again:
        start_experiment(panel, iterations=4)
    assert again.args[0].status == "finished" and len(again.args[0].arms) == 2
    qtbot.waitUntil(lambda: is_idle(panel), timeout=TIMEOUT)


def _corpus_without_tunes(tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / "notes.abc"
    path.write_text("Only words here, and no X: line to start a tune.\n", encoding="utf-8")
    return str(path), "notes.abc holds no usable ABC tune"


def _experiments_folder_is_a_file(tmp_path: Path) -> tuple[str | None, str]:
    experiments_home().parent.mkdir(parents=True, exist_ok=True)
    experiments_home().write_text("a file where the experiments folder should be\n")
    return None, "Not a directory"


@pytest.mark.parametrize("make_failure", [_corpus_without_tunes, _experiments_folder_is_a_file],
                         ids=["corpus without tunes", "experiments folder cannot be made"])
def test_a_failing_experiment_is_shown_as_failed_with_its_reason(qtbot, window, small_corpus_path, tmp_path,
                                                                  make_failure):
    corpus, reason = make_failure(tmp_path)
    panel = quality_tab(window, corpus or small_corpus_path)
    finished = []
    panel.experiment_finished.connect(finished.append)
    session = start_experiment(panel, iterations=4)
    with qtbot.waitSignal(session.finished, timeout=TIMEOUT):
        pass
    assert panel.experiments.progress_label.text().startswith("The experiment failed: ")
    assert reason in panel.experiments.progress_label.text()
    assert window.statusBar().currentMessage().startswith("Experiment failed: ")
    assert reason in window.statusBar().currentMessage()
    assert finished == []
    qtbot.waitUntil(lambda: is_idle(panel), timeout=TIMEOUT)


def test_reopening_a_past_experiment_shows_its_results(qtbot, window, small_corpus_path, experiment_copy,
                                                       monkeypatch):
    past_experiment = experiment_copy  # the session's finished experiment (tiny, batch 8 vs 4, 20 steps)
    opened_at = []

    def choose_folder(_parent, _caption, directory, *_options):
        opened_at.append(directory)
        return str(past_experiment.folder)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", choose_folder)
    panel = quality_tab(window, small_corpus_path)
    panel.experiments.previous_button.click()
    assert opened_at == [str(experiments_home())]
    table = panel.experiments.results.table
    rows = [[table.item(row, column).text() for column in range(table.columnCount())]
            for row in range(table.rowCount())]
    assert [row[:2] for row in rows] == [["batch_size=8", "finished"], ["batch_size=4", "finished"],
                                         ["real vs real", "baseline"]]
    validity = table.columnCount() - 4  # the "Valid" column: the runs' tunes were scored
    assert [row[validity] for row in rows[:2]] == [f"{arm.set_metrics['validity_rate']:.3f}"
                                                   for arm in past_experiment.arms]
    per_note = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())].index("Held-out /note")
    assert [row[per_note] for row in rows[:2]] == [f"{arm.held_out_per_note:.3f}" for arm in past_experiment.arms]
    curves = panel.experiments.results.plot.getPlotItem().listDataItems()
    assert [list(curve.getData()[0]) for curve in curves] == [list(range(1, 21))] * 2
    assert panel.experiments.report_path == str(past_experiment.folder / "report.html")
    assert panel.experiments.report_button.isEnabled() and panel.experiments.export_report_button.isEnabled()
    assert "(finished)" in panel.experiments.progress_label.text()


def test_closing_the_window_mid_run_is_bounded_and_keeps_the_partial_run(qtbot, small_corpus_path):
    window = make_window(qtbot)
    panel = quality_tab(window, small_corpus_path)
    session = start_experiment(panel, iterations=100_000)
    wait_for_training(qtbot, panel)
    began = time.monotonic()
    assert window.close() is True
    assert time.monotonic() - began < CLOSE_BOUND_S
    assert not session.is_running() or session.wait(0), "the experiment's thread still runs after the close"
    qtbot.waitUntil(lambda: not threads.running(), timeout=TIMEOUT)

    [folder] = list_experiments(experiments_home())
    kept = load_experiment(folder)
    assert kept.status == "stopped" and [arm.reason for arm in kept.arms] == ["stopped"]
    run = Run(Path(kept.arms[0].run_path))
    steps = [point.step for point in run.loss_log() if point.kind == "train"]
    assert len(steps) >= 3 and steps == list(range(1, len(steps) + 1))
    assert run.summary()["status"] == "stopped"
    assert run.last_checkpoint.exists() and not (run.path / "run.lock").exists()
