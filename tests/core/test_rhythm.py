"""The incremental rhythm state: per construct, its bar durations equal the tokenizer's; what it forbids."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from support import abc2midi_complaints, abc2midi_output
from studio.core.abc.chords import CHORD_QUALITIES
from studio.core.abc.rhythm import RhythmState
from studio.core.abc.strict_abc import CHORD_SYMBOL_CHARS, WRITTEN_CHORD_QUALITIES, written_chord_symbols
from studio.core.abc.tokenizer import scan_tune


def closed_bars(text: str) -> tuple[RhythmState, list[Fraction]]:
    """Feeds ``text``; returns the state and the duration of every bar with notes that a bar line closed."""
    state = RhythmState()
    durations = []
    for ch in text:
        bars = state.music_bars
        state.feed(ch)
        if state.music_bars != bars:
            durations.append(state.closed_duration)
    return state, durations


def tokenizer_bars(text: str) -> list[Fraction]:
    return [bar.duration for bar in scan_tune(text).bars if bar.closing]


HEADER = "X:1\nM:6/8\nL:1/8\nK:G\n"


@pytest.mark.parametrize("body", [
    "D|G2A B3|",                       # lengths, pickup
    "A/B/c d2e|a3/2b/ c'3|",           # '/', '3/2', octave mark
    "A//B//c/ d3 e2|",                 # '//'
    "B>cd c<BA|A>>B c3|",              # broken rhythm changes the previous note too
    "(3ABc (3:2:3def g3|",             # tuplets, default q and p:q:r
    "[GB]2A [Bd]/c/ B2|[G2B2]A B3|",   # chords take their first note's length
    "{ag}f3 {/g}e3|",                  # grace notes take no time
    "A3-A3|z3 x3|",                    # ties, rests
    "\"Am\"A3 \"D7\"d3|!trill!e3 ~f T.g H a|",  # chord symbols, decorations
    "(AB) (c d2) e|",                  # slurs
    "|:A3 B3:|:c6::d6|1e6:|2f6|]",     # repeats and endings
    "A3 B3|\nM:3/4\nA2 B2 c2|[M:2/4]A4|[L:1/4]A2|",  # meter and unit changes, inline and on a line
])
def test_bar_durations_agree_with_the_tokenizer(body):
    text = HEADER + body + "\n"
    state, durations = closed_bars(text)
    assert durations == tokenizer_bars(text)


@pytest.mark.parametrize("meter, unit, bar", [
    ("C", None, "A2B2 c2d2"), ("C|", None, "A4 B4"), ("3/2", "1/8", "A4 B4 c4"), ("12/8", None, "A3 B3 c3 d3"),
    ("9/8", None, "ABc d3 e3"), ("2/4", None, "A4B4"),  # 2/4 defaults to L:1/16
])
def test_headers_set_the_meter_and_unit(meter, unit, bar):
    header = f"X:1\nM:{meter}\n" + (f"L:{unit}\n" if unit else "") + "K:D\n"
    state = RhythmState().feed_text(header + bar)
    assert state.bar_full() or state.copy().feed(" ").bar_full()
    assert closed_bars(header + bar + "|")[1] == tokenizer_bars(header + bar + "|")


def allowed(text: str, ch: str) -> bool:
    state = RhythmState().feed_text(text)
    after = state.copy().feed(ch)
    return not after.forbidden and after.viable()


def test_a_full_bar_forces_the_bar_line():
    text = HEADER + "GAB c3"
    assert allowed(text, "|") and allowed(text, ":")
    assert not allowed(text, "d") and not allowed(text, " ") and not allowed(text, "\n")


def test_notes_that_overflow_the_bar_are_forbidden():
    text = HEADER + "GAB c2"
    assert allowed(text, "d")            # 'd' fills the bar exactly
    assert not allowed(text + "d", "2")  # 'd2' would overflow
    assert allowed(text + "d", "/")      # 'd/' leaves room
    assert allowed(HEADER + "GAB c2d3", "/")  # 'd3/4' or 'd3/8' would fit
    assert not allowed(HEADER + "GAB c2d3/", "2")  # 'd3/2' would not


def test_short_bars_after_the_pickup_are_forbidden():
    assert allowed(HEADER + "D", "|")           # a pickup
    assert not allowed(HEADER + "D|GAB c", "|")  # a short bar afterwards


def test_structures_must_be_closed_at_a_bar_line():
    for opened in ("GAB (c3", "GAB [c3", "GAB {g", "(3GA"):
        assert not allowed(HEADER + opened, "|"), opened
    assert not allowed(HEADER + "GAB c2d>", "|")  # a broken rhythm needs its second note


def test_chord_symbols_are_those_abc2midi_reads(tmp_path):
    # a model wrote "D2" and "Dmaj": abc2midi's "Unrecognized chord name" (4 of 100 default tunes of one model)
    assert allowed(HEADER + '"Em', '"') and allowed(HEADER + '"G/B', '"') and allowed(HEADER + '"Dmaj', "7")
    assert not allowed(HEADER + '"D2', '"') and not allowed(HEADER + '"Dmaj', '"')
    assert not allowed(HEADER + '"Dmin', '"')
    assert not allowed(HEADER + '"', '"') and not allowed(HEADER + '"D/', '"') and not allowed(HEADER + '"', "^")
    assert set(WRITTEN_CHORD_QUALITIES) <= set(CHORD_QUALITIES)  # the studio plays every chord it writes
    assert all(set(symbol) <= CHORD_SYMBOL_CHARS for symbol in written_chord_symbols())  # and can write each
    bars = "".join(f'"{symbol}"G6|' for symbol in sorted(written_chord_symbols()) if symbol.startswith(("D", "Bb")))
    assert abc2midi_complaints(HEADER + bars + "\n", tmp_path) == []


def test_a_chord_holds_at_most_four_notes():  # abc2midi: "Too many notes in chord" (a model wrote 50)
    assert allowed(HEADER + "[GBd", "g") and allowed(HEADER + "[GBd", "^")
    assert not allowed(HEADER + "[GBdg", "b") and not allowed(HEADER + "[GBdg", "^")
    assert allowed(HEADER + "[GBdg", "]")


def test_broken_rhythm_needs_equal_notes():
    assert allowed(HEADER + "A>", "B")
    assert not allowed(HEADER + "A>B", "2")


def test_header_needs_readable_meter_unit_and_key_before_the_body():
    assert not allowed("X:1\n", "K")           # no M: and L: yet
    assert not allowed("X:1\nM:", "q")
    assert allowed("X:1\nM:6/", "8")
    assert not allowed("X:1\nM:6/8\nL:1/8\nK:", "Q")
    assert allowed("X:1\nM:6/8\nL:1/8\nK:", "D")


def test_the_tune_ends_only_after_a_bar_line():
    assert not allowed(HEADER + "GAB c3|\nGAB", "\n")
    assert allowed(HEADER + "GAB c3|\n", "\n")
    assert not allowed(HEADER + "GAB c3|]", "A")


NOTES = st.sampled_from(["A", "B", "c", "d", "^f", "=e", "z", "[GB]", "{g}A", "\"G\"B", "~c", "!trill!d"])
LENGTHS = st.sampled_from(["", "2", "3", "/", "/2", "//", "3/2", "4", "6", "/4"])
ITEMS = st.one_of(
    st.tuples(NOTES, LENGTHS).map("".join),
    st.tuples(NOTES, st.sampled_from([">", "<", ">>"]), NOTES).map("".join),
    st.tuples(st.sampled_from(["(3", "(3:2:3", "(2"]), NOTES, NOTES, NOTES).map(lambda t: t[0] + "".join(t[1:4])),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(ITEMS, min_size=1, max_size=6).map(" ".join), min_size=1, max_size=5),
       st.sampled_from(["2/4", "3/4", "6/8", "C", "9/8"]))
def test_random_bars_last_what_the_tokenizer_says(bars, meter):
    text = f"X:1\nM:{meter}\nK:D\n" + "|".join(bars) + "|\n"
    assert closed_bars(text)[1] == tokenizer_bars(text)


ABC2MIDI_HEADER = "X:1\nM:4/4\nL:1/8\nK:D\n"


def abc2midi_errors(body: str, folder) -> list[str]:
    path = folder / "t.abc"
    path.write_text(ABC2MIDI_HEADER + body + "\n")
    return [line for line in abc2midi_output(path).splitlines() if line.startswith("Error")]


@pytest.mark.parametrize("before, forbidden, fine, rest", [
    (".A", ">", "A>", "E B2 c2 d2|"),     # a staccato note cannot take a broken rhythm...
    ("A>", ".", "A>", "E B2 c2 d2|"),     # ...on either side
    ("{ac}", "~", "{ac}T", "GBG A2 G2|"),  # abc2midi's roll adds grace notes: none after a grace group
    ("{ac}", "{", "{ac}", "GBG A2 G2|"),   # two grace groups on one note
    ("d>", "(3", "d>", "e d2 A2 G2|"),     # a tuplet cannot be the second note of a broken rhythm
])
def test_what_abc2midi_rejects_is_forbidden(before, forbidden, fine, rest, tmp_path):
    """Each rule stands for an abc2midi error met in strict tunes: abc2midi, the judge, confirms both sides."""
    assert not allowed(ABC2MIDI_HEADER + before + forbidden[:-1], forbidden[-1])
    completion = {".": ".E B2 c2 d2|", "~": "~GBG A2 G2|", "{": "{g}GBG A2 G2|", "(3": "(3efg A2 G2|",
                  ">": ">E B2 c2 d2|"}[forbidden]
    assert abc2midi_errors(before + completion, tmp_path)
    assert not abc2midi_errors(fine + rest, tmp_path)
    text = ABC2MIDI_HEADER + fine + rest
    start = len(ABC2MIDI_HEADER)
    assert all(allowed(text[:i], text[i]) for i in range(start, len(text)))


@pytest.mark.parametrize("meter, allowed_here", [("4/4", True), ("C", True), ("2/4", True), ("6/8", False),
                                                 ("C|", False), ("3/2", False)])
def test_a_hornpipe_is_in_two_or_four_time_and_has_no_staccato(meter, allowed_here, tmp_path):
    """abc2midi plays R:hornpipe with its own broken rhythm: it refuses other meters, and staccato notes break it."""
    header = f"X:1\nM:{meter}\nL:1/8\nR:hornpipe"
    assert allowed(header, "\n") is allowed_here
    path = tmp_path / "h.abc"
    path.write_text(header + "\nK:D\n" + ("A2B2 c2d2|" if meter != "3/2" else "A2B2 c2d2 e2f2|") + "\n")
    assert ("Hornpipe must be in 2/4 or 4/4" in abc2midi_output(path)) is not allowed_here
    if allowed_here:
        assert not allowed(header + "\nK:D\nA", ".") and allowed(header.replace("hornpipe", "reel") + "\nK:D\nA", ".")
