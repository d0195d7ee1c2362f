"""The critic and best-of-N: gates (invalid, near-copy) always lose, readable parts, N candidates per tune scored
and the best kept, with a tiny real model and real O'Neill tunes."""

from __future__ import annotations

import re

import pytest

from studio.core.configs import SamplingConfig
from studio.core.corpus import load_corpus
from studio.core.generation.best_of import best_of
from studio.core.generation.sampling import Sampler, SamplingError
from studio.core.quality.critic import WEIGHTS, pick_best, score_tune
from studio.core.quality.evaluation import corpus_reference
from studio.core.quality.metrics import tune_metrics


@pytest.fixture(scope="module")
def reference(oneills, tmp_path_factory):
    """Reference statistics of O'Neill's first 300 tunes (a folder corpus, measured once)."""
    folder = tmp_path_factory.mktemp("reference")
    (folder / "book.abc").write_text("\n\n".join(t.text for t in oneills.tunes[:300]) + "\n", encoding="utf-8")
    return corpus_reference(load_corpus(str(folder)))


@pytest.fixture(scope="module")
def novel(oneills, reference):
    """A real tune outside the reference corpus, valid, with every bar adding up, and no near-copy of it."""
    for tune in oneills.tunes[1500:]:
        metrics = tune_metrics(tune.text)
        if metrics.valid and metrics.bar_error_rate == 0 and not reference.novelty.is_near_copy(tune.text):
            return tune.text
    raise AssertionError("no novel tune found")


def _broken(text: str) -> str:
    """The same tune with an unclosed chord bracket and a stray slur: structurally invalid."""
    return text.rstrip("\n") + "\n[ce ((ABc]d|\n"


def test_weights_add_up_and_every_part_says_why(reference, novel):
    assert sum(WEIGHTS.values()) == 100
    score = score_tune(novel, reference, log_likelihood=-0.9)
    assert [p.name for p in score.parts] == ["structure", "novelty", "bars", "metrics", "repetition", "home",
                                             "likelihood"]
    assert all(p.reason and 0 <= p.points <= p.weight for p in score.parts)
    assert score.total == pytest.approx(sum(p.points for p in score.parts))
    assert score.acceptable and 20 <= score.total <= 100
    assert "every bar adds up" in score.part("bars").reason
    assert "nats per character" in score.part("likelihood").reason
    assert score.details().count("\n") == len(score.parts)
    without = score_tune(novel, reference)
    assert without.part("likelihood") is None
    assert without.total == pytest.approx(100 * sum(p.points for p in without.parts) / 85)


def test_an_invalid_tune_scores_below_a_valid_one(reference, novel, oneills):
    broken = _broken(novel)
    assert not tune_metrics(broken).valid
    invalid = score_tune(broken, reference, log_likelihood=-0.5)
    assert not invalid.acceptable and not invalid.part("structure").passed
    assert invalid.summary().startswith(f"score {invalid.total:.0f}: not valid ABC")
    valid = score_tune(novel, reference, log_likelihood=-0.9)
    assert invalid.total < valid.total
    # even against a poor valid tune: bars that do not add up, no repetition, an unlikely tune
    poor = "X:1\nT:Poor\nM:4/4\nL:1/8\nK:C\nC c C c C c C|C c' C c' C c' C c' C|G,2 B,2 ^F2 ^c2 g2|\n"
    poor_score = score_tune(poor, reference, log_likelihood=-3.0)
    assert poor_score.acceptable and poor_score.part("bars").points < WEIGHTS["bars"]
    assert invalid.total <= -10 < 20 <= poor_score.total
    assert pick_best([broken, poor], reference, [-0.5, -3.0])[0] == 1


def test_a_verbatim_corpus_tune_is_flagged_as_a_near_copy_and_loses(reference, novel, oneills):
    copy = oneills.tunes[10].text
    score = score_tune(copy, reference, log_likelihood=-0.6)
    novelty = score.part("novelty")
    assert not novelty.passed and "near-copy" in novelty.reason and oneills.tunes[10].title in novelty.reason
    assert score.total <= -10
    best, scores = pick_best([copy, novel], reference, [-0.6, -1.5])
    assert best == 1 and scores[0].total < scores[1].total and len(scores) == 2


def test_pick_best_keeps_the_first_of_equal_scores(reference, novel):
    best, scores = pick_best([novel, novel], reference)
    assert best == 0 and scores[0].total == scores[1].total
    with pytest.raises(ValueError):
        pick_best([], reference)


@pytest.fixture(scope="module")
def sampler(trained_run):
    return Sampler.from_checkpoint(trained_run.best_checkpoint)


def test_best_of_scores_n_candidates_per_tune_and_keeps_the_best(sampler, reference):
    config = SamplingConfig(count=2, seed=40, max_length=300, temperature=1.0)
    result = best_of(sampler, config, 3, reference)
    assert len(result.tunes) == 2 and [len(s) for s in result.scores] == [3, 3]
    assert [[c.seed for c in cands] for cands in result.candidates] == [[40, 41, 42], [43, 44, 45]]
    for i, (kept, candidates, scores) in enumerate(zip(result.tunes, result.candidates, result.scores)):
        for candidate, score in zip(candidates, scores):  # every candidate scored, with its own likelihood
            again = score_tune(candidate.text, reference, getattr(candidate, "log_likelihood", None))
            assert score.total == pytest.approx(again.total)
        chosen = result.chosen[i]
        assert scores[chosen].total == max(s.total for s in scores)
        assert kept.index == i and kept.seed == candidates[chosen].seed
        assert kept.text == re.sub(r"^X:\d+", f"X:{i + 1}", candidates[chosen].text)
        assert kept.extra["critic"]["total"] == scores[chosen].total and kept.extra["best_of"] == 3
        assert [c["seed"] for c in kept.extra["candidates"]] == [c.seed for c in candidates]


def test_best_of_one_is_plain_sampling(sampler, reference):
    config = SamplingConfig(count=3, seed=7, max_length=200)
    plain = sampler.sample(config)
    result = best_of(sampler, config, 1, reference)
    assert [t.text for t in result.tunes] == [t.text for t in plain]
    assert [t.seed for t in result.tunes] == [7, 8, 9]


def test_best_of_refuses_impossible_batches(sampler, reference):
    with pytest.raises(SamplingError):
        best_of(sampler, SamplingConfig(count=2), 0, reference)
    with pytest.raises(SamplingError, match="256"):
        best_of(sampler, SamplingConfig(count=100), 3, reference)


def test_a_tune_that_does_not_come_home_scores_lower(reference, oneills):
    """The same real tune read in the relative minor (same signature, same notes): its last note is no longer the
    tonic, and the critic says so and takes points off."""
    tune = next(t.text for t in oneills.tunes[1500:] if re.search(r"^K:G$", t.text, re.M)
                and tune_metrics(t.text).final_on_tonic and tune_metrics(t.text).strain_triad_share == 1)
    minor = re.sub(r"^K:G$", "K:Em", tune, flags=re.M)
    home, away = score_tune(tune, reference, -0.9), score_tune(minor, reference, -0.9)
    assert "ends on the tonic" in home.part("home").reason and home.part("home").points == WEIGHTS["home"]
    assert "does not end on the tonic" in away.part("home").reason
    assert away.total < home.total
