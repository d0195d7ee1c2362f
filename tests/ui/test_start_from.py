"""The Train tab's "Start from" row: fine-tuning a run in the window, with the form locked to the base, the base's
held-out loss drawn as the line to beat and the run scored beside its base afterwards (real tiny runs)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.core.configs import preset
from studio.core.corpus import load_corpus
from studio.core.learning.training import Trainer
from studio.core.runs import RunStore
from support import copy_run, oneills_first_file

TIMEOUT = 120_000


def test_fine_tuning_a_run_in_the_window(qtbot, train_panel, trained_run, home):
    panel = train_panel
    base = copy_run(trained_run, home / "runs")
    panel.start_from.refresh()
    assert panel.start_from.choose(base.id)
    form = panel.form
    assert form.preset_box.currentText() == "Fine-tune (your own tunes)"
    assert form.editors["hidden_size"].text() == "64" and not form.editors["hidden_size"].isEnabled()
    assert form.text_level() == "raw" and not form.editors["text_level"].isEnabled()
    assert "starting from run fixture" in panel.start_from.info.text() and "64" in panel.start_from.info.text()
    for name, value in (("iterations", 4), ("validation_interval", 2)):
        form.set_value(name, str(value))

    with qtbot.waitSignal(panel.run_ended, timeout=TIMEOUT) as ended:
        qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    run = ended.args[0].run
    parent = run.meta()["parent"]
    assert parent["run"] == base.id and run.meta()["model_config"]["hidden_size"] == 64
    assert panel.chart.line_to_beat.value() == parent["validation_loss"]  # the base on the held-out tunes, step 0
    qtbot.waitUntil(lambda: "held-out loss per melody note" in panel.start_from.scores.text(), timeout=TIMEOUT)
    assert "0001-0050.abc" in panel.start_from.scores.text()  # the new collection, the run beside its base...
    assert "oneills1850" in panel.start_from.scores.text() and "(base " in panel.start_from.scores.text()  # ...forgetting

    table = panel.runs_panel.table  # the runs table names the base beside the corpus
    qtbot.waitUntil(lambda: any(table.item(r, 2) and table.item(r, 2).text() == "0001-0050.abc, from fixture"
                                for r in range(table.rowCount())), timeout=TIMEOUT)

    panel.start_from.choose("")  # nothing: the shape is the form's again
    assert form.editors["hidden_size"].isEnabled() and form.editors["text_level"].isEnabled()
    qtbot.waitUntil(lambda: not panel.is_training(), timeout=TIMEOUT)


def test_a_clocked_base_locks_the_clock_row(qtbot, train_panel, trained_run, home):
    """A base that reads the bar clock gives the run its clock, shown and locked like the network's size."""
    model_config, train_config = preset("tiny")
    model_config.clock, train_config.iterations, train_config.validation_interval = "bar", 2, 1
    clocked = Trainer.new(load_corpus(oneills_first_file()), model_config, train_config, RunStore(home / "runs"), "clocked").run().run
    panel = train_panel
    panel.start_from.refresh()
    assert panel.start_from.choose(clocked.id)
    assert panel.form._text("clock") == "bar" and not panel.form.editors["clock"].isEnabled()
    assert "bar clock" in panel.start_from.info.text()
    assert panel.form.configs()[0].clock == "bar"
    panel.start_from.choose("")
    assert panel.form.editors["clock"].isEnabled()


def test_the_experiment_builder_offers_to_compare_the_shipped_model_with_nothing(qtbot):
    """Does the base help with my tunes? In the Quality tab's builder: start_from, the fine-tune recipe for both."""
    from studio.ui.quality.experiment_builder import ExperimentBuilder

    builder = ExperimentBuilder()
    qtbot.addWidget(builder)
    builder.variable.setCurrentText("start_from")
    assert builder.values.text() == "shipped,nothing" and builder.preset.currentText() == "fine-tune"
    spec = builder.spec()
    assert spec.values == ["shipped", "nothing"] and [spec.base_of(v) for v in spec.values] == ["shipped", ""]
    assert builder.problem() == ""
