"""The HTML lab report from the window: a past experiment shows at once and its page is written off the GUI thread
only when asked; "Open report" hands the page to the system browser, "Export report..." saves a real copy where the
user says; the Runs tab's "Report..." writes a run's page and opens it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog

from studio.core.reports.report_html import RUN_TUNES
from studio.core.runs import RunStore
from studio.ui.quality.quality_panel import QualityPanel
from studio.ui.run_history.runs_panel import RunsPanel


@pytest.fixture
def past_experiment(experiment_copy):
    """The session's real experiment (tiny preset, batch 8 vs 4, 20 steps, 3 tunes each), copied, no report yet."""
    assert not (experiment_copy.folder / "report.html").exists()
    return experiment_copy


@pytest.fixture
def opened_urls(monkeypatch) -> list[QUrl]:
    """What the window asked the system browser to open."""
    urls = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: urls.append(url) or True)
    return urls


def _answer_save_dialog(monkeypatch, path: Path) -> list[str]:
    suggested = []

    def answer(_parent, _caption, directory, _filter):
        suggested.append(directory)
        return str(path), "HTML page (*.html)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    return suggested


def _is_report(path: Path, tunes: int) -> bool:
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<!DOCTYPE html>")
    assert text.count('<article class="tune"') == tunes
    return True


def test_a_past_experiment_shows_at_once_and_its_report_is_written_when_asked(
        qtbot, past_experiment, small_corpus_path, tmp_path, monkeypatch, opened_urls):
    panel = QualityPanel(corpus=small_corpus_path, store=RunStore(tmp_path / "runs"),
                         experiments_root=past_experiment.folder.parent)
    qtbot.addWidget(panel)
    panel.experiments.show_experiment(past_experiment.folder)
    page = past_experiment.folder / "report.html"
    assert not page.exists() and not (past_experiment.folder / "report.md").exists()  # nothing on the GUI thread
    assert panel.experiments.results.table.rowCount() == 3
    assert panel.experiments.report_button.isEnabled() and panel.experiments.export_report_button.isEnabled()

    exported = tmp_path / "my lab report"
    suggested = _answer_save_dialog(monkeypatch, exported)
    with qtbot.waitSignal(panel.experiments.reports.written, timeout=400_000) as blocker:
        panel.experiments.export_report_button.click()
        assert panel.experiments.progress.maximum() == 0  # busy while the page is written in the background
        assert not panel.experiments.report_button.isEnabled() and not panel.experiments.export_report_button.isEnabled()
    saved = tmp_path / "my lab report.html"
    assert blocker.args == [str(saved)]
    assert suggested[0].endswith(f"{past_experiment.folder.name}.html")
    assert _is_report(saved, 3 + 3 + 3)  # two runs of three tunes, the three temperatures
    assert saved.read_bytes() == page.read_bytes()  # the page stays in the experiment folder too
    assert (past_experiment.folder / "report.md").exists()  # the Markdown report, from the same data
    assert opened_urls == []
    qtbot.waitUntil(lambda: panel.experiments.report_button.isEnabled(), timeout=10_000)
    assert "Report saved to" in panel.experiments.progress_label.text()

    panel.experiments.report_button.click()  # the page is current: opened at once, not written again
    assert opened_urls == [QUrl.fromLocalFile(str(page))]
    assert not panel.experiments.reports.is_busy()


def test_the_runs_tab_writes_a_runs_report_and_opens_it(qtbot, past_experiment, tmp_path, monkeypatch,
                                                        opened_urls):
    store = RunStore(past_experiment.folder.parent.parent / "runs")
    panel = RunsPanel(store)
    qtbot.addWidget(panel)
    button = panel.buttons["Report..."]
    assert not button.isEnabled()
    run_id = past_experiment.arms[1].run_id
    panel.select_runs([run_id])
    assert button.isEnabled()
    destination = tmp_path / "run report.html"
    suggested = _answer_save_dialog(monkeypatch, destination)
    statuses = []
    panel.status_changed.connect(statuses.append)
    with qtbot.waitSignal(panel.reports.written, timeout=400_000):
        button.click()
        assert not button.isEnabled()
    assert suggested == [str(store.open(run_id).path / "report.html")]
    assert _is_report(destination, RUN_TUNES + 3)  # tunes sampled for the run (its samples are the experiment's),
    # and the three temperatures
    assert opened_urls == [QUrl.fromLocalFile(str(destination))]
    assert statuses[0].startswith("Writing the report") and statuses[-1] == f"Report saved to {destination}"
    qtbot.waitUntil(button.isEnabled, timeout=10_000)
