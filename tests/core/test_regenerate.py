"""Regenerating chosen bars in place with the shipped model, on real O'Neill's tunes, abc2midi as judge."""

import subprocess

import pytest

from studio.core.abc.timeline import read_bars, ticks
from studio.core.abc.tokenizer import scan_tune
from studio.core.generation.cadence import CadenceState
from studio.core.generation.regenerate import (
    RegenerationError, read_after, regenerate, select_bars, select_characters, tune_bars,
)
from studio.core.network.inspection import known_characters
from studio.core.quality.scoring import TUNE_ENDING, text_losses

# the first strain of O'Neill's X:4 at the canonical level: a pickup and 8 bars
LITTLE_GIRL = ("X:4\nT:The Little Girl of my Heart\nM:4/4\nL:1/8\nK:D\n"
               "F-G|A-dd>-cd2cd|e-fgg(f2d>e)|f-d (c/2A/2G)A2c-d|e2{=fe}d2d2(^FG)|\n"
               "A-dd>-cd2cd|e-ag-ed2de|f-d(c{dc}A) (GB{cB}A>).G|F2D2D2||\n")
JIG = ("X:1\nT:Jig\nM:6/8\nL:1/8\nR:jig\nK:G\n|:GAG GBd|c2A ABc|BAG GBd|c2A A2D|\n"
       "GAG GBd|c2A ABc|BAG FGA|G3 G3:|\n|:efg gfe|d2B BAG|efg gfe|d2B B2d|\n"
       "efg gfe|d2B BAG|ABc FGA|G3 G3:|\n")


def abc2midi_lines(text: str, folder) -> list[str]:
    path = folder / "tune.abc"
    path.write_text(text)
    out = subprocess.run(["abc2midi", str(path), "-c"], capture_output=True, text=True, timeout=60, cwd=folder)
    return [line for line in (out.stdout + out.stderr).splitlines()
            if line.startswith("Error") or "time units" in line]


def test_bars_are_numbered_as_musicians_count_them():
    pickup = tune_bars(LITTLE_GIRL)[0]
    assert pickup.number == 0 and LITTLE_GIRL[pickup.start:pickup.end] == "F-G"
    bars = tune_bars(JIG)
    assert [JIG[b.start:b.end] for b in bars if b.number in (5, 8)] == ["GAG GBd", "G3 G3"]
    assert [b.number for b in bars if b.ends_strain] == [8, 16]
    fifth = select_bars(LITTLE_GIRL, 6, 5)
    assert (fifth.first, fifth.last) == (5, 6)
    assert LITTLE_GIRL[fifth.start:fifth.end] == "A-dd>-cd2cd|e-ag-ed2de"


def test_a_selection_that_is_not_whole_bars_is_widened_and_says_so():
    start = LITTLE_GIRL.index("cd2cd|e-ag") + 3
    widened = select_characters(LITTLE_GIRL, start, start + 5)  # "2cd|e": parts of bars 5 and 6
    assert (widened.first, widened.last) == (5, 6) and "widened to whole bars: bars 5-6" in widened.note
    whole = select_characters(LITTLE_GIRL, widened.start, widened.end)
    assert whole.note == ""
    assert "pickup" in select_bars(LITTLE_GIRL, 0, 1).note


def test_meters_strict_sampling_cannot_count_are_refused_clearly(shipped_sampler):
    free = LITTLE_GIRL.replace("M:4/4", "M:none")
    with pytest.raises(RegenerationError, match="meter"):
        regenerate(shipped_sampler, free, select_bars(free, 5, 6), count=2)
    with pytest.raises(RegenerationError, match="bars 1-8, not 20-21"):
        select_bars(LITTLE_GIRL, 20, 21)


def test_candidates_fill_the_bars_keep_the_rest_and_are_ranked_by_what_follows(shipped_sampler, tmp_path):
    result = regenerate(shipped_sampler, JIG, select_bars(JIG, 7, 9), count=6, temperature=1.0, seed=3)
    assert result.candidates and result.original.bars == "BAG FGA|G3 G3:|\n|:efg gfe"
    bars_before = tune_bars(JIG)
    meter = ticks(scan_tune(JIG).meter)
    for candidate in result.candidates:
        assert candidate.text.startswith(JIG[:bars_before[6].start]) and candidate.text.endswith(JIG[bars_before[8].end:])
        assert ":|\n|:" in candidate.bars  # the repeat inside the selection is kept as written
        written = read_bars(candidate.text)
        assert [b.duration for b in written] == [b.duration for b in read_bars(JIG)]
        assert all(written[i].duration == meter for i in (6, 7, 8))
        assert abc2midi_lines(candidate.text, tmp_path) == []
        # bar 8 ends the first strain: it still ends on the written G
        end = CadenceState().feed_text(candidate.text[:tune_bars(candidate.text)[7].end] + " ")
        assert end.last_pc == 7, candidate.bars
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True) and [c.rank for c in result.candidates] == list(range(1, len(scores) + 1))
    assert len({c.bars.replace(" ", "") for c in result.candidates} | {result.original.bars}) == len(scores) + 1
    assert all("nats" in c.reason for c in result.candidates)


def test_reading_after_a_shared_state_equals_reading_each_tune_whole(shipped_sampler):
    encode = shipped_sampler.vocabulary.encode
    primer, heads, tail = "X:1\nM:4/4\nL:1/8\nK:D\n", ["A2FA dAFA|", "d2fd e2ce|"], "d2f2 e4|]" + TUNE_ENDING
    shared = read_after(shipped_sampler.model, encode(primer), [encode(h + tail) for h in heads],
                        [len(h) for h in heads])
    whole = text_losses(shipped_sampler.model, [encode(primer)] + [encode(primer + h) for h in heads]
                        + [encode(primer + h + tail) for h in heads])
    for i, (own, after) in enumerate(shared):
        assert own == pytest.approx(whole[0] - whole[1 + i], abs=1e-3)
        assert after == pytest.approx(whole[1 + i] - whole[3 + i], abs=1e-3)


def test_the_model_reads_no_comment_lines_nor_fields_it_never_saw(shipped_sampler):
    text = "X:1\n% generated by ABC Studio: seed 3\nT:Tune\nN:from a book\nM:4/4\nL:1/8\nK:D\nA2FA dAFA|\n"
    offsets, unknown = known_characters(text, shipped_sampler.vocabulary)
    read = "".join(text[i] for i in offsets)
    assert read == "X:1\nT:Tune\nM:4/4\nL:1/8\nK:D\nA2FA dAFA|\n" and unknown == {}


def test_one_bar_ending_a_strain_keeps_its_cadence(shipped_sampler):
    result = regenerate(shipped_sampler, JIG, select_bars(JIG, 8), count=6, temperature=1.5, seed=11)
    assert result.candidates
    for candidate in result.candidates:
        end = CadenceState().feed_text(candidate.text[:tune_bars(candidate.text)[7].end] + " ")
        assert end.last_pc == 7, candidate.bars  # G, as written
