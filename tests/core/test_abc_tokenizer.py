"""The ABC tokenizer: kinds, positions, pitches under keys and accidentals, durations, bars, hostile input."""

from __future__ import annotations

from fractions import Fraction as F

from studio.core.abc.fields import key_accidentals
from studio.core.abc.tokenizer import scan_tune, tokenize


def _notes(body: str, header: str = "M:4/4\nL:1/8\nK:C") -> list:
    return [t for t in tokenize(f"X:1\n{header}\n{body}") if t.kind == "note"]


def test_kinds_and_positions():
    tokens = tokenize('X:1\nK:G\n|: "G" ~A2 [K:D] {c}B>c (3def z2 [CEG] !trill!d- | [1 e :|2 f |]')
    kinds = [t.kind for t in tokens if t.kind not in ("space", "newline")]
    assert kinds[:2] == ["field", "field"]
    for kind in ("bar", "annotation", "decoration", "inline_field", "grace_start", "grace_note", "grace_end",
                 "broken", "tuplet", "rest", "chord_start", "chord_end", "tie", "ending"):
        assert kind in kinds, kind
    first_note = next(t for t in tokens if t.kind == "note")
    assert (first_note.text, first_note.line, first_note.column) == ("A2", 3, 8)
    assert first_note.offset == len("X:1\nK:G\n") + 8


def test_key_signatures_and_modes():
    assert key_accidentals("G")["F"] == 1 and key_accidentals("Gmaj")["C"] == 0
    assert key_accidentals("Dmix") == {**key_accidentals("G")}
    assert key_accidentals("Ador") == key_accidentals("G") and key_accidentals("Am") == key_accidentals("C")
    assert key_accidentals("Edor") == key_accidentals("D")
    assert key_accidentals("Gm")["B"] == -1 and key_accidentals("Gm")["E"] == -1
    assert [t.pitch for t in _notes("f c F C", "L:1/8\nK:Dmix")] == [78, 72, 66, 60]
    assert [t.pitch for t in _notes("f c", "L:1/8\nK:Edor")] == [78, 73]


def test_accidentals_last_to_the_end_of_the_bar_in_their_octave():
    assert [t.pitch for t in _notes("^c c C =c c | c _B B __B ^^C")] == [73, 73, 60, 72, 72, 72, 70, 70, 69, 62]


def test_octaves():
    assert [t.pitch for t in _notes("C, C c c' c'' B,,")] == [48, 60, 72, 84, 96, 47]


def test_lengths_relative_to_the_unit():
    durations = [t.duration for t in _notes("a a2 a/2 a/ a// a3/2 a3")]
    assert durations == [F(1, 8), F(1, 4), F(1, 16), F(1, 16), F(1, 32), F(3, 16), F(3, 8)]


def test_default_unit_length_follows_the_meter():
    assert _notes("a", "M:2/4\nK:C")[0].duration == F(1, 16)
    assert _notes("a", "M:6/8\nK:C")[0].duration == F(1, 8)
    assert _notes("a", "M:C|\nK:C")[0].duration == F(1, 8)


def test_broken_rhythm_tuplets_chords_and_graces():
    assert [t.duration for t in _notes("a>b a<b a>>b")] == [F(3, 16), F(1, 16), F(1, 16), F(3, 16), F(7, 32),
                                                          F(1, 32)]
    assert [t.duration for t in _notes("(3abc d")] == [F(1, 12)] * 3 + [F(1, 8)]
    assert [t.duration for t in _notes("(3:2:2ab c")] == [F(1, 12), F(1, 12), F(1, 8)]
    scan = scan_tune("X:1\nM:4/4\nL:1/8\nK:C\n[CEG]2 {ag}a [ce]>d a2 |")
    bar = scan.bars[0]
    assert bar.duration == F(1, 4) + F(1, 8) + F(3, 16) + F(1, 16) + F(1, 4)
    assert [t.kind for t in bar.notes].count("grace_note") == 2


def test_bars_view(oneills):
    scan = scan_tune(oneills.tunes[0].text)
    assert scan.meter == F(2, 4)
    full = [b for b in scan.bars if b.duration == scan.meter]
    assert len(full) >= len(scan.bars) * 0.7
    assert all(b.pitches for b in full)


def test_hostile_inputs_are_tokens_not_exceptions():
    long_junk = "\x00#@&" * 2_500_000  # 10 MB on one line
    tokens = tokenize(long_junk)
    assert {t.kind for t in tokens} == {"unknown"}
    assert sum(len(t.text) for t in tokens) == len(long_junk)
    assert _notes("a99999999")[0].problem == "absurd_length"
    assert _notes("a" + "9" * 100_000)[0].problem == "absurd_length"
    assert _notes("a/0")[0].problem == "absurd_length"
    high = _notes("c" + "'" * 1000)[0]
    assert high.pitch == 127 and high.problem == "pitch_out_of_range"
    assert _notes("C" + "," * 1000)[0].pitch == 0
    stray = [t for t in tokenize("X:1\nK:C\n]]] [[[ ((( }}} {{{ \"\"\" !!! (0 (999:0 >>>")]
    assert any(t.kind == "chord_end" and t.problem == "stray" for t in stray)
    music = "abc|" * 50_000
    assert len(scan_tune("X:1\nK:C\n" + music).bars) == 50_000
