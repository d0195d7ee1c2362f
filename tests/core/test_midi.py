"""ABC -> MIDI export read back with mido, header parsing, and MIDI ports on a machine without a MIDI system."""

import os
from pathlib import Path

import mido
import pytest
from music21 import converter

from studio.core.abc.fields import key_accidentals, meter_parts as parse_meter
from studio.core.abc.text import split_tunes
from studio.core.engraving.notation import NotationRenderer
from studio.core.sound.midi import (
    MidiExportError,
    abc_to_midi,
    default_tempo_qpm,
    parse_key,
    parse_tempo_qpm,
    write_midi,
)
from studio.core.sound.midi_ports import MidiPortError, list_output_port_status, list_output_ports, open_output

from support import oneills_first_file

NO_SEQUENCER = not os.path.exists("/dev/snd/seq")


def plain_oneill_tunes(count):
    """O'Neill tunes without grace notes, ties or key changes (where verovio and music21 agree note for note)."""
    path = Path(oneills_first_file())
    tunes = split_tunes(path.read_bytes().decode("latin-1"))
    body = lambda t: t.split("\nK:", 1)[1].split("\n", 1)[1]  # noqa: E731
    plain = [t for t in tunes if not any(mark in body(t) for mark in ("{", "-", "K:", "["))]
    return plain[:count]


def played_pitches(midi):
    return [m.note for m in midi if m.type == "note_on" and m.velocity > 0]


def metas(midi, kind):
    return [m for m in midi.tracks[0] if m.type == kind]


@pytest.fixture(scope="module")
def tunes():
    return plain_oneill_tunes(3)


def test_exported_tune_plays_its_notes_in_order(tmp_path, renderer, tunes):
    for index, tune in enumerate(tunes):
        path = write_midi(tune, tmp_path / f"tune{index}.mid", renderer=renderer)
        back = mido.MidiFile(str(path))
        score = converter.parse(tune, format="abc").expandRepeats()
        expected = [p.midi for n in score.flatten().notes for p in n.pitches]
        assert played_pitches(back) == expected


def test_tempo_meter_key_and_program_come_from_the_headers(renderer):
    tune = "X:1\nT:Test Jig\nM:6/8\nL:1/8\nQ:3/8=100\nK:Ador\n|:A2B c2d|e2f g2a:|\n"
    midi = abc_to_midi(tune, renderer=renderer)
    assert [m.tempo for m in metas(midi, "set_tempo")] == [mido.bpm2tempo(150)]
    assert [(m.numerator, m.denominator) for m in metas(midi, "time_signature")] == [(6, 8)]
    assert [m.key for m in metas(midi, "key_signature")] == ["Em"]
    assert [m.program for m in metas(midi, "program_change")] == [40]
    assert [m.name for m in metas(midi, "track_name")] == ["Test Jig"]
    # verovio plays the repeat: 2 bars twice; a 6/8 bar is 3 quarter notes, at 150 qpm 1.2 s
    assert played_pitches(midi) == [69, 71, 72, 74, 76, 78, 79, 81] * 2
    assert midi.length == pytest.approx(4 * 1.2, abs=0.05)


def test_arguments_override_tempo_program_and_velocity(renderer, tunes):
    midi = abc_to_midi(tunes[0], tempo_bpm=90, program=73, velocity=64, renderer=renderer)
    assert [m.tempo for m in metas(midi, "set_tempo")] == [mido.bpm2tempo(90)]
    assert {m.program for m in metas(midi, "program_change")} == {73}
    assert {m.velocity for m in midi.tracks[0] if m.type == "note_on" and m.velocity} == {64}


def test_music21_takes_over_when_verovio_crashes(renderer):
    tune = "X:1\nM:4/4\nL:1/4\nK:C\nC D E F|G A B c]|\n"
    midi = abc_to_midi(tune, renderer=renderer)
    assert played_pitches(midi) == [60, 62, 64, 65, 67, 69, 71, 72]
    assert [m.tempo for m in metas(midi, "set_tempo")] == [mido.bpm2tempo(120)]


