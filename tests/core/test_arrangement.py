"""Arranged MIDI read back with mido: tracks, chord patterns, transposition, swing, count-in, repeats, WAV of the mix."""

from __future__ import annotations

import mido
import numpy as np
import pytest
import soundfile

from studio.core.abc.chords import parse_chord_symbol
from studio.core.abc.timeline import read_bars
from studio.core.sound.accompaniment import add_chord_symbols, gchord_pattern
from studio.core.sound.arrangement import (
    ArrangementError, PlaybackOptions, arrange, arrangement_midi, write_arrangement_midi,
)
from studio.core.sound.synth import RELEASE_TAIL_S, find_soundfont, render_midi_to_pcm, write_wav

QUARTER = 480
REEL = 'X:1\nT:Chords\nR:reel\nM:4/4\nL:1/8\nK:G\n"G"GABc "D7"dBAF|"Em"E2G2 "C"c2e2|"G/B"d2B2 "D"A4|"G"G8|]\n'
JIG = 'X:2\nT:Jig\nR:jig\nM:6/8\nL:1/8\nK:D\n"D"DFA dAF|"G"GBd "A7"cBA|"D"d3 d3|]\n'
WALTZ = 'X:3\nT:Waltz\nR:waltz\nM:3/4\nL:1/8\nK:F\n"F"F2A2c2|"Bb"d4B2|"C7"c2G2E2|"F"F6|]\n'


def notes_of(midi: mido.MidiFile, track_name: str) -> list[tuple[int, int, int, int]]:
    """(start tick, end tick, pitch, channel) of a track's notes, read back from the file."""
    track = next(t for t in midi.tracks if t.name == track_name)
    now, open_notes, notes = 0, {}, []
    for message in track:
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            open_notes[message.note] = now
        elif message.type in ("note_on", "note_off"):
            notes.append((open_notes.pop(message.note), now, message.note, message.channel))
    return sorted(notes)


def read_back(text: str, tmp_path, **options) -> mido.MidiFile:
    path = write_arrangement_midi(text, tmp_path / "tune.mid", **options)
    return mido.MidiFile(str(path))


@pytest.mark.parametrize("text", [REEL, JIG, WALTZ])
def test_the_chord_track_sounds_each_symbols_notes_in_its_bar_with_the_meters_pattern(text, tmp_path):
    midi = read_back(text, tmp_path, accompaniment="symbols")
    assert [t.name for t in midi.tracks] == ["Melody", "Chords", "Bass"]
    meta = {m.type: m for m in midi.tracks[0] if m.is_meta}
    assert {"set_tempo", "time_signature", "key_signature"} <= set(meta)
    chords, bass = notes_of(midi, "Chords"), notes_of(midi, "Bass")
    bars = read_bars(text)
    numerator, denominator = meta["time_signature"].numerator, meta["time_signature"].denominator
    pattern = gchord_pattern((numerator, denominator))
    bar_ticks = 4 * QUARTER * numerator // denominator
    slot = bar_ticks // len(pattern)
    for bar in bars:
        start = bar.index * bar_ticks
        in_bar = [n for n in chords if start <= n[0] < start + bar_ticks]
        bass_in_bar = [n for n in bass if start <= n[0] < start + bar_ticks]
        assert sorted({n[0] - start for n in in_bar}) == [i * slot for i, c in enumerate(pattern) if c == "c"]
        assert [n[0] - start for n in bass_in_bar] == [i * slot for i, c in enumerate(pattern) if c == "f"]
        for onset in {n[0] - start for n in in_bar}:
            chord = parse_chord_symbol([name for at, name in bar.symbols if at <= onset][-1])
            assert {n[2] % 12 for n in in_bar if n[0] - start == onset} == {(chord.root + i) % 12
                                                                            for i in chord.intervals}
        for onset in {n[0] - start for n in bass_in_bar}:
            chord = parse_chord_symbol([name for at, name in bar.symbols if at <= onset][-1])
            assert [n[2] % 12 for n in bass_in_bar if n[0] - start == onset] == [chord.bass]
    assert {n[3] for n in chords} == {1} and {n[3] for n in bass} == {2}
    programs = {m.channel: m.program for t in midi.tracks for m in t if m.type == "program_change"}
    assert programs == {0: 40, 1: 24, 2: 32}
    assert all(track.name == "Melody" or track[1].type == "program_change" for track in midi.tracks)


def test_auto_accompanies_a_tune_without_symbols_and_matches_the_symbols_it_writes(oneills, tmp_path):
    for tune in oneills.tunes[10:200:38]:
        auto = arrange(tune.text, PlaybackOptions(accompaniment="auto"))
        written = arrange(add_chord_symbols(tune.text), PlaybackOptions(accompaniment="symbols"))
        assert auto.part("chords") and auto.part("bass")
        assert [(n.start, n.pitch) for n in auto.part("chords")] == [(n.start, n.pitch) for n in written.part("chords")]
        played_bars = {index for index, _, _ in auto.bar_spans}
        assert {n.bar for n in auto.part("bass")} | {n.bar for n in auto.part("chords")} >= played_bars - {0}


