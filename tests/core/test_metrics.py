"""Quality metrics on real O'Neill tunes (NOTES.md reference ranges), novelty, and set comparisons."""

from __future__ import annotations

import random

import pytest

from studio.core.quality.metrics import real_vs_real_baseline, reference_ranges, set_metrics, tune_metrics
from studio.core.quality.novelty import NEAR_COPY_THRESHOLD, NoveltyIndex

# NOTES.md, O'Neill's 1850: median and [5th, 95th] percentiles.
NOTES_REFERENCE = {
    "pitch_range": (13, 18, 24), "distinct_pitch_classes": (6, 7, 9), "pitch_class_entropy": (2.43, 2.67, 2.85),
    "mean_abs_interval": (1.94, 2.45, 3.28), "step_rate": (0.35, 0.55, 0.72), "leap_rate": (0.03, 0.10, 0.22),
    "dissonant_leap_rate": (0, 0, 0.027), "repeated_bar_share": (0.06, 0.25, 0.44),
}


@pytest.fixture(scope="module")
def sample(oneills):
    return random.Random(3).sample([t.text for t in oneills.tunes], 600)


def test_real_tunes_match_the_reference_ranges(sample):
    ranges = reference_ranges(sample)
    for name, (low, median, high) in NOTES_REFERENCE.items():
        p5, our_median, p95 = ranges[name]
        assert abs(our_median - median) <= 0.1 * max(median, 1), (name, ranges[name])
        assert low - 0.1 * max(high, 1) <= p5 <= our_median <= p95 <= high + 0.1 * max(high, 1), (name, ranges[name])


def test_tune_metrics_of_a_real_tune(sample):
    metrics = tune_metrics(sample[0])
    values = metrics.as_dict()
    assert metrics.valid and metrics.note_count > 30 and metrics.sections >= 1
    assert 0.8 <= metrics.in_key_rate <= 1 and "pitch_class_histogram" not in values


def test_novelty_index_finds_copies_and_not_strangers(sample):
    index = NoveltyIndex(sample[:300])
    assert index.max_similarity(sample[5]) == 1.0 and index.is_near_copy(sample[5])
    lines = sample[5].split("\n")
    edited = "\n".join(lines[:-1] + [lines[-1][:-8] + "z8|"])
    assert index.max_similarity(edited) >= NEAR_COPY_THRESHOLD
    strangers = [index.max_similarity(t) for t in sample[300:400]]
    assert sum(s < NEAR_COPY_THRESHOLD for s in strangers) >= 90


def _shuffled(tune: str, rng: random.Random) -> str:
    header, _, body = tune.partition("\nK:")
    key, _, music = body.partition("\n")
    chars = list(music)
    rng.shuffle(chars)
    return f"{header}\nK:{key}\n{''.join(chars)}"


def test_real_against_real_overlaps_and_shuffled_characters_do_not(sample):
    baseline = real_vs_real_baseline(sample[:400])
    assert baseline.mean_overlap > 0.85 and baseline.validity_rate > 0.9
    assert baseline.pitch_class_js < 0.1 and baseline.interval_js < 0.1
    rng = random.Random(0)
    shuffled = set_metrics([_shuffled(t, rng) for t in sample[:200]], sample[200:400])
    assert shuffled.mean_overlap < baseline.mean_overlap - 0.2
    assert shuffled.validity_rate < 0.2 and shuffled.bar_correct_rate < 0.2
    assert shuffled.interval_js > 3 * baseline.interval_js


@pytest.mark.parametrize("text", ["", "a99999999", "\x00" * 100, "]]][[[", "x" * 1_000_000])
def test_hostile_inputs_give_metrics(text):
    metrics = tune_metrics(text)
    assert not metrics.valid


def test_bars_without_pitched_notes_are_not_repeats():
    rests_only = "X:1\nM:4/4\nL:1/8\nK:D\nz8|z8|z8|z8|z8|z8|\n"
    assert tune_metrics(rests_only).repeated_bar_share == 0.0
