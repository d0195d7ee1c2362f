"""Regenerating chosen bars in place with the shipped model, on real O'Neill's tunes, abc2midi as judge."""

from collections import Counter
from fractions import Fraction

import pytest
from support import abc2midi_complaints, oneills_tune

from studio.core.abc.timeline import read_bars, ticks
from studio.core.abc.tokenizer import scan_tune
from studio.core.generation.cadence import CadenceState
from studio.core.generation.regenerate import (
    RegenerationError, read_after, regenerate, select_bars, select_characters, tune_bars, tune_strains,
)
from studio.core.network.inspection import known_characters
from studio.core.network.network_inputs import text_inputs
from studio.core.quality.scoring import TUNE_ENDING, text_losses

# the first strain of O'Neill's X:4 at the canonical level: a pickup and 8 bars
LITTLE_GIRL = ("X:4\nT:The Little Girl of my Heart\nM:4/4\nL:1/8\nK:D\n"
               "F-G|A-dd>-cd2cd|e-fgg(f2d>e)|f-d (c/2A/2G)A2c-d|e2{=fe}d2d2(^FG)|\n"
               "A-dd>-cd2cd|e-ag-ed2de|f-d(c{dc}A) (GB{cB}A>).G|F2D2D2||\n")
JIG = ("X:1\nT:Jig\nM:6/8\nL:1/8\nR:jig\nK:G\n|:GAG GBd|c2A ABc|BAG GBd|c2A A2D|\n"
       "GAG GBd|c2A ABc|BAG FGA|G3 G3:|\n|:efg gfe|d2B BAG|efg gfe|d2B B2d|\n"
       "efg gfe|d2B BAG|ABc FGA|G3 G3:|\n")


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
        assert abc2midi_complaints(candidate.text, tmp_path) == []
        # bar 8 ends the first strain: it still ends on the written G
        end = CadenceState().feed_text(candidate.text[:tune_bars(candidate.text)[7].end] + " ")
        assert end.last_pc == 7, candidate.bars
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True) and [c.rank for c in result.candidates] == list(range(1, len(scores) + 1))
    assert len({c.bars.replace(" ", "") for c in result.candidates} | {result.original.bars}) == len(scores) + 1
    assert all("nats" in c.reason for c in result.candidates)


def test_candidates_are_ranked_by_how_the_rest_of_the_tune_reads_after_them_not_by_their_own_likelihood(
        oneills, shipped_sampler):
    tune = oneills_tune(oneills, 1560)  # a validation tune: the shipped model never read it
    result = regenerate(shipped_sampler, tune, select_bars(tune, 5, 6), count=8, temperature=1.0, seed=0)
    candidates, original = result.candidates, result.original
    assert len(candidates) >= 6 and original.score == 0
    afters = [c.after for c in candidates]
    assert afters == sorted(afters, reverse=True)
    assert [c.score for c in candidates] == pytest.approx([after - original.after for after in afters])
    # the own likelihood is not scored (sampling already weighed it): scored with it, the order would differ
    assert sorted(candidates, key=lambda c: -(c.own + c.after)) != candidates
    assert all(("better" in c.reason) == (c.score >= 0) and "not scored" in c.reason for c in candidates)


def test_reading_after_a_shared_state_equals_reading_each_tune_whole(shipped_sampler):
    encode = shipped_sampler.vocabulary.encode
    primer, heads, tail = "X:1\nM:4/4\nL:1/8\nK:D\n", ["A2FA dAFA|", "d2fd e2ce|"], "d2f2 e4|]" + TUNE_ENDING
    model, vocabulary = shipped_sampler.model, shipped_sampler.vocabulary
    shared = read_after(model, encode(primer), [encode(h + tail) for h in heads], [len(h) for h in heads], vocabulary)
    texts = [primer] + [primer + h for h in heads] + [primer + h + tail for h in heads]
    whole = text_losses(model, [text_inputs(t, vocabulary, model.config.clock) for t in texts])
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


def test_a_last_bar_is_short_on_purpose_only_when_a_pickup_completes_it(oneills):
    heathy = oneills_tune(oneills, 3)  # B/2-c/2| ... |G2G>AG3|| D| ... |G2G>AG3||
    bars = tune_bars(heathy)
    assert [(b.number, heathy[b.start:b.end], b.length) for b in bars if b.pickup or b.ends_strain] == [
        (0, "B/2-c/2", Fraction(1, 8)), (8, "G2G>AG3", Fraction(7, 8)),
        (0, "D", Fraction(1, 8)), (16, "G2G>AG3", Fraction(7, 8))]
    assert all(b.length == Fraction(1) for b in bars if not (b.pickup or b.ends_strain))
    wont = oneills_tune(oneills, 9)  # the second strain ends 'A>G G>': 7/16, and its pickup B is 1/8: no whole bar
    assert [b.length for b in tune_bars(wont) if b.ends_strain] == [Fraction(3, 8), Fraction(1, 2)]
    ending = oneills_tune(oneills, 97)  # |1 ... :|2 ...||: the second ending belongs to its strain
    assert [len(strain) for strain in tune_strains(ending)] == [9, 11]


def test_a_short_last_bar_before_a_pickup_keeps_its_length_and_the_pickup_stays_bar_0(oneills, shipped_sampler,
                                                                                       tmp_path):
    tune = oneills_tune(oneills, 4)  # F-G| ... |F2D2D2|| d>c| ... |F2D2D2||
    numbers = [b.number for b in tune_bars(tune)]
    written = [b.duration for b in read_bars(tune)]
    complaints = abc2midi_complaints(tune, tmp_path)
    for first, last in ((8, 8), (7, 9), (16, 16)):
        result = regenerate(shipped_sampler, tune, select_bars(tune, first, last), count=4, temperature=1.0, seed=5)
        assert result.candidates
        for candidate in result.candidates:
            assert [b.duration for b in read_bars(candidate.text)] == written, candidate.bars
            assert [b.number for b in tune_bars(candidate.text)] == numbers
            assert not Counter(abc2midi_complaints(candidate.text, tmp_path)) - Counter(complaints), candidate.bars
