"""The score cursor: verovio's engraved note ids mapped onto the arrangement's notes (real verovio, real tunes)."""

from __future__ import annotations

from studio.core.abc.timeline import read_bars, strain_ranges
from studio.core.engraving.score_cursor import ScoreCursor, engraved_id
from studio.core.sound.arrangement import PlaybackOptions, arrange

# repeats, first and second endings, a second strain repeated: no ties or grace notes, so every engraved note sounds
REPEATS = """X:1
T:Repeats and endings
R:hornpipe
M:4/4
L:1/8
K:G
|:GABc dedB|cBAG FGAB|1 cBAG FGAF:|2 cBAG G4||
|:gfed cBAG|ABcd efga:|
"""


def test_the_cursor_follows_repeats_swing_and_count_in_onto_the_engraved_ids(renderer):
    rendering = renderer.render(REPEATS).raise_for_error()
    options = PlaybackOptions(accompaniment="auto", swing=66, count_in_bars=1, transpose=2, metronome=True)
    arrangement = arrange(REPEATS, options)
    cursor = ScoreCursor.for_timemap(arrangement, rendering.timemap)
    # the engraved notes in written order (verovio's ids, first time each sounds): A (16), ending 1 (8), ending 2
    # (5), B (16); played: A, ending 1, A, ending 2, B, B (verovio itself plays ending 1 twice)
    written = list(dict.fromkeys(engraved_id(i) for event in rendering.timemap for i in event.on))
    assert len(written) == 45
    expected = written[:24] + written[:16] + written[24:29] + written[29:] * 2
    melody = [n for n in arrangement.notes if n.part == "melody"]
    lit = [cursor.ids_at(arrangement.ms(n.start) + 0.5) for n in melody]
    assert [ids for ids in lit if len(ids) != 1] == []
    assert [ids[0] for ids in lit] == expected
    assert cursor.ids_at(arrangement.ms(arrangement.music_start) - 1) == []  # the count-in lights nothing
    # swing moved the off-beat eighths: the cursor follows the arranged time, not verovio's straight time
    off_beat = melody[1]
    assert arrangement.ms(off_beat.start) > arrangement.ms(arrangement.music_start) + arrangement.ms(240)


def test_strains_keep_their_endings():
    assert strain_ranges(read_bars(REPEATS)) == [(0, 3), (4, 5)]


def test_a_pickup_bar_leads_into_its_strain():
    tune = "X:1\nM:6/8\nL:1/8\nK:G\nD|:GAB c2d|e3 d2B:|\n|:g2e d2B|A3 G3:|\n"
    assert strain_ranges(read_bars(tune)) == [(0, 2), (3, 4)]
