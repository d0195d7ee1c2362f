"""Score on corpus...: what the dialog offers, what it returns, and that the Runs panel's button scores exactly that
and remembers the corpus for next time."""

from __future__ import annotations

from studio.core.runs import RunStore
from studio.ui.run_history.runs_panel import RunsPanel
from studio.ui.run_history.score_dialog import SELECTED, SHIPPED, SPLIT_CHOICES, ScoreDialog


def test_the_dialog_offers_the_selection_then_the_shipped_model_and_returns_the_choice(qtbot):
    dialog = ScoreDialog(2, "airdsAirs")
    qtbot.addWidget(dialog)
    assert [dialog.model_box.itemData(i) for i in range(dialog.model_box.count())] == [SELECTED, SHIPPED]
    assert dialog.model_box.itemText(0) == "the 2 selected run(s)"
    assert dialog.corpus_box.currentText() == "airdsAirs" and dialog.split_box.currentText() == "validation"
    assert [dialog.split_box.itemText(i) for i in range(dialog.split_box.count())] == list(SPLIT_CHOICES)
    assert dialog.choice() == (SELECTED, "airdsAirs", "validation")
    dialog.model_box.setCurrentIndex(1)
    dialog.corpus_box.setCurrentText("  /my tunes/book.abc ")
    dialog.split_box.setCurrentText("all")
    assert dialog.choice() == (SHIPPED, "/my tunes/book.abc", "all")
    nothing_selected = ScoreDialog(0)
    qtbot.addWidget(nothing_selected)
    assert nothing_selected.model_box.count() == 1 and nothing_selected.choice()[0] == SHIPPED


def test_the_button_scores_what_the_dialog_chose_and_remembers_the_corpus(qtbot, tmp_path, monkeypatch):
    panel = RunsPanel(RunStore(tmp_path / "runs"))
    qtbot.addWidget(panel)
    shown, scored = [], []

    def answer(dialog):  # the user picks the shipped model, a file and split 'all', then OK
        shown.append(dialog.corpus_box.currentText())
        dialog.model_box.setCurrentIndex(dialog.model_box.findData(SHIPPED))
        dialog.corpus_box.setCurrentText("/my tunes/book.abc")
        dialog.split_box.setCurrentText("all")
        return ScoreDialog.Accepted

    monkeypatch.setattr(ScoreDialog, "exec", answer)
    monkeypatch.setattr(panel, "score_models", lambda models, corpus, split: scored.append((models, corpus, split))
                        or True)
    panel.buttons["Score on corpus..."].click()
    assert scored == [(panel.models_to_score(SHIPPED), "/my tunes/book.abc", "all")]
    assert shown == ["oneills1850"]  # the first time: O'Neill's
    panel.buttons["Score on corpus..."].click()
    assert shown == ["oneills1850", "/my tunes/book.abc"]  # then the corpus scored last

    monkeypatch.setattr(ScoreDialog, "exec", lambda dialog: ScoreDialog.Rejected)
    panel.buttons["Score on corpus..."].click()  # Cancel: nothing scored
    assert len(scored) == 2
