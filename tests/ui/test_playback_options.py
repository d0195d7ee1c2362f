"""The Generate tab's playback options reach the player and the files (real verovio, real arrangement, mido)."""

from __future__ import annotations

import mido
import pytest
from window_helpers import show_tune

from studio.core.abc.text import read_headers

# two strains, each repeated, no chord symbols (as the model writes them)
TUNE = """X:1
T:Two Strains
R:reel
M:4/4
L:1/8
K:D
|:DFAF dFAF|GBdB AFED|DFAF dfaf|gefd edBA:|
|:dfaf gfed|cdec BAGF|dfaf gfed|cABc d4:|
"""


def track_names(midi: mido.MidiFile) -> list[str]:
    return [track.name for track in midi.tracks]


def test_chords_count_in_and_metronome_reach_the_player(qtbot, panel):
    preview = show_tune(qtbot, panel, TUNE)
    assert preview.arranged and preview.engraved
    assert track_names(panel.playback.loaded_midi) == ["Melody"]
    controls = panel.playback.arrangement
    controls.accompaniment_combo.setCurrentIndex(controls.accompaniment_combo.findData("auto"))
    controls.count_in_combo.setCurrentIndex(controls.count_in_combo.findData(1))
    controls.metronome_check.setChecked(True)
    midi = panel.playback.loaded_midi
    assert track_names(midi) == ["Melody", "Chords", "Bass", "Clicks"]
    assert panel.playback.player.duration_ms == pytest.approx(midi.length * 1000, abs=1)
    notes = [(m, t) for t, m in _timed(midi) if m.type == "note_on" and m.velocity > 0]
    first_melody = min(t for m, t in notes if m.channel == 0)
    clicks_before = [m for m, t in notes if m.channel == 9 and t < first_melody]
    assert len(clicks_before) == 4  # one bar of 4/4 counted in
    # the export of the window carries the same options (no loop passage)
    assert panel.export_job().options.accompaniment == "auto"


def test_transposition_reaches_the_player(qtbot, panel):
    show_tune(qtbot, panel, TUNE)
    before = _melody_pitches(panel.playback.loaded_midi)
    panel.playback.arrangement.transpose_spin.setValue(2)
    assert _melody_pitches(panel.playback.loaded_midi) == [p + 2 for p in before]


def test_transpose_text_and_write_chords_are_undoable_edits(qtbot, panel):
    show_tune(qtbot, panel, TUNE)
    controls = panel.playback.arrangement
    controls.transpose_spin.setValue(2)
    with qtbot.waitSignal(panel.preview_ready, timeout=30000) as blocker:
        controls.transpose_text_button.click()
    assert read_headers(panel.tune_editor.editor.toPlainText())["K"] == "E"
    assert controls.transpose_spin.value() == 0  # the text now sounds where the setting did
    assert blocker.args[0].text == panel.tune_editor.editor.toPlainText()  # the score shows the edit
    panel.tune_editor.editor.undo()
    assert panel.tune_editor.editor.toPlainText() == TUNE
    with qtbot.waitSignal(panel.preview_ready, timeout=30000):
        controls.write_chords_button.click()
    written = panel.tune_editor.editor.toPlainText()
    assert written.count('"') >= 16 and written != TUNE
    assert controls.accompaniment_combo.currentData() == "symbols"
    assert "Chords" in track_names(panel.playback.loaded_midi)
    panel.tune_editor.editor.undo()
    assert panel.tune_editor.editor.toPlainText() == TUNE


def test_looping_a_strain_plays_it_again(qtbot, panel):
    show_tune(qtbot, panel, TUNE)
    whole = panel.playback.player.duration_ms
    controls = panel.playback.arrangement
    assert controls.passage_combo.count() == 4  # whole tune, strain A, strain B, bars...
    controls.choose_strain(1)
    panel.playback.loop_check.setChecked(True)
    assert panel.playback.loaded_options.passage == (4, 7)
    assert panel.playback.player.duration_ms == pytest.approx(whole / 4, rel=0.01)  # strain B once: the loop repeats it
    positions: list[float] = []
    panel.playback.player.position_changed.connect(positions.append)
    panel.playback.tempo_spin.setValue(400)
    panel.play()
    # the position runs up past the middle, then comes back to the start: the passage plays again
    half = panel.playback.player.duration_ms / 2
    qtbot.waitUntil(lambda: any(a > half and b < a / 2 for a, b in zip(positions, positions[1:])), timeout=30000)
    assert panel.playback.player.is_playing
    panel.stop()


def _timed(midi: mido.MidiFile):
    now = 0.0
    for message in midi:
        now += message.time
        yield now, message


def _melody_pitches(midi: mido.MidiFile) -> list[int]:
    return [m.note for _t, m in _timed(midi) if m.type == "note_on" and m.velocity > 0 and m.channel == 0]
