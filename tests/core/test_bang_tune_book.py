"""A tune book in the '!'-line-end style of older files (thesession.org's exports): it evaluates as valid through
``python -m studio evaluate``, engraves with every note (verovio reads it after ``plain_spellings``) and exports to
MIDI with the notes of its plain twin (the same tunes with new lines instead of '!')."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest
from music21 import corpus

from studio.cli.main import main
from studio.core.abc.lexer import plain_spellings
from studio.core.abc.meaning import sounding_notes
from studio.core.engraving.notation import NotationRenderer
from studio.core.export import export_midi
from studio.core.tune_book import read_tune_book

BOOK = Path(__file__).parent / "data" / "bang_line_ends.abc"


def plain_twin(tune: str) -> str:
    return "\n".join(line.rstrip("!").replace("|!", "|\n") for line in tune.split("\n"))


def test_the_book_is_written_with_bang_line_ends():
    tunes = read_tune_book(BOOK)
    assert len(tunes) == 3
    assert all(line.endswith("!") for tune in tunes for line in tune.split("\n") if line.startswith(("|", "[P:")))


def test_evaluate_calls_every_tune_valid_with_its_bars_right(capsys):
    first_oneill = sorted(str(p) for p in corpus.getCorePaths(fileExtensions=("abc",)) if "oneills1850" in str(p))[0]
    assert main(["evaluate", str(BOOK), "--corpus", first_oneill]) == 0
    out = capsys.readouterr().out
    rates = {line.split()[0]: line.split() for line in out.splitlines() if "rate" in line}
    assert rates["validity"][2] == "1.000" and rates["bar-correct"][2] == "1.000"


@pytest.fixture(scope="module")
def renderer():
    with NotationRenderer() as shared:
        yield shared


def test_every_tune_engraves_all_its_notes(renderer):
    for tune in read_tune_book(BOOK):
        twin = plain_twin(tune)
        assert sounding_notes(tune) == sounding_notes(twin) == sounding_notes(plain_spellings(tune))
        rendering, plain = renderer.render(tune), renderer.render(twin)
        assert rendering.ok and plain.ok, (rendering.error, plain.error)
        assert len(rendering.note_ids) == len(plain.note_ids) >= len(sounding_notes(tune))


def test_every_tune_exports_to_midi_with_its_twins_notes(tmp_path):
    for number, tune in enumerate(read_tune_book(BOOK)):
        notes = []
        for name, text in (("bang", tune), ("twin", plain_twin(tune))):
            path = export_midi(text, tmp_path / f"{name}{number}.mid")
            notes.append([m.note for m in mido.MidiFile(path) if m.type == "note_on" and m.velocity])
        assert notes[0] == notes[1] and len(notes[0]) >= len(sounding_notes(tune))
