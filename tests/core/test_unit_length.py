"""One unit note length: a tune rewritten to ``L:1/8`` plays the same notes, and abc2midi hears the same tune."""

from __future__ import annotations

from fractions import Fraction

from support import abc2midi_complaints

from studio.core.abc.meaning import note_sequence
from studio.core.abc.tokenizer import scan_tune
from studio.core.abc.unit_length import in_unit_length, length_suffix

HORNPIPE = ("X:1\nT:Hornpipe\nM:4/4\nL:1/16\nR:hornpipe\nK:D\n"
            "A2|d2f2 a2f2 d3e f2d2|[df]4 {g}f2e2 (3d2e2f2 z4|g4 z2 .x2 a>b a2:|\n")


def test_lengths_are_written_as_the_corpus_writes_them():
    assert [length_suffix(Fraction(n, d)) for n, d in ((1, 1), (2, 1), (1, 2), (3, 2), (1, 4))] == \
        ["", "2", "/2", "3/2", "/4"]


def test_a_sixteenth_unit_hornpipe_is_written_in_eighths_with_the_same_notes(tmp_path):
    eighths = in_unit_length(HORNPIPE)
    assert "L:1/8" in eighths and "L:1/16" not in eighths
    assert "A|df af d3/2e/2 fd|[df]2 {g/2}fe (3def z2|g2 z .x a/2>b/2 a:|" in eighths
    assert "[df]" in in_unit_length(HORNPIPE.replace("[df]4", "[d2f2]"))
    assert note_sequence(eighths) == note_sequence(HORNPIPE)
    assert abc2midi_complaints(eighths, tmp_path) == abc2midi_complaints(HORNPIPE, tmp_path)
    assert in_unit_length(eighths) == eighths  # already in eighths


def test_every_oneills_tune_is_rewritten_or_refused_never_changed_in_its_music(oneills):
    rewritten = refused = 0
    for tune in oneills.tunes:
        eighths = in_unit_length(tune.text)
        if eighths is None:
            refused += 1
            continue
        rewritten += eighths != tune.text
        assert scan_tune(eighths).unit_length == Fraction(1, 8), tune.id
    assert rewritten > 150 and refused < 10  # O'Neill's writes about one tune in ten in sixteenths


def test_a_unit_changed_inside_the_music_is_left_alone():
    assert in_unit_length(HORNPIPE.replace("|g4", "|[L:1/8]g2")) is None
