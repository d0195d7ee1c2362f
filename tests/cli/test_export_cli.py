"""``python -m studio export`` with the playback flags, run as users run it; files read back with mido and wave."""

from __future__ import annotations

import os
import subprocess
import sys
import wave

import mido
import numpy as np
import pytest

from studio.core.synth import find_soundfont

TUNE = """X:1
T:Flagged Hornpipe
R:hornpipe
M:4/4
L:1/8
K:G
|:"G"GABc dedB|"C"cBAG "D"FGAB|"G"GABc dedB|"C"cBAG "D7"FGAF:|
"""


def export(tmp_path, *flags):
    source = tmp_path / "tune.abc"
    source.write_text(TUNE, encoding="utf-8")
    env = dict(os.environ, ABC_STUDIO_HOME=str(tmp_path / "home"))
    out = tmp_path / f"out{len(list(tmp_path.glob('out*.mid')))}.mid"
    done = subprocess.run([sys.executable, "-m", "studio", "export", str(source), "--midi", str(out), *flags],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return mido.MidiFile(str(out))


def notes(midi: mido.MidiFile, channel: int) -> list[tuple[float, int]]:
    now, found = 0.0, []
    for message in midi:
        now += message.time
        if message.type == "note_on" and message.velocity > 0 and message.channel == channel:
            found.append((now, message.note))
    return found


def test_the_flags_produce_the_tracks(tmp_path):
    plain = export(tmp_path)
    assert [t.name for t in plain.tracks] == ["Melody"]
    arranged = export(tmp_path, "--accompaniment", "symbols", "--transpose", "2", "--count-in", "1",
                      "--swing", "66", "--tempo", "120")
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


def test_an_auto_accompaniment_gives_every_bar_a_chord(tmp_path):
    bare = TUNE.replace('"G"', "").replace('"C"', "").replace('"D7"', "").replace('"D"', "")
    (tmp_path / "bare.abc").write_text(bare, encoding="utf-8")
    out = tmp_path / "bare.mid"
    subprocess.run([sys.executable, "-m", "studio", "export", str(tmp_path / "bare.abc"), "--midi", str(out),
                    "--accompaniment", "auto", "--tempo", "120"], check=True, capture_output=True, timeout=120,
                   env=dict(os.environ, ABC_STUDIO_HOME=str(tmp_path / "home")))
    chords = notes(mido.MidiFile(str(out)), 1)
    bars_with_chords = {int(t // 2.0) for t, _p in chords}
    assert bars_with_chords == set(range(8))  # four bars, repeated


@pytest.mark.skipif(find_soundfont() is None, reason="no SoundFont installed")
def test_the_wav_is_the_mix_with_its_count_in(tmp_path):
    source = tmp_path / "tune.abc"
    source.write_text(TUNE, encoding="utf-8")
    wav = tmp_path / "tune.wav"
    subprocess.run([sys.executable, "-m", "studio", "export", str(source), "--wav", str(wav), "--accompaniment",
                    "symbols", "--count-in", "1", "--tempo", "120"], check=True, capture_output=True, timeout=120,
                   env=dict(os.environ, ABC_STUDIO_HOME=str(tmp_path / "home")))
    with wave.open(str(wav)) as handle:
        seconds = handle.getnframes() / handle.getframerate()
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
    assert seconds >= 2.0 + 8 * 2.0  # the count-in bar, then four bars twice
    assert seconds < 2.0 + 8 * 2.0 + 3.0  # plus the release tail
    assert np.abs(samples).max() > 1000
