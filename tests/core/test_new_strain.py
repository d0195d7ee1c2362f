"""A new strain after the last one, with the shipped model, on real O'Neill's tunes: the last strain's form (bars,
lengths, pickup, repeat signs, endings), the tune's ending on the tonic moved to it, abc2midi as judge."""

from collections import Counter

import pytest
from support import abc2midi_complaints, oneills_tune

from studio.core.abc.keys import read_key
from studio.core.abc.timeline import read_bars
from studio.core.abc.tokenizer import scan_tune
from studio.core.generation.cadence import CadenceState
from studio.core.generation.new_strain import new_strain
from studio.core.generation.regenerate import RegenerationError, tune_strains


def durations(text: str) -> list[int]:
    return [bar.duration for bar in read_bars(text) if bar.duration]


def between(text: str, strain) -> list[str]:
    return [text[a.end:b.start] for a, b in zip(strain, strain[1:])]


@pytest.mark.parametrize("number, label", [
    (742, "a new strain (bars 17-24)"),  # Friendly Jack: AABB jig, |: :| repeats, every bar whole
    (4, "a new strain (bars 17-24)"),  # pickups, each strain's last bar short to complement them, '||'
    (97, "a new strain (bars 19-28)"),  # first and second endings
])
def test_a_new_strain_has_the_last_strains_form_and_brings_the_tune_home(oneills, shipped_sampler, tmp_path,
                                                                         number, label):
    tune = oneills_tune(oneills, number)
    strains = tune_strains(tune)
    complaints = Counter(abc2midi_complaints(tune, tmp_path))
    tonic = read_key(scan_tune(tune).fields["K"]).tonic_pitch_class
    result = new_strain(shipped_sampler, tune, count=5, temperature=1.0, seed=3)
    slot = result.selection
    assert result.original is None and slot.label() == label and slot.start == slot.end == strains[-1][-1].end
    assert len(result.candidates) >= 3
    for candidate in result.candidates:
        assert candidate.text == tune[:slot.start] + candidate.bars + tune[slot.start:]
        now = tune_strains(candidate.text)
        assert len(now) == len(strains) + 1 and between(candidate.text, now[-1]) == between(tune, strains[-1])
        # these tunes' last bars complete their last strain's pickup: the new strain has its bars' lengths
        assert durations(candidate.text) == durations(tune) + durations(tune)[-len(strains[-1]):], candidate.bars
        assert [(b.start, b.end) for b in now[-2]] == [(b.start, b.end) for b in strains[-1]]  # left as written
        end = CadenceState().feed_text(candidate.text[:now[-1][-1].end] + " ")
        assert end.last_pc == tonic, candidate.bars  # the tune now ends on the new strain's tonic
        assert not Counter(abc2midi_complaints(candidate.text, tmp_path)) - complaints, candidate.bars
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True) and [c.rank for c in result.candidates] == list(
        range(1, len(scores) + 1))
    assert all("no bars follow a new strain" in c.reason for c in result.candidates)


def test_a_new_strain_repeats_phrases_as_the_form_does(oneills, shipped_sampler):
    tune = oneills_tune(oneills, 742)
    result = new_strain(shipped_sampler, tune, count=12, temperature=1.0, seed=0)
    copies = 0
    for candidate in result.candidates:
        bars = [candidate.text[b.start:b.end] for b in tune_strains(candidate.text)[-1]]
        copies += bars[4] == bars[0]  # bar 5 as bar 1: 66% of O'Neill's 8-bar strains
    assert copies >= 3


def test_a_tune_without_bars_cannot_have_a_new_strain(shipped_sampler):
    with pytest.raises(RegenerationError, match="no bars"):
        new_strain(shipped_sampler, "X:1\nT:Empty\nM:4/4\nL:1/8\nK:D\n", count=2)


def test_a_full_last_bar_gets_no_pickup_after_it(oneills, shipped_sampler, tmp_path):
    tune = oneills_tune(oneills, 1)  # the second strain opens with a pickup, but the tune's last bar is whole
    complaints = Counter(abc2midi_complaints(tune, tmp_path))
    result = new_strain(shipped_sampler, tune, count=3, seed=7)
    assert result.candidates and result.selection.label() == "a new strain (bars 25-36)"
    for candidate in result.candidates:
        assert durations(candidate.text) == durations(tune) + [durations(tune)[-1]] * 12
        assert not Counter(abc2midi_complaints(candidate.text, tmp_path)) - complaints, candidate.bars
