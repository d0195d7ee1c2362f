"""Chord symbols, gchord patterns per meter, and chords chosen for real O'Neill tunes that have none."""

from __future__ import annotations

import pytest

from studio.core.abc.chords import parse_chord_symbol
from studio.core.abc.keys import read_key
from studio.core.abc.timeline import read_bars
from studio.core.abc.tokenizer import scan_tune
from studio.core.sound.accompaniment import (
    add_chord_symbols, choose_chords, diatonic_chords, gchord_pattern, stressed_chord_tone_share, tune_meter,
)


@pytest.mark.parametrize("symbol, root, tones, bass", [
    ("G", 7, {7, 11, 2}, 7), ("Em", 4, {4, 7, 11}, 4), ("D7", 2, {2, 6, 9, 0}, 2), ("Am7", 9, {9, 0, 4, 7}, 9),
    ("Bdim", 11, {11, 2, 5}, 11), ("Caug", 0, {0, 4, 8}, 0), ("Dsus4", 2, {2, 7, 9}, 2), ("F6", 5, {5, 9, 0, 2}, 5),
    ("G/B", 7, {7, 11, 2}, 11), ("Bb", 10, {10, 2, 5}, 10), ("F#m", 6, {6, 9, 1}, 6), ("D/F#", 2, {2, 6, 9}, 6),
])
def test_chord_symbols_give_their_notes(symbol, root, tones, bass):
    chord = parse_chord_symbol(symbol)
    assert chord.root == root and set(chord.pitch_classes) == tones | {bass} and chord.bass == bass
    assert chord.bass_note() % 12 == bass and {p % 12 for p in chord.voicing()} == tones


@pytest.mark.parametrize("text", ["Allegro", "^fine", "_D.C.", "H", "Gxyz", "", "<(tr)", "@10,10 text"])
def test_free_text_is_no_chord(text):
    assert parse_chord_symbol(text) is None


@pytest.mark.parametrize("meter, pattern", [
    ((2, 4), "fzczfzcz"), ((4, 4), "fzczfzcz"), ((3, 4), "fzczcz"), ((6, 8), "fzcfzc"), ((9, 8), "fzcfzcfzc"),
    ((12, 8), "fzcfzcfzcfzc"), ((2, 2), "fzczfzcz"),
])
def test_patterns_follow_abc2midi(meter, pattern):
    assert gchord_pattern(meter) == pattern


@pytest.mark.parametrize("key, names", [
    ("G", ["G", "C", "D", "Em", "Am"]), ("Ador", ["Am", "G", "D", "C", "Em"]), ("Dmix", ["D", "C", "G", "Am", "Em"]),
    ("Em", ["Em", "D", "G", "Am", "Bm", "C"]), ("F", ["F", "Bb", "C", "Dm", "Gm"]),
])
def test_the_keys_diatonic_chords_and_the_modal_ones(key, names):
    assert [chord.name for _, chord in diatonic_chords(read_key(key))] == names


@pytest.fixture(scope="module")
def sample(oneills):
    return [tune.text for tune in oneills.tunes[3::40]]  # 50 real tunes


def test_auto_gives_every_bar_a_chord_that_fits_the_stressed_notes(sample):
    shares = []
    for text in sample:
        scanned = scan_tune(text)
        bars = read_bars(scanned)
        chords = choose_chords(scanned)
        assert {c.bar for c in chords} == {b.index for b in bars}, text
        shares.append(stressed_chord_tone_share(bars, chords, tune_meter(scanned)))
    assert sum(shares) / len(shares) >= 0.75
    assert sum(share >= 0.6 for share in shares) >= 0.9 * len(shares)


def test_strains_end_on_the_tonic():
    text = "X:1\nM:4/4\nL:1/8\nK:D\n|:DFAF DFAF|GBdB GBdB|A2ce A2ce|d2f2 d4:|\n"
    chords = choose_chords(text)
    assert [c.chord.name for c in chords if c.onset == 0] == ["D", "G", "A", "D"]


def test_half_bar_chords_when_the_melody_asks():
    text = "X:1\nM:4/4\nL:1/8\nK:G\nG2B2 A2c2|B4 G4|\n"
    chords = choose_chords(text)
    assert [(c.bar, c.onset, c.chord.name) for c in chords] == [(0, 0, "G"), (0, 960, "D"), (1, 0, "G")]


def test_chosen_chords_written_into_the_text_show_as_symbols_and_keep_the_notes(sample):
    for text in sample[:20]:
        written = add_chord_symbols(text)
        assert [t.pitch for t in scan_tune(written).tokens if t.kind == "note"] == \
            [t.pitch for t in scan_tune(text).tokens if t.kind == "note"]
        bars = read_bars(written)
        symbols = [(bar.index, onset, name) for bar in bars for onset, name in bar.symbols
                   if parse_chord_symbol(name) is not None]
        chosen = choose_chords(text)
        assert symbols and {(c.bar, c.onset, c.chord.name) for c in chosen} >= set(symbols)


def test_a_strain_end_prefers_the_tonic_over_a_chord_that_holds_a_few_more_notes():
    text = "X:1\nM:4/4\nL:1/8\nK:D\n|:DFAF DFAF|GBdB GBdB|A2F2 E4:|\n"
    assert choose_chords(text)[-1].chord.name == "D"
    assert [c.chord.name for c in choose_chords(text.replace(":|", "|A2F2 E4|"))][2] == "A"
