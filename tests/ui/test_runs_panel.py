"""The run history and comparison with two real tiny runs that differ only in batch size (8 vs 4)."""

from __future__ import annotations

import csv
import io

import pytest
from PySide6.QtGui import QImage

from studio.core.runs import RunStore
from studio.ui.run_history.runs_panel import RunsPanel


@pytest.fixture
def two_runs(small_corpus_path):
    """Two real runs of the tiny preset, batch 8 and batch 4, trained headless into this test's store."""
    import torch

    from studio.core.configs import preset
    from studio.core.corpus import load_corpus
    from studio.core.learning.training import Trainer

    torch.set_num_threads(1)  # torch's 2 threads crawl on a busy 2-core machine
    corpus = load_corpus(small_corpus_path)
    store = RunStore()
    runs = []
    for batch in (8, 4):
        model_config, train_config = preset("tiny")
        train_config.iterations, train_config.batch_size, train_config.validation_interval = 12, batch, 6
        train_config.precision = "fp32"  # auto may measure the two batch sizes apart: batch is the one difference
        runs.append(Trainer.new(corpus, model_config, train_config, store, name=f"batch {batch}").run().run)
    return store, runs


@pytest.fixture
def panel(qtbot, two_runs):
    store, _runs = two_runs
    panel = RunsPanel(store)
    qtbot.addWidget(panel)
    panel.show()
    return panel


def test_lists_every_run_with_its_settings_and_losses(panel, two_runs):
    _store, runs = two_runs
    assert sorted(panel.run_ids()) == sorted(run.id for run in runs)
    headers = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    row = {headers[c]: panel.table.item(0, c).text() for c in range(panel.table.columnCount())}
    assert row["Status"] == "finished" and row["Steps"] == "12 / 12"
    assert row["Corpus"] and row["Last loss"] != "-" and row["Best val"] != "-"
    assert {panel.table.item(r, headers.index("Batch")).text() for r in range(2)} == {"8", "4"}


def test_overlay_of_two_runs_shows_two_curves_and_only_the_differing_settings(panel, two_runs):
    _store, runs = two_runs
    panel.select_runs([run.id for run in runs])
    assert len(panel.chart.run_labels()) == 2
    assert set(panel.chart.run_labels()) == {"batch 8", "batch 4"}
    for index in range(2):
        steps, _smoothed = panel.chart.curve_data(index)
        assert list(steps) == list(range(1, 13))
    differing = panel.differing_rows()
    assert list(differing) == ["Batch size"]
    assert sorted(differing["Batch size"]) == ["4", "8"]
    assert "1 setting(s) differ" in panel.differences_note.text()

    panel.select_runs([runs[0].id])
    assert len(panel.chart.run_labels()) == 1 and panel.differing_rows() == {}


def test_exports_chart_as_png_and_svg_and_loss_data_as_csv(panel, two_runs, tmp_path):
    _store, runs = two_runs
    panel.select_runs([run.id for run in runs])
    png = panel.export_chart(tmp_path / "overlay.png")
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 100
    svg = panel.export_chart(tmp_path / "overlay.svg").read_text()
    assert "<svg" in svg and "</svg>" in svg
    rows = list(csv.DictReader(io.StringIO(panel.export_csv(tmp_path / "loss.csv").read_text())))
    assert {row["run_name"] for row in rows} == {"batch 8", "batch 4"}
    assert sum(row["kind"] == "train" for row in rows) == 24
    with pytest.raises(ValueError, match="png or .svg"):
        panel.export_chart(tmp_path / "overlay.jpg")


def test_rename_delete_and_open_in_generate(qtbot, panel, two_runs):
    _store, runs = two_runs
    panel.rename_run(runs[0].id, "  batch eight  ")
    assert runs[0].name == "batch eight"
    panel.select_runs([runs[0].id])
    with qtbot.waitSignal(panel.model_opened) as opened:
        panel.buttons["Open in Generate"].click()
    assert opened.args == [str(runs[0].best_checkpoint), "batch eight"]
    panel.delete_runs([runs[1].id])
    assert panel.run_ids() == [runs[0].id] and not runs[1].path.exists()


def test_score_on_corpus_adds_each_runs_held_out_score_to_the_table(qtbot, panel, two_runs, small_corpus_path):
    from studio.core.quality.scoring import score_corpus
    from studio.ui.run_history.runs_table import SCORE_COLUMN, SHIPPED_ROW_NAME

    _store, runs = two_runs
    header = panel.table.horizontalHeaderItem(SCORE_COLUMN).text()
    assert header == "Score (corpus, split)"
    assert {panel.table.item(r, SCORE_COLUMN).text() for r in range(2)} == {"-"}
    panel.select_runs([run.id for run in runs])
    progress = []
    panel.status_changed.connect(progress.append)
    assert panel.score_models(panel.models_to_score("selected"), small_corpus_path, "validation")
    assert not panel.buttons["Score on corpus..."].isEnabled()
    qtbot.waitUntil(lambda: not panel.scoring.is_busy(), timeout=300_000)
    assert any(text.startswith("Scoring batch 8") for text in progress)
    name = small_corpus_path.rsplit("/", 1)[-1]
    for run in runs:
        expected = score_corpus(run.best_checkpoint, small_corpus_path, "validation").nats_per_char
        row = panel.run_ids().index(run.id)
        assert panel.table.item(row, SCORE_COLUMN).text() == f"{expected:.3f} ({name}, validation)"
        assert run.meta()["scores"][f"{name}|validation|tunes"]["nats_per_char"] == expected  # kept with the run
    assert panel.buttons["Score on corpus..."].isEnabled()

    assert panel.score_models(panel.models_to_score("shipped"), small_corpus_path, "all")
    qtbot.waitUntil(lambda: not panel.scoring.is_busy(), timeout=300_000)
    last = panel.table.rowCount() - 1
    assert panel.table.item(last, 0).text() == SHIPPED_ROW_NAME
    assert panel.table.item(last, SCORE_COLUMN).text().endswith(f"({name}, all)")
    panel.select_runs([run.id for run in runs])
    assert sorted(panel.selected_ids()) == sorted(run.id for run in runs)  # the shipped row is no run


def test_a_split_that_is_not_of_the_corpus_says_why(qtbot, panel, two_runs, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warnings.append(args[2]))
    panel.select_runs([two_runs[1][0].id])
    assert panel.score_models(panel.models_to_score("selected"), "airdsAirs", "validation")
    qtbot.waitUntil(lambda: not panel.scoring.is_busy(), timeout=300_000)
    assert warnings and "use split all" in warnings[0]


def test_a_run_stopped_early_shows_why_in_its_status():
    from studio.core.learning.early_stopping import STOPPED_EARLY
    from studio.ui.run_history.runs_table import status_of

    why = "the held-out loss did not improve for 2 validations in a row: the best checkpoint is kept"
    assert status_of({"status": STOPPED_EARLY, "early_stop": why}) == f"stopped early ({why})"
    assert status_of({"status": "stopped", "stop_reason": "disk full", "early_stop": why}) == "stopped (disk full)"
    assert status_of({"status": "finished", "early_stop": None}) == "finished"
