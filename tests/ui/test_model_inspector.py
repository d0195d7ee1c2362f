"""What the model sees, in the Generate tab: a click shows the distribution, the dial redraws it without the model,
surprise colours a typed tune, and the same seed is compared at three temperatures. Real tiny model, real tunes."""

from __future__ import annotations

import numpy as np
import pytest
from window_helpers import oneill_tunes
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from studio.core.network.inspection import inspect_text
from studio.ui.generate.panel import GeneratePanel
from studio.ui.generate.playback import CLOCK
from studio.ui.generate.sampling_worker import load_sampler
from studio.ui.generate.surprise_view import SURPRISE_BANDS, band_of


@pytest.fixture()
def panel(qtbot, tiny_checkpoint):
    widget = GeneratePanel()
    qtbot.addWidget(widget)
    widget.resize(1300, 850)
    widget.playback.output_combo.setCurrentIndex(widget.playback.output_combo.findData(CLOCK))
    widget.add_model(tiny_checkpoint, "tiny test model")
    widget.sampling_form.model_picker.combo.setCurrentIndex(widget.sampling_form.model_picker.combo.findData(tiny_checkpoint))
    widget.show()
    yield widget
    widget.shutdown()


@pytest.fixture()
def model_calls(tiny_checkpoint):
    """Counts the calls of the real model's forward (the model stays the real one)."""
    model = load_sampler(tiny_checkpoint).model
    calls = []
    original = model.forward

    def forward(*args, **kwargs):
        calls.append(args[0].shape)
        return original(*args, **kwargs)

    model.forward = forward
    yield calls
    model.forward = original


def click_character(qtbot, editor, offset: int) -> None:
    cursor = editor.textCursor()
    cursor.setPosition(offset)
    rect = editor.cursorRect(cursor)
    qtbot.mouseClick(editor.viewport(), Qt.LeftButton, pos=rect.center())  # the caret's place: before the character


def test_clicking_a_character_shows_its_distribution_with_the_written_character_marked(qtbot, panel, tiny_checkpoint):
    text = oneill_tunes()[5]
    panel.add_tune(text)
    offset = text.index("|") + 2  # the second character of the second bar
    click_character(qtbot, panel.tune_editor.editor, offset)
    assert panel.tune_editor.editor.textCursor().position() == offset
    chart = panel.inspector.chart
    qtbot.waitUntil(lambda: chart.inspection is not None and chart.offset == offset, timeout=20000)
    sampler = load_sampler(tiny_checkpoint)
    expected = inspect_text(sampler.model, sampler.vocabulary, text).distribution_at(offset, 1.0, top=12)
    assert chart.characters[: len(expected.top)] == [c.char for c in expected.top]
    assert chart.characters[chart.written_index] == text[offset]
    assert chart.at_one[chart.written_index] == pytest.approx(expected.written_probability, abs=1e-5)
    ticks = panel.inspector.chart.plot_widget.getPlotItem().getAxis("left")._tickLevels[0]
    assert [label for _, label in ticks if "(written)" in label] == [ticks[chart.written_index][1]]
    assert "written" in chart.caption.text() and "entropy" in chart.caption.text()
    assert f"T = {panel.temperature:g}" in chart.caption.text()


def test_moving_the_dial_redraws_the_chart_without_a_model_call(qtbot, panel, model_calls):
    text = oneill_tunes()[8]
    panel.add_tune(text)
    click_character(qtbot, panel.tune_editor.editor, 60)
    chart = panel.inspector.chart
    qtbot.waitUntil(lambda: chart.inspection is not None and chart.offset == 60, timeout=20000)
    assert len(model_calls) == 1  # one pass over the whole text
    panel.set_temperature(0.2)
    cold, cold_entropy_text = chart.at_dial.copy(), chart.caption.text()
    redraws = chart.redraws
    for value in (40, 80, 120, 160, 200):
        panel.sampling_form.temperature_dial.setValue(value)
    assert chart.redraws == redraws + 5 and chart.temperature == pytest.approx(2.0)
    assert not np.allclose(cold, chart.at_dial)
    assert chart.at_dial.max() < cold.max()  # flatter at 2.0 than at 0.2
    assert chart.caption.text() != cold_entropy_text and "T = 2" in chart.caption.text()
    at_two = chart.inspection.distribution_at(60, 2.0).probabilities
    np.testing.assert_allclose(chart.at_dial, [at_two[chart.inspection.vocabulary.chars.index(ch)]
                                               for ch in chart.characters], atol=1e-6)
    assert len(model_calls) == 1  # the dial never called the model
    click_character(qtbot, panel.tune_editor.editor, 75)
    qtbot.waitUntil(lambda: chart.offset == 75, timeout=5000)
    assert len(model_calls) == 1  # another point of the same text: the same pass