def test_transposing_by_two_moves_every_melody_note_by_two_and_rewrites_the_key(tmp_path):
    plain = read_back(REEL, tmp_path, accompaniment="symbols")
    moved = read_back(REEL, tmp_path, accompaniment="symbols", transpose=2)
    assert [n[2] + 2 for n in notes_of(plain, "Melody")] == [n[2] for n in notes_of(moved, "Melody")]
    assert [(n[2] + 2) % 12 for n in notes_of(plain, "Bass")] == [n[2] % 12 for n in notes_of(moved, "Bass")]
    keys = [next(m.key for m in midi.tracks[0] if m.type == "key_signature") for midi in (plain, moved)]
    assert keys == ["G", "A"]


def test_swing_66_makes_paired_eighths_two_to_one_and_keeps_broken_rhythm(tmp_path):
    text = "X:1\nM:4/4\nL:1/8\nK:G\nGABc d>BA<F|\n"
    notes = notes_of(read_back(text, tmp_path, swing=66), "Melody")
    onsets = [n[0] for n in notes]
    assert onsets[:5] == [0, 317, 480, 797, 960]
    assert (onsets[1] - onsets[0]) / (onsets[2] - onsets[1]) == pytest.approx(2.0, rel=0.03)
    assert onsets[5:] == [1320, 1440, 1560]  # d>B and A<F keep 3:1 and 1:3
    straight = [n[0] for n in notes_of(read_back(text, tmp_path), "Melody")]
    assert straight[:4] == [0, 240, 480, 720]


def test_hornpipes_swing_by_default_and_reels_play_straight():
    hornpipe = arrange("X:1\nR:Hornpipe\nM:4/4\nL:1/8\nK:D\nABcd efga|\n")
    reel = arrange("X:1\nR:reel\nM:4/4\nL:1/8\nK:D\nABcd efga|\n")
    assert hornpipe.swing == 66 and reel.swing == 50
    assert [n.start for n in hornpipe.part("melody")][:2] == [0, 317]
    assert [n.start for n in reel.part("melody")][:2] == [0, 240]


def test_a_count_in_adds_one_bar_of_channel_ten_clicks_before_the_first_note(tmp_path):
    midi = read_back(REEL, tmp_path, count_in_bars=1)
    clicks, melody = notes_of(midi, "Clicks"), notes_of(midi, "Melody")
    assert {n[3] for n in clicks} == {9}
    assert [n[0] for n in clicks] == [0, 480, 960, 1440]
    assert melody[0][0] == 1920 and all(n[1] <= melody[0][0] for n in clicks)
    with_metronome = notes_of(read_back(REEL, tmp_path, count_in_bars=2, metronome=True), "Clicks")
    assert len(with_metronome) == 4 * (2 + 4)


def test_repeats_and_endings_play_in_the_written_order():
    text = "X:1\nM:2/4\nL:1/8\nK:C\nG|:CDEF|[1GABc:|[2cBAG||DEFG::ABcd:|efga|]\n"
    pitches = [n.pitch for n in arrange(text).part("melody")]
    names = "".join("CDEFGABcdefga"["C D E F G A B c d e f g a".split().index(p)]
                    for p in [_NAME[p] for p in pitches])
    assert names == "G" + "CDEF" + "GABc" + "CDEF" + "cBAG" + "DEFG" * 2 + "ABcd" * 2 + "efga"


_NAME = {60: "C", 62: "D", 64: "E", 65: "F", 67: "G", 69: "A", 71: "B", 72: "c", 74: "d", 76: "e", 77: "f", 79: "g",
         81: "a"}


def test_an_end_repeat_without_a_start_goes_back_to_the_previous_strain():
    text = "X:1\nM:2/4\nL:1/8\nK:C\nCDEF:|GABc:|\n"
    names = "".join(_NAME[n.pitch] for n in arrange(text).part("melody"))
    assert names == "CDEF" * 2 + "GABc" * 2


def test_tempo_from_q_else_by_rhythm_and_the_override_wins():
    assert arrange("X:1\nQ:1/4=96\nR:reel\nM:4/4\nK:G\nG8|\n").tempo_qpm == 96
    assert arrange("X:1\nR:reel\nM:4/4\nK:G\nG8|\n").tempo_qpm == 180
    assert arrange("X:1\nR:jig\nM:6/8\nK:G\nG6|\n").tempo_qpm == 165
    assert arrange("X:1\nQ:1/4=96\nM:4/4\nK:G\nG8|\n", PlaybackOptions(tempo_qpm=120)).tempo_qpm == 120
    midi = arrangement_midi("X:1\nQ:3/8=100\nM:6/8\nK:G\nG6|\n")
    assert mido.tempo2bpm(next(m.tempo for m in midi.tracks[0] if m.type == "set_tempo")) == pytest.approx(150)


