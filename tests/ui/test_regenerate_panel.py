"""The journey of issue 24 in the window: click a note in bar 5, shift-click bar 6, Regenerate, audition three
candidates, accept one, undo, redo; Escape restores. The shipped model, real verovio, offscreen."""

import pytest
from PySide6.QtCore import Qt

from studio.core.generation.regenerate import tune_bars
from studio.core.paths import SHIPPED_MODEL
from studio.ui.generate.panel import GeneratePanel
from studio.ui.generate.playback import CLOCK

TUNE = ("X:1\nT:Jig\nM:6/8\nL:1/8\nR:jig\nK:G\n|:GAG GBd|c2A ABc|BAG GBd|c2A A2D|\n"
        "GAG GBd|c2A ABc|BAG FGA|G3 G3:|\n")


@pytest.fixture()
def panel(qtbot):
    if not SHIPPED_MODEL.exists():
        pytest.skip("models/default.pt is not in this checkout")
    widget = GeneratePanel()
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.playback.output_combo.setCurrentIndex(widget.playback.output_combo.findData(CLOCK))
    widget.add_model(str(SHIPPED_MODEL), "shipped")
    widget.sampling_form.model_picker.combo.setCurrentIndex(widget.sampling_form.model_picker.combo.findData(str(SHIPPED_MODEL)))
    widget.show()
    yield widget
    widget.regenerate_panel.shutdown()
    widget.shutdown()


def click_note(qtbot, panel, note_id, shift=False):
    rect = panel.score.note_rect(note_id)
    panel.score.ensureVisible(rect, 40, 40)
    point = panel.score.mapFromScene(rect.center())
    qtbot.mouseClick(panel.score.viewport(), Qt.LeftButton, Qt.ShiftModifier if shift else Qt.NoModifier, point)


def shown(panel, text):
    return panel.preview is not None and panel.preview.text == text and panel.regenerate_panel.map is not None


def open_tune(qtbot, panel) -> str:
    """Adds the jig to the list and waits until it is engraved and clickable; returns its text."""
    panel.add_tune(TUNE)
    qtbot.waitUntil(lambda: shown(panel, panel.tune_editor.editor.toPlainText()) and "GAG" in panel.tune_editor.editor.toPlainText(),
                    timeout=30000)
    return panel.tune_editor.editor.toPlainText()


def test_click_regenerate_audition_accept_undo_redo_and_escape(qtbot, panel):
    composer, text = panel.regenerate_panel, open_tune(qtbot, panel)
    bars = {b.number: b for b in tune_bars(text)}
    in_five = composer.map.ids_in(bars[5].start, bars[5].end)
    click_note(qtbot, panel, in_five[1])
    start, end = composer.map.range_of(in_five[1])
    assert panel.tune_editor.editor.textCursor().selectedText() == text[start:end] == "A"
    qtbot.waitUntil(lambda: panel.inspector.chart.inspection is not None, timeout=30000)  # the model's distribution
    click_note(qtbot, panel, composer.map.ids_in(bars[6].start, bars[6].end)[0], shift=True)
    assert panel.tune_editor.editor.textCursor().selectedText() == text[bars[5].start:bars[6].end] == "GAG GBd|c2A ABc"
    assert "bars 5-6" in composer.info.text()

    with qtbot.waitSignal(composer.candidates_ready, timeout=180000):
        qtbot.keyClick(panel.tune_editor.editor, Qt.Key_R, Qt.ControlModifier)
    candidates = composer.result.candidates
    assert composer.list.count() == len(candidates) >= 3
    assert [c.after for c in candidates] == sorted((c.after for c in candidates), reverse=True)  # by what follows
    assert (f"{candidates[0].score:+.1f} nats: leads into the next bars" in composer.list.item(0).text()
            and candidates[0].score == pytest.approx(candidates[0].after - composer.result.original.after))
    for row in range(3):  # audition: each is engraved in place with its bars marked, and plays
        composer.list.setCurrentRow(row)
        qtbot.waitUntil(lambda: shown(panel, candidates[row].text) and bool(composer.changed_marks),
                        timeout=30000)
        qtbot.waitUntil(lambda: panel.playback.player.is_playing, timeout=10000)
        bar_four = panel.playback.cursor.start_of(composer.map.ids_in(bars[4].start, bars[4].end)[0])
        assert bar_four > 0 and panel.playback.player.position_ms >= bar_four - 50  # from one bar before
    assert len(composer.changed_marks) == len(composer.map.ids_in(bars[5].start, bars[5].start + len(candidates[2].bars)))
    assert panel.tune_editor.editor.toPlainText() == text  # auditioning leaves the text alone
    composer.accept_button.click()
    assert panel.tune_editor.editor.toPlainText() == candidates[2].text
    panel.tune_editor.editor.undo()
    assert panel.tune_editor.editor.toPlainText() == text  # one undo step
    panel.tune_editor.editor.redo()
    assert panel.tune_editor.editor.toPlainText() == candidates[2].text

    bars = {b.number: b for b in tune_bars(panel.tune_editor.editor.toPlainText())}
    panel.stop()
    qtbot.waitUntil(lambda: shown(panel, panel.tune_editor.editor.toPlainText()), timeout=30000)
    cursor = panel.tune_editor.editor.textCursor()
    cursor.setPosition(bars[7].start)
    cursor.setPosition(bars[7].end, cursor.MoveMode.KeepAnchor)
    panel.tune_editor.editor.setTextCursor(cursor)  # selected text shows its notes in the score
    assert panel.score.highlighted_count == len(composer.map.ids_in(bars[7].start, bars[7].end)) > 0
    with qtbot.waitSignal(composer.candidates_ready, timeout=180000):
        composer.regenerate_button.click()
    composer.list.setCurrentRow(0)
    qtbot.waitUntil(lambda: shown(panel, composer.result.candidates[0].text), timeout=30000)
    qtbot.keyClick(panel.tune_editor.editor, Qt.Key_Escape)
    qtbot.waitUntil(lambda: shown(panel, candidates[2].text), timeout=30000)
    assert composer.list.count() == 0 and panel.tune_editor.editor.toPlainText() == candidates[2].text


def test_a_new_strain_is_offered_auditioned_in_place_and_accepted_as_one_undo_step(qtbot, panel):
    composer, text = panel.regenerate_panel, open_tune(qtbot, panel)
    with qtbot.waitSignal(composer.candidates_ready, timeout=180000):
        composer.new_strain_button.click()
    result = composer.result
    assert result.selection.label() == "a new strain (bars 9-16)" and "a new strain" in composer.info.text()
    assert composer.list.count() == len(result.candidates) >= 3 and "no bars follow" in composer.list.item(0).text()
    composer.list.setCurrentRow(1)
    qtbot.waitUntil(lambda: shown(panel, result.candidates[1].text) and bool(composer.changed_marks), timeout=30000)
    new_bars = [b for b in tune_bars(result.candidates[1].text) if b.number > 8]
    assert len(composer.changed_marks) == len(composer.map.ids_in(new_bars[0].start, new_bars[-1].end))
    assert panel.tune_editor.editor.toPlainText() == text
    composer.accept_button.click()
    assert panel.tune_editor.editor.toPlainText() == result.candidates[1].text
    panel.tune_editor.editor.undo()
    assert panel.tune_editor.editor.toPlainText() == text
