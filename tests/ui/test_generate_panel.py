"""The Generate panel with real parts: a really trained tiny checkpoint, real verovio, real FluidSynth, real files."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import mido
import numpy as np
import pytest
from window_helpers import oneill_tunes, show_tune
from PySide6.QtCore import Qt

from studio.core.generation.primer import build_primer
from studio.core.sound.synth import find_soundfont
from studio.ui.generate.playback import CLOCK, SYNTH, VIRTUAL_PORT

HOSTILE_SNIPPETS = [
    "X:1\nT:stray\nM:4/4\nL:1/8\nK:D\nabc]|def|]] |[abc]]|\n",
    "X:1\nM:4/4\nL:1/8\nK:D\n[abc|de[f|[[[g\n",
    "X:1\nM:4/4\nK:G\n\"unclosed chord symbol abc|def|\n",
    "X:1\nM:6/8\nK:A\n((((abc)))))|{gfe|d}}}|(3(3(3abc|\n",
    "X:1\nM:4/4\nL:1/8\nK:D\na99999999 b/////////// c0 d1/0|\n",
    "X:1\nK:C\n" + "\x00\x01\x7f\ufffd\u202e!@#$%^&*_+=~`" * 20 + "\n",
    "X:1\nM:999/7\nL:0/0\nK:Xyz\nabc|\n",
    "X:1\nM:4/4\nL:1/8\nK:D\n" + "abcd efga|" * 2500 + "\n",
    "]]]]",
    "",
]


def test_temperature_dial_sets_the_sampling_temperature(panel):
    panel.sampling_form.temperature_dial.setValue(135)
    assert panel.sampling_form.temperature_label.text() == "1.35"
    assert panel.sampling_config().temperature == pytest.approx(1.35)
    for turned_to, temperature in ((-1_000, 0.1), (1_000_000, 2.0)):  # the dial's ends: never 0 (T divides)
        panel.sampling_form.temperature_dial.setValue(turned_to)
        assert panel.sampling_config().temperature == pytest.approx(temperature)
        assert panel.sampling_config().problems() == {}
    panel.sampling_form.temperature_dial.setValue(135)
    assert "Temperature" in panel.sampling_form.temperature_dial.toolTip()
    panel.sampling_form.random_seed.setChecked(False)
    panel.sampling_form.seed_spin.setValue(7)
    panel.sampling_form.meter_combo.setCurrentText("6/8")
    panel.sampling_form.key_combo.setCurrentText("D")
    config = panel.sampling_config()
    assert config.seed == 7 and config.primer == "X:1\nM:6/8\nL:1/8\nK:D\n"
    assert build_primer("any", "any", "T:x\\n") == "X:1\nT:x\n"


def test_a_trained_checkpoint_fills_the_tune_list(qtbot, panel, tiny_checkpoint):
    panel.add_model(tiny_checkpoint, "tiny test model")
    assert panel.sampling_form.model_picker.current_path() == tiny_checkpoint
    panel.sampling_form.random_seed.setChecked(False)
    panel.sampling_form.seed_spin.setValue(11)
    panel.sampling_form.count_spin.setValue(3)
    panel.sampling_form.length_spin.setValue(300)
    chunks = []
    with qtbot.waitSignal(panel.tunes_generated, timeout=120000):
        assert panel.generate()
        panel._worker.progressed.connect(lambda index, chunk: chunks.append((index, chunk)))
        assert panel.tunes.list.count() == 3
    qtbot.waitUntil(lambda: not panel.is_generating, timeout=30000)
    assert chunks, "characters should stream while the model writes"
    assert [e.seed for e in panel.entries] == [11, 12, 13]
    for row, entry in enumerate(panel.entries):
        assert entry.text.startswith("X:") and entry.temperature == pytest.approx(0.8)
        assert entry.model == tiny_checkpoint and entry.primer == "X:1\n"
        assert "seed" in panel.tunes.list.item(row).text()
    assert panel.tune_editor.editor.toPlainText() == panel.entries[panel.tunes.list.currentRow()].text
    assert "temperature=0.8 seed=12" in panel.tune_book()


def test_play_with_nothing_generated_generates_first(qtbot, panel, tiny_checkpoint):
    panel.add_model(tiny_checkpoint, "tiny test model")
    panel.sampling_form.length_spin.setValue(200)
    with qtbot.waitSignal(panel.preview_ready, timeout=120000):
        panel.play()
    assert len(panel.entries) == 1 and not panel.entries[0].generating


def test_play_without_a_model_explains(panel):
    panel.sampling_form.model_picker.combo.clear()
    panel.play()
    assert panel.banner.isVisibleTo(panel) and "no model" in panel.banner.text().lower()


def test_clock_only_playback_moves_the_highlight(qtbot, panel):
    preview = show_tune(qtbot, panel, oneill_tunes()[3])
    assert preview.engraved and preview.midi is not None
    assert panel.score.page_count == 1
    seen = set()
    panel.playback.player.position_changed.connect(lambda _ms: seen.add(tuple(panel._highlighted)))
    panel.playback.tempo_spin.setValue(400)  # faster than written, so the test sees many notes quickly
    panel.play()
    assert panel.playback.player.is_playing and panel.playback.play_button.text().endswith("Pause")
    qtbot.waitUntil(lambda: len(seen - {()}) >= 3, timeout=10000)
    assert panel.score.highlighted_count >= 1
    panel.toggle_play()
    assert not panel.playback.player.is_playing
    panel.stop()
    assert panel.score.highlighted_count == 0


def test_space_toggles_play(qtbot, panel):
    show_tune(qtbot, panel, oneill_tunes()[0])
    panel.show()
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow, timeout=5000)
    panel.tunes.list.setFocus()
    qtbot.keyClick(panel.tunes.list, Qt.Key_Space)
    assert panel.playback.player.is_playing
    qtbot.keyClick(panel.tunes.list, Qt.Key_Space)
    assert not panel.playback.player.is_playing


def test_no_sound_card_is_explained_and_the_cursor_still_moves(qtbot, panel):
    show_tune(qtbot, panel, oneill_tunes()[1])
    panel.playback.output_combo.setCurrentIndex(panel.playback.output_combo.findData(SYNTH))
    problem = panel.playback.apply_output()
    if Path("/dev/snd").exists() and not problem:
        pytest.skip("this machine has a working sound output")
    assert problem and panel.banner.isVisibleTo(panel)
    assert "sound card" in panel.banner.text() and "WAV" in panel.banner.text()
    positions = []
    panel.playback.player.position_changed.connect(positions.append)
    panel.play()
    qtbot.waitUntil(lambda: len(positions) > 2 and positions[-1] > 0, timeout=10000)
    panel.stop()


def test_midi_out_reports_missing_ports_without_raising(panel):
    if Path("/dev/snd/seq").exists():
        pytest.skip("this machine has an ALSA sequencer (/dev/snd/seq): the missing-port path cannot be reached")
    panel.playback.refresh_ports()
    assert panel.playback.output_combo.findData(SYNTH) >= 0 and panel.playback.output_combo.findData(CLOCK) >= 0
    assert "No MIDI system" in panel.playback.port_status and "/dev/snd/seq" in panel.playback.port_status
    assert panel.playback.output_combo.findData(VIRTUAL_PORT) < 0  # no virtual port offered without a MIDI system
    problem = panel.playback.player.set_output(VIRTUAL_PORT)
    assert problem.startswith("MIDI out:") and len(problem) > len("MIDI out: ") + 20
    assert panel.playback.player.output == VIRTUAL_PORT and panel.playback.player.output_problem == problem
    assert panel.playback.player.set_output(CLOCK) == ""


def test_exported_midi_has_the_notes_tempo_and_meter(qtbot, panel, tmp_path):
    from music21 import converter

    tune = oneill_tunes()[4]
    show_tune(qtbot, panel, tune)
    panel.playback.tempo_spin.setValue(96)
    job = panel.export_job()
    assert job.default_name("midi").endswith(".mid")
    path = tmp_path / job.default_name("midi")
    assert panel.export_to(job, "midi", path)
    midi = mido.MidiFile(str(path))
    messages = list(mido.merge_tracks(midi.tracks))
    pitches = {m.note for m in messages if m.type == "note_on" and m.velocity > 0}
    expected = {p.midi for n in converter.parse(tune, format="abc").flatten().notes for p in n.pitches}
    assert pitches == expected
    assert [m.tempo for m in messages if m.type == "set_tempo"] == [mido.bpm2tempo(96)]
    meter = tuple(int(x) for x in re.search(r"^M:(\d+)/(\d+)", tune, re.M).groups())
    assert [(m.numerator, m.denominator) for m in messages if m.type == "time_signature"] == [meter]
    assert [m.program for m in messages if m.type == "program_change"] == [40]


@pytest.mark.skipif(find_soundfont() is None, reason="no SoundFont installed")
def test_exported_wav_is_not_silent_and_lasts_as_long_as_the_tune(qtbot, panel, tmp_path):
    tune = oneill_tunes()[2]
    preview = show_tune(qtbot, panel, tune)
    job = panel.export_job()
    path = tmp_path / "tune.wav"
    assert panel.export_to(job, "wav", path)
    with wave.open(str(path)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    music = preview.midi.length * preview.tempo_qpm / job.tempo_bpm
    assert music > 5
    assert seconds == pytest.approx(music + 1.5, abs=0.1)
    assert np.sqrt(np.mean(samples.astype(np.float64) ** 2)) > 300


def test_abc_export_of_one_tune_and_the_tune_book(qtbot, panel, tmp_path):
    show_tune(qtbot, panel, oneill_tunes()[0])
    show_tune(qtbot, panel, oneill_tunes()[1])
    panel.entries[1].temperature, panel.entries[1].seed = 0.7, 5
    job = panel.export_job()
    assert job.default_name("abc").endswith("-t0.7-seed5.abc")
    assert panel.export_to(job, "abc", tmp_path / "one.abc")
    assert panel.export_to(job, "book", tmp_path / "all.abc")
    one = (tmp_path / "one.abc").read_text()
    book = (tmp_path / "all.abc").read_text()
    assert one.strip() == oneill_tunes()[1].strip()
    assert book.count("\nX:") + book.startswith("X:") == 2 and "temperature=0.7 seed=5" in book


def test_a_failed_export_is_reported_not_raised(qtbot, panel, tmp_path):
    show_tune(qtbot, panel, oneill_tunes()[0])
    job = panel.export_job()
    assert not panel.export_to(job, "midi", tmp_path / "missing-folder" / "x.mid")
    assert "Export failed" in panel.banner.text()


def test_problems_are_marked_in_the_editor(qtbot, panel):
    preview = show_tune(qtbot, panel, "X:1\nT:Broken\nM:4/4\nL:1/8\nK:D\nabcd efga|abc|defg abcd|[ab|\n")
    kinds = {p.kind for p in preview.report.problems}
    assert "bar_duration" in kinds and kinds & {"unclosed_chord", "stray_bracket"}
    assert len(panel.tune_editor.editor.extraSelections()) == len(preview.report.problems)
    assert panel.tune_editor.problems.count() == len(preview.report.problems) + 1
    first = preview.report.problems[0]
    panel.tune_editor.problems.problem_activated.emit(first.line, first.column)
    assert panel.tune_editor.editor.textCursor().blockNumber() == first.line - 1


def test_repair_makes_broken_abc_structurally_valid(qtbot, panel):
    preview = show_tune(qtbot, panel, "X:1\nT:Broken\nM:4/4\nL:1/8\nK:D\nabc]d efga|[ab|\"cd e|\n")
    assert not preview.report.structurally_valid and panel.tune_editor.repair_button.isEnabled()
    with qtbot.waitSignal(panel.preview_ready, timeout=30000) as blocker:
        panel.tune_editor.repair_button.click()
    assert blocker.args[0].report.structurally_valid and blocker.args[0].engraved
    assert not panel.tune_editor.repair_button.isEnabled()


def test_a_huge_paste_is_repaired_off_the_gui_thread(qtbot, panel):
    broken = "X:1\nT:Huge\nM:4/4\nL:1/8\nK:D\n" + "abc]d efga|[ab|" * 1000
    panel.tune_editor.editor.setPlainText(broken)
    panel.repair_current()
    assert panel.tune_editor.editor.toPlainText() == broken  # not yet: the repair runs in the background
    qtbot.waitUntil(lambda: panel.tune_editor.editor.toPlainText() != broken, timeout=60000)
    assert "]d" not in panel.tune_editor.editor.toPlainText()


def test_edits_re_render_after_a_pause(qtbot, panel):
    show_tune(qtbot, panel, oneill_tunes()[0])
    with qtbot.waitSignal(panel.preview_ready, timeout=30000) as blocker:
        panel.tune_editor.editor.setPlainText("X:1\nT:Edited\nM:3/4\nL:1/8\nK:G\nGAB cde|d6|]\n")
    assert blocker.args[0].engraved
    assert panel.entries[0].text.startswith("X:1\nT:Edited")


@pytest.mark.parametrize("snippet", HOSTILE_SNIPPETS, ids=range(len(HOSTILE_SNIPPETS)))
def test_hostile_abc_passes_edit_render_play_export(qtbot, panel, tmp_path, snippet):
    show_tune(qtbot, panel, "X:1\nK:C\nC|\n")
    with qtbot.waitSignal(panel.preview_ready, timeout=60000, check_params_cb=lambda p: p.text == snippet) as blocker:
        panel.tune_editor.editor.setPlainText(snippet)
    preview = blocker.args[0]
    assert preview.text == snippet
    assert preview.engraved or len(preview.rendering.error) > 20  # either a score or a sentence saying why not
    panel.play()
    assert panel.playback.player.is_playing == (preview.midi is not None)  # something to play plays; nothing does not
    panel.stop()
    assert not panel.playback.player.is_playing and panel.playback.player.position_ms == 0
    job = panel.export_job()
    if not snippet.strip():
        assert job is None  # nothing to export, and the export action says so instead of writing an empty file
    else:
        exported = {kind: panel.export_to(job, kind, tmp_path / f"out.{kind}") for kind in ("midi", "abc", "wav")}
        assert exported["abc"] and snippet.strip()[-40:] in (tmp_path / "out.abc").read_text(encoding="utf-8")
        for kind in ("midi", "wav"):
            assert exported[kind] == (tmp_path / f"out.{kind}").exists() == (preview.midi is not None), kind
    # the process is still alive, and the next real tune still engraves
    assert show_tune(qtbot, panel, oneill_tunes()[0]).engraved


def test_model_picker_lists_the_runs_checkpoints(qtbot, monkeypatch, tiny_checkpoint):
    from studio.core.runs import RunStore
    from studio.ui.generate.model_picker import ModelPicker

    run_folder = Path(tiny_checkpoint).parents[1]
    monkeypatch.setenv("ABC_STUDIO_HOME", str(run_folder.parents[1]))
    picker = ModelPicker()
    qtbot.addWidget(picker)
    assert tiny_checkpoint in picker.paths()
    name = RunStore(run_folder.parent).open(run_folder.name).name
    assert any(f"Run {name}" in picker.combo.itemText(i) for i in range(picker.combo.count()))


def test_a_tune_verovio_cannot_engrave_still_plays():
    """verovio crashes on a stray ']' (``d2]|``): the preview then has no score but still has MIDI, read by
    music21, with every note."""
    from studio.ui.generate.tune_preview import prepare_tune

    preview = prepare_tune("X:1\nT:t\nM:6/8\nL:1/8\nK:D\ndef gfe|d2]|GAB cBA|G3:|\n")
    assert not preview.engraved and "crashed" in preview.rendering.error
    assert preview.midi is not None, preview.midi_error
    notes = [m for m in preview.midi.tracks[0] if m.type == "note_on" and m.velocity]
    assert len(notes) >= 11  # 11 written, and music21 may play the repeat