"""Export helpers and ``python -m studio export``: default names, one file per tune, MIDI and WAV read back."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import mido
import numpy as np
import pytest

from studio.core.abc.text import tune_title
from studio.core.export import ExportError, default_file_name, export_abc, export_tune_file, numbered_paths, slug
from studio.core.synth import find_soundfont

ROOT = Path(__file__).resolve().parents[2]
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


def test_default_file_names_come_from_title_temperature_and_seed():
    assert default_file_name("The Kesh", "mid", 0.8, 42) == "the-kesh-t0.8-seed42.mid"
    assert default_file_name("Port na bPúcaí", ".wav") == "port-na-bpucai.wav"
    assert default_file_name("", "abc", 1.25, 0) == "tune-t1.25-seed0.abc"
    assert slug("../../etc/passwd") == "etc-passwd"
    assert tune_title("X:1\nK:D\nabc|\n", "fallback") == "fallback"


def test_numbered_paths_for_several_tunes(tmp_path):
    assert numbered_paths(tmp_path / "out.mid", ["A"]) == [tmp_path / "out.mid"]
    assert numbered_paths(tmp_path / "out.mid", ["The Kesh", "B"]) == [tmp_path / "out-01-the-kesh.mid",
                                                                        tmp_path / "out-02-b.mid"]


def test_cli_writes_one_midi_and_one_wav_per_tune(tmp_path):
    if find_soundfont() is None:
        pytest.skip("no SoundFont installed")
    book = tmp_path / "tunes.abc"
    book.write_text(TUNES, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "studio", "export", str(book), "--midi", str(tmp_path / "o.mid"),
                           "--wav", str(tmp_path / "o.wav")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".mid", ".wav"))
    assert written == ["o-01-the-kesh.mid", "o-01-the-kesh.wav", "o-02-port-na-bpucai.mid",
                       "o-02-port-na-bpucai.wav"]
    kesh = mido.MidiFile(str(tmp_path / "o-01-the-kesh.mid"))
    messages = list(mido.merge_tracks(kesh.tracks))
    notes = [m.note for m in messages if m.type == "note_on" and m.velocity > 0]
    assert len(notes) == 2 * 24  # the repeat is played
    assert [(m.numerator, m.denominator) for m in messages if m.type == "time_signature"] == [(6, 8)]
    assert [m.key for m in messages if m.type == "key_signature"] == ["G"]
    with wave.open(str(tmp_path / "o-01-the-kesh.wav")) as wav:
        seconds = wav.getnframes() / wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    assert seconds == pytest.approx(kesh.length + 1.5, abs=0.1)
    assert np.abs(samples).max() > 1000


def test_cli_reports_bad_input_without_a_traceback(tmp_path):
    empty = tmp_path / "empty.abc"
    empty.write_text("no tunes here\n")
    done = subprocess.run([sys.executable, "-m", "studio", "export", str(empty), "--midi", str(tmp_path / "x.mid")],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 1 and "holds no tune" in done.stderr and "Traceback" not in done.stderr


def test_export_errors_are_readable(tmp_path):
    with pytest.raises(ExportError, match="no notes|notes"):
        export_tune_file(_write(tmp_path, "X:1\nM:4/4\nK:C\n"), midi=tmp_path / "x.mid")
    with pytest.raises(ExportError, match="Could not write"):
        export_abc("X:1\nK:C\nC|\n", tmp_path / "missing" / "x.abc")


def _write(folder: Path, text: str) -> Path:
    path = folder / "t.abc"
    path.write_text(text)
    return path
