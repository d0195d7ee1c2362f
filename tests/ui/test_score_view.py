"""The score view draws real verovio engravings of O'Neill tunes: every note is found and can be highlighted."""

from __future__ import annotations

import re

import pytest
from window_helpers import oneill_tunes

from studio.core.engraving.notation import NotationRenderer
from studio.core.engraving.score_cursor import engraved_id
from studio.ui.generate.score_view import ScoreView


@pytest.fixture(scope="module")
def renderer():
    with NotationRenderer() as r:
        yield r


def music21_note_heads(abc: str) -> int:
    from music21 import converter

    score = converter.parse(abc, format="abc")
    return sum(len(n.pitches) for n in score.flatten().notes)


@pytest.mark.parametrize("index", [2, 4, 7])
def test_score_of_a_real_tune_contains_its_notes(qtbot, renderer, index):
    tune = oneill_tunes()[index]
    rendering = renderer.render(tune)
    assert rendering.ok, rendering.error
    view = ScoreView()
    qtbot.addWidget(view)
    view.set_pages(rendering.pages)
    engraved = sorted({engraved_id(i) for i in rendering.note_ids})
    drawn = view.drawn_note_ids(engraved)
    assert len(drawn) == len(engraved) == len(re.findall(r'class="note"', rendering.svg))
    assert len(drawn) == music21_note_heads(tune)


def test_highlight_marks_the_note_and_follows_it(qtbot, renderer):
    tune = max(oneill_tunes()[:10], key=len)
    rendering = renderer.render(tune)
    view = ScoreView()
    qtbot.addWidget(view)
    view.resize(500, 150)
    view.show()
    view.set_pages(rendering.pages)
    view.set_zoom(2.0)
    first = view.highlight(rendering.note_ids[:1])
    assert view.highlighted_count == 1 and first[0].width() > 0
    top = view.verticalScrollBar().value()
    last = view.highlight(rendering.note_ids[-1:])
    assert last[0].y() > first[0].y()
    assert view.verticalScrollBar().value() > top  # the view followed the note down the page
    view.highlight([])
    assert view.highlighted_count == 0


def test_repeated_notes_map_to_the_engraved_note(qtbot, renderer):
    rendering = renderer.render("X:1\nT:Rep\nM:2/4\nL:1/8\nK:G\n|:GABc|d2B2:|\n")
    repeated = [i for i in rendering.note_ids if "-rend" in i]
    assert repeated, "verovio's timemap should expand the repeat"
    view = ScoreView()
    qtbot.addWidget(view)
    view.set_pages(rendering.pages)
    assert view.note_rect(repeated[0]) == view.note_rect(engraved_id(repeated[0]))


def shown_texts(view):
    from PySide6.QtWidgets import QGraphicsSimpleTextItem

    return [item.text() for item in view.scene().items() if isinstance(item, QGraphicsSimpleTextItem)]


def test_nothing_to_draw_shows_a_message(qtbot):
    view = ScoreView()
    qtbot.addWidget(view)
    view.set_pages(["<svg>not really</svg"])
    assert view.page_count == 0
    assert shown_texts(view) == ["The score could not be drawn."]
    view.clear_score("verovio crashed on this ABC")
    assert shown_texts(view) == ["verovio crashed on this ABC"]
    view.clear_score()
    assert shown_texts(view) == []
    assert view.highlight(["nope"]) == []