def test_music21_takes_over_a_tune_whose_first_bar_is_overfull(renderer):
    """A model's tune: 7 eighths in a 6/8 first bar, then a stray ']' that crashes verovio; music21 reads it but
    cannot put its first bar in measures for MIDI, so its notes are played as they come."""
    tune = "X:1\nM:6/8\nL:1/8\nK:G\nABcdefg|A2 c]|\n"
    midi = abc_to_midi(tune, renderer=renderer)
    assert played_pitches(midi) == [69, 71, 72, 74, 76, 78, 79, 69, 72]


def test_bad_requests_raise_readable_errors(renderer):
    with pytest.raises(MidiExportError, match="program"):
        abc_to_midi("X:1\nK:C\nCDEF|", program=200, renderer=renderer)
    with pytest.raises(MidiExportError, match="no notes|empty"):
        abc_to_midi("X:1\nT:Nothing\nK:C\n", renderer=renderer)
    with pytest.raises(MidiExportError, match="Could not write"):
        write_midi("X:1\nK:C\nCDEF|", "/nonexistent-dir/x.mid", renderer=renderer)


@pytest.mark.parametrize("value, expected", [
    ("G", "G"), ("Gm", "Gm"), ("Ador", "Em"), ("Dmix", "G"), ("Edor", "Bm"), ("Bb", "Bb"), ("F#m", "F#m"),
    ("Amin", "Am"), ("Ephr", "Am"), ("Flyd", "C"), ("C#", "C#"), ("HP", "C"), ("none", None), ("", None),
    ("G clef=bass", "G"), ("D exp ^f ^c", "D"), ("E Minor", "Em"), ("Bn", "B"),  # were None: the file had no key
])
def test_keys_map_to_mido_names_with_the_same_signature(value, expected):
    assert parse_key(value) == expected
    if expected:  # the MIDI key signature and the notes the tokenizer plays agree
        sharps = sum(key_accidentals(value.split(" exp")[0]).values())
        assert sharps == sum(key_accidentals(expected).values())


def test_meters_and_tempos_parse():
    assert parse_meter("6/8") == (6, 8) and parse_meter("C|") == (2, 2) and parse_meter("C") == (4, 4)
    assert parse_meter("(2+3)/8") == (5, 8) and parse_meter("none") is None
    assert parse_tempo_qpm("1/4=120") == 120 and parse_tempo_qpm("3/8=100") == 150
    assert parse_tempo_qpm('"Allegro" 1/2=60') == 120 and parse_tempo_qpm("nonsense") is None
    assert default_tempo_qpm((6, 8)) == 150 and default_tempo_qpm((4, 4)) == 120


@pytest.mark.skipif(not NO_SEQUENCER, reason="this machine has an ALSA sequencer")
def test_no_midi_system_gives_an_empty_port_list_with_a_reason():
    assert list_output_ports() == []
    status = list_output_port_status()
    assert status.ports == [] and "sequencer" in status.reason
    with pytest.raises(MidiPortError, match="No MIDI system"):
        open_output()
    with pytest.raises(MidiPortError):
        open_output("ABC Studio", virtual=True)


def test_a_rendering_already_made_is_reused(renderer):
    tune = "X:1\nM:6/8\nL:1/8\nK:D\n|:A2B c2d|e2f g2a:|\n"
    rendering = renderer.render(tune)
    with NotationRenderer(timeout_s=1e-6) as unable:  # could not engrave again in time
        reused = abc_to_midi(tune, rendering=rendering, renderer=unable)
        assert unable.child_pid is None
    assert played_pitches(reused) == played_pitches(abc_to_midi(tune, renderer=renderer))
    assert len(played_pitches(reused)) == 16  # verovio's repeat, not music21's single pass