def test_a_passage_plays_only_its_bars_and_its_loop_range_is_known():
    text = "X:1\nM:2/4\nL:1/8\nK:C\nCDEF|GABc|cBAG|FEDC|]\n"
    passage = arrange(text, PlaybackOptions(passage=(1, 2), count_in_bars=1))
    assert "".join(_NAME[n.pitch] for n in passage.part("melody")) == "GABccBAG"
    assert passage.part("melody")[0].start == 960
    whole = arrange(text)
    assert whole.passage_ms(1, 2) == (pytest.approx(whole.ms(960)), pytest.approx(whole.ms(2880)))
    timed = whole.timed_notes()
    assert timed[0].start_ms == 0 and timed[-1].bar == 3 and timed[-1].end_ms == pytest.approx(whole.ms(3840))
    with pytest.raises(ArrangementError):
        arrange(text, PlaybackOptions(passage=(2, 9)))


def test_bad_options_are_refused_with_a_reason():
    for options in (dict(accompaniment="jazz"), dict(swing=90), dict(count_in_bars=9), dict(tempo_qpm=1)):
        with pytest.raises(ArrangementError):
            arrange(REEL, PlaybackOptions(**options))
    with pytest.raises(ArrangementError, match="no notes"):
        arrange("X:1\nT:Empty\nM:4/4\nK:G\n")


@pytest.mark.skipif(find_soundfont() is None, reason="no SoundFont installed")
def test_the_wav_of_the_mix_is_not_silent_and_lasts_the_tune_plus_the_count_in(tmp_path):
    arrangement = arrange(REEL, PlaybackOptions(accompaniment="symbols", count_in_bars=1))
    pcm = render_midi_to_pcm(arrangement.to_midi(), sample_rate=44100)
    path = write_wav(pcm, tmp_path / "mix.wav", 44100)
    audio, rate = soundfile.read(str(path), dtype="int16")
    seconds = len(audio) / rate
    bar_s = arrangement.ms(1920) / 1000
    assert seconds == pytest.approx(5 * bar_s + RELEASE_TAIL_S, abs=0.05)  # 4 bars + the count-in bar + the tail
    count_in = audio[: int(bar_s * rate * 0.9)]
    assert np.abs(count_in).max() > 500  # the clicks on channel 10 sound
    music = audio[int(bar_s * rate): int(5 * bar_s * rate)]
    assert np.sqrt(np.mean(music.astype(float) ** 2)) > 300
    melody_only = render_midi_to_pcm(arrange(REEL).to_midi(), sample_rate=44100)
    chords_only = _without_track(arrangement.to_midi(), "Melody")
    assert np.abs(render_midi_to_pcm(chords_only, sample_rate=44100)).max() > 500
    assert len(melody_only) < len(pcm)


def _without_track(midi: mido.MidiFile, name: str) -> mido.MidiFile:
    """The same file with one track's notes removed (its tempo map kept)."""
    result = mido.MidiFile(type=1, ticks_per_beat=midi.ticks_per_beat)
    for track in midi.tracks:
        if track.name == name:
            track = mido.MidiTrack(m for m in track if m.is_meta or m.type != "note_on")
        result.tracks.append(track)
    return result


@pytest.mark.skipif(find_soundfont() is None, reason="no SoundFont installed")
def test_an_instrument_override_leaves_the_clicks_on_their_drum_kit():
    midi = arrange(REEL, PlaybackOptions(count_in_bars=1)).to_midi()
    count_in = int(44100 * midi.length / 5 * 0.9)
    kit = render_midi_to_pcm(midi, sample_rate=44100)[:count_in]
    overridden = render_midi_to_pcm(midi, sample_rate=44100, program=73)[:count_in]
    assert np.abs(kit).max() > 500 and np.array_equal(kit, overridden)


def test_grace_notes_sound_briefly_before_the_note_they_ornament_and_keep_the_swing():
    arrangement = arrange("X:1\nM:4/4\nL:1/8\nK:G\n{a}GA {ag}Bc d4|\n", PlaybackOptions(swing=66))
    melody = [(n.start, n.duration, n.pitch) for n in arrangement.part("melody")]
    assert melody[:3] == [(0, 60, 81), (60, 257, 67), (317, 163, 69)]
    assert melody[3:6] == [(480, 60, 81), (540, 60, 79), (600, 197, 71)]


def test_the_player_loads_an_arrangement_and_sees_every_part():
    from studio.core.sound.playback import Player
    from studio.core.sound.synth import midi_channels, midi_events

    arrangement = arrange(REEL, PlaybackOptions(accompaniment="symbols", count_in_bars=1))
    player = Player()
    player.load(arrangement.to_midi())
    assert player.duration_ms == pytest.approx(arrangement.ms(arrangement.end), abs=1)
    events = midi_events(arrangement.to_midi())
    assert midi_channels(events) == [0, 1, 2, 9]
    ons = sorted(e.time_ms for e in events if e.message.type == "note_on" and e.message.velocity)
    assert ons == pytest.approx(sorted(n.start_ms for n in arrangement.timed_notes()), abs=1)
    player.close()
