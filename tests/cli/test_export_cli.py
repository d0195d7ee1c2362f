"""``python -m studio export`` with the playback flags (in-process, and once as a real process); files read back with
mido and wave."""

from __future__ import annotations

import wave

import mido
import numpy as np
import pytest

from studio.core.sound.synth import find_soundfont
from support import run_studio

TUNE = """X:1
T:Flagged Hornpipe
R:hornpipe
M:4/4
L:1/8
K:G
|:"G"GABc dedB|"C"cBAG "D"FGAB|"G"GABc dedB|"C"cBAG "D7"FGAF:|
"""

TUNES = """X:1
T:The Kesh
M:6/8
L:1/8
K:G
|:GAG GAB|ABA ABd|edd gdd|edB dBA:|

X:2
T:Port na bPúcaí
M:3/4
L:1/8
K:D
D2 FA d2|c2 A4|B2 AF E2|D6|]
"""

needs_soundfont = pytest.mark.skipif(find_soundfont() is None, reason="no SoundFont installed")


@pytest.fixture
def export(cli, tmp_path):
    """``export(*flags)``: the hornpipe exported to MIDI with ``flags``, read back."""
    source = tmp_path / "tune.abc"
    source.write_text(TUNE, encoding="utf-8")

    def run(*flags) -> mido.MidiFile:
        out = tmp_path / f"out{len(list(tmp_path.glob('out*.mid')))}.mid"
        done = cli("export", source, "--midi", out, *flags)
        assert done.returncode == 0, done.stderr
        return mido.MidiFile(str(out))

    return run


def notes(midi: mido.MidiFile, channel: int) -> list[tuple[float, int]]:
    now, found = 0.0, []
    for message in midi:
        now += message.time
        if message.type == "note_on" and message.velocity > 0 and message.channel == channel:
            found.append((now, message.note))
    return found


def test_the_flags_produce_the_tracks(export):
    plain = export()
    assert [t.name for t in plain.tracks] == ["Melody"]
    arranged = export("--accompaniment", "symbols", "--transpose", "2", "--count-in", "1", "--swing", "66",
                      "--tempo", "120")
    assert [t.name for t in arranged.tracks] == ["Melody", "Chords", "Bass", "Clicks"]
    programs = {m.channel: m.program for m in mido.merge_tracks(arranged.tracks) if m.type == "program_change"}
    assert programs[0] == 40 and programs[1] == 24 and programs[2] == 32
    assert [m.tempo for m in mido.merge_tracks(arranged.tracks) if m.type == "set_tempo"] == [mido.bpm2tempo(120)]
    assert [m.key for m in mido.merge_tracks(arranged.tracks) if m.type == "key_signature"] == ["A"]
    melody = notes(arranged, 0)
    assert [p for _t, p in melody] == [p + 2 for _t, p in notes(plain, 0)]
    bar = 2.0  # seconds: one 4/4 bar at 120
    assert melody[0][0] == pytest.approx(bar)
    assert len([t for t, _p in notes(arranged, 9) if t < melody[0][0]]) == 4
    first, second = melody[0][0], melody[1][0]
    assert (second - first) == pytest.approx(0.5 * 0.66, abs=0.01)  # swing 66: paired eighths 2:1
    assert {p % 12 for t, p in notes(arranged, 1) if t < bar + bar / 2} == {9, 1, 4}  # "G" up 2: A major


def test_an_auto_accompaniment_gives_every_bar_a_chord(cli, tmp_path):
    bare = TUNE.replace('"G"', "").replace('"C"', "").replace('"D7"', "").replace('"D"', "")
    (tmp_path / "bare.abc").write_text(bare, encoding="utf-8")
    out = tmp_path / "bare.mid"
    assert cli("export", tmp_path / "bare.abc", "--midi", out, "--accompaniment", "auto", "--tempo", "120")\
        .returncode == 0
    chords = notes(mido.MidiFile(str(out)), 1)
    bars_with_chords = {int(t // 2.0) for t, _p in chords}
    assert bars_with_chords == set(range(8))  # four bars, repeated


@needs_soundfont
def test_the_wav_is_the_mix_with_its_count_in_as_a_real_process(tmp_path, home):
    """The smoke test of ``export``: a child process writes the WAV."""
    source = tmp_path / "tune.abc"
    source.write_text(TUNE, encoding="utf-8")
    wav = tmp_path / "tune.wav"
    done = run_studio("export", source, "--wav", wav, "--accompaniment", "symbols", "--count-in", "1", "--tempo",
                      "120", home=home, timeout=120)
    assert done.returncode == 0, done.stderr
    with wave.open(str(wav)) as handle:
        seconds = handle.getnframes() / handle.getframerate()
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
    assert seconds >= 2.0 + 8 * 2.0  # the count-in bar, then four bars twice
    assert seconds < 2.0 + 8 * 2.0 + 3.0  # plus the release tail
    assert np.abs(samples).max() > 1000


@needs_soundfont
def test_one_midi_and_one_wav_per_tune(cli, tmp_path):
    book = tmp_path / "tunes.abc"
    book.write_text(TUNES, encoding="utf-8")
    done = cli("export", book, "--midi", tmp_path / "o.mid", "--wav", tmp_path / "o.wav")
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".mid", ".wav"))
    assert written == ["o-01-the-kesh.mid", "o-01-the-kesh.wav", "o-02-port-na-bpucai.mid",
                       "o-02-port-na-bpucai.wav"]
    kesh = mido.MidiFile(str(tmp_path / "o-01-the-kesh.mid"))
    messages = list(mido.merge_tracks(kesh.tracks))
    notes_on = [m.note for m in messages if m.type == "note_on" and m.velocity > 0]
    assert len(notes_on) == 2 * 24  # the repeat is played
    assert [(m.numerator, m.denominator) for m in messages if m.type == "time_signature"] == [(6, 8)]
    assert [m.key for m in messages if m.type == "key_signature"] == ["G"]
    with wave.open(str(tmp_path / "o-01-the-kesh.wav")) as handle:
        seconds = handle.getnframes() / handle.getframerate()
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
    assert seconds == pytest.approx(kesh.length + 1.5, abs=0.1)
    assert np.abs(samples).max() > 1000


def test_bad_input_is_reported_without_a_traceback(cli, tmp_path):
    empty = tmp_path / "empty.abc"
    empty.write_text("no tunes here\n")
    done = cli("export", empty, "--midi", tmp_path / "x.mid")
    assert done.returncode == 1 and "holds no tune" in done.stderr and "Traceback" not in done.stderr
