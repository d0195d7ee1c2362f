"""Inspection: distributions at any temperature from one pass, surprise, readable labels, unknown characters."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
import torch

from studio.core.configs import SamplingConfig
from studio.core.generation.draw import temperature_probabilities
from studio.core.generation.sampling import Sampler
from studio.core.network.inspection import (
    character_label,
    compare_temperatures,
    entropy_bits,
    inspect_text,
    inspect_texts,
    line_and_column,
    offset_of,
)

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "models" / "default.pt"


@pytest.fixture(scope="module")
def shipped(shipped_sampler):
    return shipped_sampler


@pytest.fixture(scope="module")
def tiny(trained_run):
    return Sampler.from_checkpoint(trained_run.best_checkpoint)


@pytest.fixture(scope="module")
def tune_seen(shipped, oneills):
    return inspect_text(shipped.model, shipped.vocabulary, oneills.tunes[40].text)


def counting_forward(model):
    """Wraps the real model's forward so that calls are counted (the model itself stays the real one)."""
    calls = []
    original = model.forward

    def forward(*args, **kwargs):
        calls.append(args[0].shape)
        return original(*args, **kwargs)

    model.forward = forward
    return calls, lambda: setattr(model, "forward", original)


def shuffled_bars(text: str, seed: int) -> str:
    """The same tune with the bars of its body shuffled (header lines kept): same characters, music disordered."""
    lines = text.split("\n")
    body_start = next(i for i, line in enumerate(lines) if line.startswith("K:")) + 1
    bars = "\n".join(lines[body_start:]).split("|")
    random.Random(seed).shuffle(bars)
    return "\n".join(lines[:body_start] + ["|".join(bars)])


def test_probabilities_sum_to_one_at_every_position_and_temperature(tune_seen):
    for temperature in (0.05, 0.5, 1.0, 1.5, 5.0):
        probabilities = temperature_probabilities(tune_seen.log_probs, temperature)
        assert torch.allclose(probabilities.sum(dim=-1), torch.ones(len(tune_seen.offsets)), atol=1e-5)
        chart = tune_seen.distribution_at(100, temperature)
        assert math.isclose(sum(chart.probabilities), 1.0, abs_tol=1e-5)


def test_low_temperature_concentrates_and_high_temperature_flattens(tune_seen, shipped):
    top_mass = temperature_probabilities(tune_seen.log_probs, 0.05).max(dim=-1).values
    top_mass_at_1 = temperature_probabilities(tune_seen.log_probs, 1.0).max(dim=-1).values
    assert bool((top_mass >= top_mass_at_1 - 1e-6).all())  # cooling never spreads the mass out
    assert float(top_mass.median()) > 0.999 and float(top_mass.mean()) > 0.95 > float(top_mass_at_1.mean())
    uniform_bits = math.log2(len(shipped.vocabulary))
    hot = float(tune_seen.entropy_along(5.0).mean())
    assert hot > 0.9 * uniform_bits, (hot, uniform_bits)
    assert float(tune_seen.entropy_along(1.0).mean()) < 0.5 * hot
    size = len(shipped.vocabulary)
    assert float(entropy_bits(torch.full((size,), 1 / size))) == pytest.approx(uniform_bits, abs=1e-4)


def test_a_real_tune_surprises_the_model_less_than_its_bars_shuffled(shipped, oneills):
    tunes = [oneills.tunes[i].text for i in range(100, 1900, 300)]
    texts = tunes + [shuffled_bars(text, seed=i) for i, text in enumerate(tunes)]
    seen = inspect_texts(shipped.model, shipped.vocabulary, texts)
    real = [s.mean_bits for s in seen[: len(tunes)]]
    shuffled = [s.mean_bits for s in seen[len(tunes):]]
    assert sum(real) / len(real) < sum(shuffled) / len(shuffled) - 0.1, (real, shuffled)
    assert sum(r < s for r, s in zip(real, shuffled)) >= len(tunes) - 1