def test_surprise_colours_a_typed_tune(qtbot, panel, tiny_checkpoint):
    typed = oneill_tunes()[12]
    panel.tunes.new_tune()
    panel.tune_editor.editor.selectAll()
    for i, line in enumerate(typed.split("\n")):
        if i:
            qtbot.keyClick(panel.tune_editor.editor, Qt.Key_Return)
        qtbot.keyClicks(panel.tune_editor.editor, line)
    assert panel.tune_editor.editor.toPlainText() == typed
    inspector = panel.inspector
    inspector.surprise.toggle.setChecked(True)
    qtbot.waitUntil(lambda: inspector.highlighter.active, timeout=20000)
    sampler = load_sampler(tiny_checkpoint)
    seen = inspect_text(sampler.model, sampler.vocabulary, typed)
    worst = seen.most_surprising(1)[0]
    block = panel.tune_editor.editor.document().findBlockByNumber(worst.line - 1)
    colours = {}
    for span in block.layout().formats():
        for i in range(span.start, span.start + span.length):
            colours[i] = span.format.background().color()
    expected = QColor(SURPRISE_BANDS[band_of(worst.bits)][1])
    assert colours[worst.column - 1] == expected
    coloured = sum(len(b.layout().formats()) for b in _blocks(panel.tune_editor.editor.document()))
    assert coloured > 20
    assert f"mean {seen.mean_bits:.2f} bits per character" in inspector.surprise.mean_label.text()
    assert inspector.surprise.places.count() == 8
    inspector.surprise.places.itemClicked.emit(inspector.surprise.places.item(0))
    assert panel.tune_editor.editor.textCursor().position() == worst.offset
    qtbot.keyClicks(panel.tune_editor.editor, "a")  # an edit clears the colouring until the new text is read
    assert not inspector.highlighter.active
    qtbot.waitUntil(lambda: inspector.highlighter.active, timeout=20000)
    inspector.surprise.toggle.setChecked(False)
    assert not inspector.highlighter.active and not any(b.layout().formats() for b in _blocks(panel.tune_editor.editor.document()))


def test_same_seed_at_three_temperatures_side_by_side(qtbot, panel):
    panel.sampling_form.random_seed.setChecked(False)
    panel.sampling_form.seed_spin.setValue(5)
    panel.sampling_form.length_spin.setValue(300)
    panel.inspector.compare_button.click()
    dialog = panel.inspector._dialog
    with qtbot.waitSignal(dialog.succeeded, timeout=60000):
        pass
    assert [t.temperature for t in dialog.tunes] == [0.5, 1.0, 1.5]
    assert all(text.toPlainText().startswith("X:") for text in dialog.texts)
    assert all("bars add up" in label.text() or "no bars" in label.text() for label in dialog.metrics)
    assert dialog.seed == 5 and "Same seed (5)" in dialog.windowTitle()
    dialog.close()


def _blocks(document):
    block = document.begin()
    while block.isValid():
        yield block
        block = block.next()


def test_after_switching_tunes_edits_still_reengrave_and_the_surprise_follows_the_shown_tune(panel, qtbot):
    """Each tune has its own document (its own undo): switching must move the editor's and the inspector's
    listeners to the shown document, or edits to the second tune would never be engraved or inspected."""
    first = panel.add_tune("X:1\nT:First\nM:6/8\nL:1/8\nK:D\nDFA dAF|GBd gdB|\n")
    panel.add_tune("X:2\nT:Second\nM:6/8\nL:1/8\nK:G\nGBd gdB|ABc edc|\n")
    panel.tunes.list.setCurrentRow(first)
    qtbot.waitUntil(lambda: "First" in panel.tune_editor.editor.toPlainText(), timeout=5000)
    assert panel.inspector.highlighter.document() is panel.tune_editor.editor.document()
    settled = []
    panel.tune_editor.editor.text_settled.connect(settled.append)
    panel.tune_editor.editor.moveCursor(panel.tune_editor.editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(panel.tune_editor.editor, "A")
    qtbot.waitUntil(lambda: bool(settled), timeout=5000)
    assert settled[-1].rstrip().endswith("A")
