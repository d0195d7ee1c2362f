"""The command line, run as users run it: real subprocesses, exit codes, messages without tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def studio(*args, home, timeout=300):
    env = dict(os.environ, ABC_STUDIO_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "studio", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def test_train_then_generate(tmp_path):
    out = studio("train", "--preset", "tiny", "--iterations", "30", "--name", "cli run", home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "finished after 30 steps" in out.stdout
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and (runs[0] / "checkpoints" / "last.pt").exists()
    listing = studio("runs", home=tmp_path)
    assert "cli run" in listing.stdout and "finished" in listing.stdout

    gen = studio("generate", "--run", runs[0].name, "--count", "3", "--temperature", "0.8", "--seed", "4",
                 "--max-length", "150", "--quiet", home=tmp_path)
    assert gen.returncode == 0, gen.stderr
    assert [line for line in gen.stdout.splitlines() if line.startswith("X:")] == ["X:1", "X:2", "X:3"]
    assert list((runs[0] / "samples").glob("*.abc"))

    renamed = studio("runs", "rename", runs[0].name, "Better name", home=tmp_path)
    assert renamed.returncode == 0 and "Better name" in studio("runs", home=tmp_path).stdout
    assert studio("runs", "delete", runs[0].name, home=tmp_path).returncode == 0
    assert "no runs yet" in studio("runs", home=tmp_path).stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--batch-size", "0"], "--batch-size must be between"),
        (["train", "--preset", "huge"], "unknown preset 'huge'"),
        (["corpus", "/no/such/file.abc"], "no such file or folder"),
        (["generate", "--checkpoint", __file__], "not a readable checkpoint"),
        (["generate", "--run", "nope"], "no run 'nope'"),
        (["train", "--resume", "nope"], "no run 'nope'"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(tmp_path, args, message):
    out = studio(*args, home=tmp_path)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_corpus_report(tmp_path):
    out = studio("corpus", "oneills1850", home=tmp_path)
    assert out.returncode == 0
    assert "oneills1850: 2,00" in out.stdout and "dropped" in out.stdout


def test_generate_out_adds_to_a_tune_book_the_window_can_open(tmp_path):
    from music21 import corpus

    from studio.core.tune_book import read_book_tunes, read_tune_book

    source = next(p for p in corpus.getCorePaths(fileExtensions=("abc",)) if "oneills1850" in str(p))
    book = tmp_path / "book.abc"
    two = "\r\n\r\n".join(read_tune_book(source)[:2]).replace("\n", "\r\n")  # CRLF, as Windows tools write
    book.write_bytes(two.replace("\r\r\n", "\r\n").encode("latin-1"))
    out = studio("generate", "--count", "2", "--seed", "9", "--max-length", "120", "--quiet", "--out", str(book),
                 home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "added 2 tune(s)" in out.stderr and "(now 4)" in out.stderr
    tunes = read_book_tunes(book)
    assert [t.text.split("\n")[0] for t in tunes] == ["X:1", "X:2", "X:3", "X:4"]
    assert [t.seed for t in tunes] == [None, None, 9, 10]
    binary = tmp_path / "photo.abc"
    binary.write_bytes(os.urandom(4000))
    refused = studio("generate", "--max-length", "50", "--quiet", "--out", str(binary), home=tmp_path)
    assert refused.returncode == 2 and "not a text file" in refused.stderr and "Traceback" not in refused.stderr


def _small_oneills_file(tmp_path, count=30):
    """The first ``count`` tunes of O'Neill's as a user's .abc file (rewritten in seconds, not a minute)."""
    from studio.core.corpus import load_corpus

    path = tmp_path / "oneills-small.abc"
    path.write_text("\n\n".join(t.text for t in load_corpus("oneills1850").tunes[:count]) + "\n", encoding="utf-8")
    return path


def test_corpus_text_level_shows_what_changed_and_one_tune(tmp_path):
    path = _small_oneills_file(tmp_path)
    out = studio("corpus", str(path), "--text", "canonical", home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "text level canonical:" in out.stdout and "changed: " in out.stdout and "spaces" in out.stdout
    before, _, after = out.stdout.partition("after (canonical):")
    assert " before:\nX:" in before and after.strip().startswith("X:")
    raw = studio("corpus", str(path), home=tmp_path)
    assert "text level" not in raw.stdout
    assert studio("corpus", str(path), "--text", "plain", home=tmp_path).returncode == 2


def test_train_at_a_text_level(tmp_path):
    import json

    path = _small_oneills_file(tmp_path)
    out = studio("train", "--preset", "tiny", "--iterations", "5", "--corpus", str(path), "--text", "melody",
                 home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "text level melody:" in out.stderr
    meta = json.loads(next((tmp_path / "runs").iterdir()).joinpath("run.json").read_text())
    assert meta["corpus"]["text_level"] == "melody" and meta["train_config"]["text_level"] == "melody"
