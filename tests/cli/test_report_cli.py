"""``python -m studio report``: the HTML page of a real experiment, run or tune book from the command line; a missing
or unreadable source is a one-line error with exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.cli.main import main

from report_page import read_report
from support import run_studio


def test_an_experiment_named_in_the_data_folder_gets_its_page_where_asked(experiment_copy, tmp_path, monkeypatch,
                                                                           capsys):
    result = experiment_copy
    monkeypatch.setenv("ABC_STUDIO_HOME", str(result.folder.parent.parent))
    out = tmp_path / "lab report.html"
    assert main(["report", result.folder.name, "--out", str(out), "--no-audio"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    page = read_report(out)
    assert [row[0] for row in page.tables["curve-stats"][1:]] == ["batch_size=8", "batch_size=4"]
    tunes = [a for t, a, _ in page.elements if t == "article"]
    assert len(tunes) == 3 + 3 + 3  # two runs of three tunes, the three temperatures
    assert not [a for t, a, _ in page.elements if t == "audio"]  # --no-audio (the tune book below has players)
    assert not (result.folder / "report.html").exists()  # written where asked, not beside the results


def test_a_run_by_id_without_audio_writes_beside_the_run(trained_run_copy, capsys):
    trained_run = trained_run_copy
    assert main(["--runs-dir", str(trained_run.path.parent), "report", trained_run.id, "--no-audio"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == trained_run.path / "report.html"
    page = read_report(path)
    assert page.tables["curve-stats"][1][2] == "150"
    assert [a for t, a, _ in page.elements if t == "article"]
    assert not [a for t, a, _ in page.elements if t == "audio"]


def test_a_tune_book_through_the_real_entry_point(oneills, tmp_path, home):
    """The smoke test of ``report``: a child process writes a tune book's page (with its players)."""
    book = tmp_path / "two tunes.abc"
    book.write_text("\n\n".join(t.text for t in oneills.tunes[:2]) + "\n", encoding="utf-8")
    done = run_studio("report", book, home=home, timeout=400)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "two tunes.html")
    assert "MB in" in done.stderr
    page = read_report(tmp_path / "two tunes.html")
    assert len([a for t, a, _ in page.elements if t == "audio"]) == 2


def _mistakes(tmp_path: Path) -> dict[str, list[str]]:
    empty_book = tmp_path / "empty.abc"
    empty_book.write_text("% no tune here\n", encoding="utf-8")
    broken = tmp_path / "broken-experiment"
    broken.mkdir()
    (broken / "results.json").write_text("{not json", encoding="utf-8")
    plain = tmp_path / "notes.txt"
    plain.write_text("X:1\n", encoding="utf-8")
    return {
        "missing file": (["report", str(tmp_path / "nothing.abc")], f"{tmp_path / 'nothing.abc'} does not exist"),
        "missing folder": (["report", str(tmp_path / "no" / "such")], f"{tmp_path / 'no' / 'such'} does not exist"),
        "unknown name": (["report", "no-such-experiment-or-run"],
                         "no experiment, run or .abc file named 'no-such-experiment-or-run'"),
        "a folder of something else": (["report", str(tmp_path)], "is neither an experiment folder"),
        "not an .abc file": (["report", str(plain)], "notes.txt is not an .abc tune book"),
        "a book without tunes": (["report", str(empty_book)], "empty.abc holds no tune"),
        "unreadable results": (["report", str(broken)], "cannot read the results in"),
        "output folder missing": (["report", str(empty_book), "--out", str(tmp_path / "no" / "out.html")],
                                  f"the folder {tmp_path / 'no'} does not exist"),
    }


@pytest.mark.parametrize("mistake", ["missing file", "missing folder", "unknown name", "a folder of something else",
                                     "not an .abc file", "a book without tunes", "unreadable results",
                                     "output folder missing"])
def test_a_missing_or_unreadable_source_exits_2(mistake, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ABC_STUDIO_HOME", str(tmp_path / "home"))
    argv, reason = _mistakes(tmp_path)[mistake]
    assert main(["--runs-dir", str(tmp_path / "runs")] + argv) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("error: ") and reason in error, error

