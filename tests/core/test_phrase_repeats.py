"""Phrase repeats: the chances are O'Neill's, the rules pick the right bars, and strict tunes repeat like the corpus."""

from __future__ import annotations

import statistics

import pytest

from studio.core.abc.validate import validate_tune
from studio.core.configs import SamplingConfig
from studio.core.generation.phrase_repeats import RULES, measure_chances, source_bar
from studio.core.quality.metrics import tune_metrics

#: The corpus's 5-95% band of the repeated-bar share (model card, O'Neill's).
CORPUS_BAND = (0.06, 0.44)


def test_the_chances_are_the_ones_measured_on_oneills(oneills):
    measured = measure_chances(tune.text for tune in oneills.tunes)
    for rule in RULES:
        if rule.strains_back:
            name = f"{rule.position}<-prev {rule.position}"
        else:
            name = f"{rule.position}<-{rule.source}"
        assert measured[name] == pytest.approx(rule.chance, abs=0.015), name
        if rule.chance_after_copy is not None:
            assert measured[name + " after copy"] == pytest.approx(rule.chance_after_copy, abs=0.015), name


def test_the_rules_pick_bars_of_the_same_strain_and_group():
    always, never = (lambda: 0.0), (lambda: 0.999)
    assert [source_bar(n, 8, {}, always) for n in range(1, 9)] == [None, None, 1, None, 1, 2, 3, 4]
    assert [source_bar(n, 8, {}, never) for n in range(1, 17)] == [None] * 16
    assert source_bar(13, 8, {}, always) == 9  # second strain, bar 5: its own bar 1
    assert source_bar(13, 16, {}, always) == 9  # 16-bar strain: the second group of 8 repeats within itself
    draws = iter([0.9, 0.4])  # bar 7: not its bar 3 (0.9 >= 0.06), nor the first strain's bar 7 (0.4 >= 0.32)
    assert source_bar(15, 8, {}, lambda: next(draws)) is None
    draws = iter([0.9, 0.1])
    assert source_bar(15, 8, {}, lambda: next(draws)) == 7


def test_a_phrase_carried_on_is_more_likely():
    """Bar 6 copies bar 2 with 0.59 after bar 5 copied bar 1, with 0.18 otherwise: a draw of 0.3 tells them apart."""
    assert source_bar(6, 8, {5: 1}, lambda: 0.3) == 2
    assert source_bar(6, 8, {}, lambda: 0.3) is None


@pytest.fixture(scope="module")
def shipped(shipped_sampler):
    return shipped_sampler


def test_strict_tunes_repeat_bars_as_the_corpus_does(shipped):
    config = SamplingConfig(count=8, seed=0, temperature=1.0)
    tunes = shipped.sample(config)
    shares = [tune_metrics(tune.text).repeated_bar_share for tune in tunes]
    assert CORPUS_BAND[0] <= statistics.median(shares) <= CORPUS_BAND[1], shares
    for tune in tunes:
        report = validate_tune(tune.text)
        assert report.structurally_valid and report.bar_error_rate == 0, tune.text
    without = shipped.sample(SamplingConfig(count=8, seed=0, temperature=1.0, phrase_repeats=False))
    assert statistics.median(tune_metrics(t.text).repeated_bar_share for t in without) < statistics.median(shares)
