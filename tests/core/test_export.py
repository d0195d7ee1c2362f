"""Export helpers: default names, one file per tune, readable errors (the command: tests/cli/test_export_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.core.abc.text import tune_title
from studio.core.export import ExportError, default_file_name, export_abc, export_tune_file, numbered_paths, slug


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


def test_export_errors_are_readable(tmp_path):
    with pytest.raises(ExportError, match="no notes|notes"):
        export_tune_file(_write(tmp_path, "X:1\nM:4/4\nK:C\n"), midi=tmp_path / "x.mid")
    with pytest.raises(ExportError, match="Could not write"):
        export_abc("X:1\nK:C\nC|\n", tmp_path / "missing" / "x.abc")


def _write(folder: Path, text: str) -> Path:
    path = folder / "t.abc"
    path.write_text(text)
    return path