def test_one_forward_pass_per_batch_and_batching_changes_nothing(tiny, oneills):
    texts = [oneills.tunes[i].text for i in range(5)]
    calls, restore = counting_forward(tiny.model)
    try:
        batched = inspect_texts(tiny.model, tiny.vocabulary, texts, batch_size=2)
        assert len(calls) == 3
        calls.clear()
        inspect_texts(tiny.model, tiny.vocabulary, texts)
        assert len(calls) == 1 and calls[0][0] == 5
        calls.clear()
        alone = [inspect_text(tiny.model, tiny.vocabulary, text) for text in texts]
        assert len(calls) == 5
    finally:
        restore()
    for one, other in zip(batched, alone):
        assert one.offsets == other.offsets
        assert torch.allclose(one.log_probs, other.log_probs, atol=1e-5)


def test_surprise_is_minus_log2_of_the_written_character(tiny, oneills):
    text = oneills.tunes[3].text
    seen = inspect_text(tiny.model, tiny.vocabulary, text)
    assert tiny.vocabulary.chars  # the text is fed from its first character: that one has no prediction
    assert seen.distribution_at(0) is None and seen.surprise_by_offset()[0] is None
    assert seen.predicted_count == len(text) - 1
    for offset in (1, 17, len(text) - 1):
        chart = seen.distribution_at(offset, 1.0)
        assert chart.written == text[offset]
        assert -math.log2(chart.written_probability) == pytest.approx(seen.surprise_by_offset()[offset], abs=1e-3)
        assert [c.probability for c in chart.top] == sorted((c.probability for c in chart.top), reverse=True)
    at_end = seen.distribution_at(len(text), 0.8)
    assert at_end.written is None and at_end.written_probability is None
    bits = [b for b in seen.surprise_by_offset() if b is not None]
    assert seen.mean_bits == pytest.approx(sum(bits) / len(bits), rel=1e-5)
    assert seen.surprise_of_span(0, len(text)) == pytest.approx(sum(bits), rel=1e-5)
    assert seen.surprise_of_span(17, 19) == pytest.approx(sum(seen.surprise_by_offset()[17:19]), rel=1e-5)


def test_the_first_character_is_predicted_as_the_sampler_would_continue(tiny):
    """Feeding matches sampling: the distribution after the primer is the one the sampler draws its first
    character from (state zero, no start character)."""
    primer = "X:1\nT:"
    seen = inspect_text(tiny.model, tiny.vocabulary, primer)
    tune = tiny.sample(SamplingConfig(temperature=0.05, seed=3, primer=primer, max_length=1))[0]
    best = seen.distribution_at(len(primer), 1.0).top[0].char
    assert tune.text.startswith(primer + best) or (best == "\n" and tune.text.startswith(primer))


def test_most_surprising_places_have_line_column_and_labels(tune_seen):
    places = tune_seen.most_surprising(5)
    assert len(places) == 5 and places[0].bits >= places[-1].bits
    surprise = tune_seen.surprise_by_offset()
    for place in places:
        assert tune_seen.text[offset_of(tune_seen.text, place.line, place.column)] == place.char
        assert surprise[place.offset] == pytest.approx(place.bits)
        assert place.label == character_label(place.char)
    assert max(b for b in surprise if b is not None) == pytest.approx(places[0].bits)
    assert any(line.lstrip().startswith(f"{places[0].line}:{places[0].column}") for line in tune_seen.summary_lines())


def test_unknown_characters_are_skipped_counted_and_reported(tiny, oneills):
    text = oneills.tunes[7].text
    with_foreign = text[:30] + "é" + text[30:60] + "€é" + text[60:]
    seen = inspect_text(tiny.model, tiny.vocabulary, with_foreign)
    assert seen.unknown == {"é": 2, "€": 1} and seen.unknown_count == 3
    surprise = seen.surprise_by_offset()
    assert surprise[30] is None and surprise[61] is None and surprise[62] is None
    plain = inspect_text(tiny.model, tiny.vocabulary, text)
    assert torch.allclose(seen.log_probs, plain.log_probs, atol=1e-6)  # read as if they were not there
    assert seen.distribution_at(30).written == "é" and seen.distribution_at(30).written_probability is None
    assert "3 character(s) the model never saw were skipped" in seen.summary_lines()[-1]
    nothing_known = inspect_text(tiny.model, tiny.vocabulary, "éé")
    assert nothing_known.predicted_count == 0 and math.isnan(nothing_known.mean_bits)


