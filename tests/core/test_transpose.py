"""Transposing ABC text: every note moves by exactly N semitones, bars keep their lengths, K: and symbols follow."""

from __future__ import annotations

import pytest

from studio.core.abc.keys import read_key
from studio.core.abc.tokenizer import scan_tune
from studio.core.abc.transpose import transpose_abc


def _pitches(text: str) -> list[int]:
    return [t.pitch for t in scan_tune(text).tokens if t.kind in ("note", "grace_note")]


@pytest.fixture(scope="module")
def sample(oneills):
    return [tune.text for tune in oneills.tunes[::25]]  # about 80 real tunes, every key and meter O'Neill used


@pytest.mark.parametrize("semitones", [2, -5, 1, 6, -12])
def test_every_note_moves_by_exactly_n_and_bars_keep_their_lengths(sample, semitones):
    for text in sample:
        moved = transpose_abc(text, semitones)
        assert _pitches(moved) == [p + semitones for p in _pitches(text)], text
        assert [b.duration for b in scan_tune(moved).bars] == [b.duration for b in scan_tune(text).bars]
        old_key, new_key = read_key(scan_tune(text).key), read_key(scan_tune(moved).key)
        if old_key is not None:
            assert new_key.mode == old_key.mode
            assert (new_key.tonic_pitch_class - old_key.tonic_pitch_class) % 12 == semitones % 12
            if semitones % 12:
                assert scan_tune(moved).fields["K"] != scan_tune(text).fields["K"]


@pytest.mark.parametrize("key, semitones, expected", [
    ("G", 2, "A"), ("D", 1, "Eb"), ("Dmix", 1, "Ebmix"), ("Ador", 2, "Bdor"), ("Em", 2, "F#m"),
    ("F#m", -1, "Fm"), ("C", 6, "F#"), ("Bb", -3, "G"), ("A Dorian", 5, "D Dorian"),
])
def test_the_key_is_rewritten_with_the_fewest_accidentals_and_its_mode(key, semitones, expected):
    moved = transpose_abc(f"X:1\nM:4/4\nL:1/8\nK:{key}\nABcd|\n", semitones)
    assert f"K:{expected}\n" in moved


def test_explicit_accidentals_stay_explicit_and_bar_accidentals_carry():
    text = "X:1\nM:4/4\nL:1/8\nK:C\n^cc=cB ^F2F2|c8|\n"
    moved = transpose_abc(text, 2)
    assert "K:D\n" in moved
    assert moved.endswith("^dd=dc ^G2G2|d8|\n")
    assert _pitches(moved) == [p + 2 for p in _pitches(text)]


def test_octave_marks_chords_and_grace_notes_follow():
    text = "X:1\nM:6/8\nL:1/8\nK:D\nA,B,C [DFA]{ag}b c'3|\n"
    moved = transpose_abc(text, 3)
    assert "K:F\n" in moved
    assert "CDE [FAc]{c'b}d' e'3|" in moved


def test_chord_symbols_move_with_the_key_and_free_text_stays():
    text = 'X:1\nM:4/4\nL:1/8\nK:G\n"G/B"GABc "Em7"d2"^fine"e2|"D7"d8|"Allegro"G8|\n'
    moved = transpose_abc(text, 2)
    assert '"A/C#"' in moved and '"F#m7"' in moved and '"E7"' in moved
    assert '"^fine"' in moved and '"Allegro"' in moved


def test_inline_key_changes_are_transposed_and_zero_changes_nothing():
    text = "X:1\nM:4/4\nL:1/8\nK:G\nGABc d4|[K:Em]efga b4|\n"
    moved = transpose_abc(text, -2)
    assert "K:F\n" in moved and "[K:Dm]" in moved
    assert _pitches(moved) == [p - 2 for p in _pitches(text)]
    assert transpose_abc(text, 0) == text