def test_readable_labels_and_positions():
    assert character_label("|") == "bar line"
    assert character_label("\n") == "new line"
    assert character_label(" ") == "space"
    assert character_label("c") == "note C5" and character_label("C") == "note C4"
    assert character_label(",") == "octave down mark" and character_label("'") == "octave up mark"
    text = "X:1\nK:D\nabc|"
    assert line_and_column(text, 8) == (3, 1) and offset_of(text, 3, 4) == 11
    with pytest.raises(ValueError):
        offset_of(text, 9, 1)


def test_same_seed_at_three_temperatures(tiny):
    compared = compare_temperatures(tiny, seed=4, max_length=300)
    assert [c.temperature for c in compared] == [0.5, 1.0, 1.5]
    alone = tiny.sample(SamplingConfig(temperature=1.0, seed=4, max_length=300))[0]
    assert compared[1].text == alone.text
    assert compared[0].mean_entropy_bits < compared[1].mean_entropy_bits < compared[2].mean_entropy_bits
    for tune in compared:
        assert tune.metrics.valid == tune.validation.structurally_valid
        assert tune.bars_all_correct == (tune.validation.bars_failed == 0)
        assert tune.mean_surprise_bits > 0


def test_distribution_lines_for_a_terminal_mark_the_written_character(tune_seen):
    surprise = tune_seen.surprise_by_offset()
    surest = min((b, i) for i, b in enumerate(surprise) if b is not None)[1]
    lines = tune_seen.distribution_lines(surest, (1.0, 0.5))
    line, column = line_and_column(tune_seen.text, surest)
    assert lines[0].startswith(f"{line}:{column}, written") and "T=0.5" in lines[0]
    assert len(lines) == 16 and lines[1].endswith("<-")
    assert "no prediction" in tune_seen.distribution_lines(0)[0]


def test_strict_bars_forbid_every_note_once_a_bar_is_full(shipped):
    """At the '|' closing a full 4/4 bar the strict rule forbids every note (the bar has no room), so the forbidden
    share is at least the notes' mass and at most everything but the bar line; mid-bar, '|' itself is forbidden."""
    text = "X:1\nT:Test\nM:4/4\nL:1/8\nK:D\nabcd efga|bagf edcB|A2F2 D4|\n"
    seen = inspect_text(shipped.model, shipped.vocabulary, text)
    full = text.index("|")
    chars = shipped.vocabulary.chars
    for temperature in (0.5, 1.0, 1.5):
        chart = seen.distribution_at(full, temperature)
        notes = sum(p for ch, p in zip(chars, chart.probabilities) if ch in "abcdefgABCDEFG")
        share = seen.strict_forbidden_share(full, temperature)
        assert notes - 1e-6 <= share <= 1 - chart.probabilities[chars.index("|")] + 1e-6
    # after '|bagf e' in the second bar: a bar line here would close a short bar (the first bar may be a pickup)
    mid_bar = full + len("|bagf e")
    chart = seen.distribution_at(mid_bar, 1.0)
    notes = sum(p for ch, p in zip(chars, chart.probabilities) if ch in "abcdefgABCDEFG")
    assert chart.probabilities[chars.index("|")] - 1e-6 <= seen.strict_forbidden_share(mid_bar) <= 1 - notes + 1e-6
    assert notes > 0.5  # the model expects a note here, and strict bars allow every note
    assert seen.strict_forbidden_share(0) is None
    no_meter = inspect_text(shipped.model, shipped.vocabulary, "X:1\nM:none\nK:D\nabc|")
    assert no_meter.strict_forbidden_share(len(no_meter.text) - 1) is None
