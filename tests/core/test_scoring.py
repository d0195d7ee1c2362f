"""Scoring: the trainer's validation loss reproduced, whole-tune losses, splits, unknown characters, progress."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from studio.core.abc.canonical import CANONICAL_VERSION
from studio.core.corpus import load_corpus
from studio.core.learning.training import Trainer
from studio.core.network.checkpoints import load_checkpoint
from studio.core.network.inspection import inspect_texts
from studio.core.quality.position_losses import PositionTotals
from studio.core.quality.scored_tunes import ScoringError, tunes_of_split
from studio.core.quality.scoring import TUNE_ENDING, score_corpus, score_tunes, text_losses

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "models" / "default.pt"


def test_windows_score_equals_the_trainers_validation_loss(trained_run, oneills):
    checkpoint = load_checkpoint(trained_run.best_checkpoint)
    recorded = checkpoint.metrics["best_validation_loss"]
    score = score_corpus(trained_run.best_checkpoint, oneills, "validation", "windows")
    assert score.nats_per_char == pytest.approx(recorded, rel=1e-6)
    assert score.characters == 64 * 100 and score.split == "validation"
    trainer = Trainer.resume(trained_run, corpus=oneills)
    assert score_corpus(trained_run.last_checkpoint, oneills, "validation", "windows").nats_per_char == \
        pytest.approx(trainer.validation_loss(), rel=1e-6)


def test_whole_tune_score_is_the_mean_surprise_of_every_character(trained_run, oneills):
    checkpoint = load_checkpoint(trained_run.best_checkpoint)
    model, vocabulary = checkpoint.build_model(), checkpoint.vocabulary
    tunes = tunes_of_split(oneills, "validation", checkpoint, trained_run)[:12]
    scores, unknown = score_tunes(model, vocabulary, tunes)
    assert unknown == {}
    seen = inspect_texts(model, vocabulary, [t.text + TUNE_ENDING for t in tunes])
    for score, inspection, tune in zip(scores, seen, tunes):
        assert score.characters == len(tune.text) + len(TUNE_ENDING) - 1
        assert score.bits_per_char == pytest.approx(inspection.mean_bits, rel=1e-4)
    codes = [vocabulary.encode(t.text + TUNE_ENDING) for t in tunes]
    chunked = text_losses(model, codes, characters_per_call=64)  # many time chunks, rows dropping out on the way
    assert chunked == pytest.approx([s.nats for s in scores], rel=1e-4)


def test_the_loss_by_position_adds_each_character_at_its_place_in_its_tune(trained_run, oneills):
    """The position buckets hold every predicted character once, at its place in its own tune (read in chunks with
    rows dropping out), so a bucket's figure is the mean surprise of the characters at those places."""
    checkpoint = load_checkpoint(trained_run.best_checkpoint)
    model, vocabulary = checkpoint.build_model(), checkpoint.vocabulary
    tunes = tunes_of_split(oneills, "validation", checkpoint, trained_run)[:12]
    positions = PositionTotals()
    codes = [vocabulary.encode(t.text + TUNE_ENDING) for t in tunes]
    text_losses(model, codes, characters_per_call=64, positions=positions)
    seen = inspect_texts(model, vocabulary, [t.text + TUNE_ENDING for t in tunes])
    expected_nats, expected_count = [0.0] * len(positions.nats), [0] * len(positions.nats)
    for inspection in seen:
        for place, bits in enumerate(inspection.surprise_bits[1:].tolist(), start=1):
            expected_nats[place] += bits * math.log(2)
            expected_count[place] += 1
    assert positions.characters == expected_count
    assert positions.nats == pytest.approx(expected_nats, rel=1e-3, abs=1e-6)
    rows = positions.buckets((100, 200))
    assert [label for label, _, _ in rows][:2] == ["0-100", "100-200"] and rows[2][0] == "200+"
    assert sum(count for _, _, count in rows) == sum(len(c) - 1 for c in codes)


def test_score_of_a_split_reports_progress_and_per_tune_figures(trained_run, oneills):
    seen = []
    score = score_corpus(trained_run.best_checkpoint, oneills, "validation", progress=lambda d, t: seen.append((d, t)))
    validation = tunes_of_split(oneills, "validation", load_checkpoint(trained_run.best_checkpoint), trained_run)
    assert len(score.tunes) == len(validation) == round(len(oneills.tunes) * 0.1)
    assert score.characters == sum(len(t.text) + 1 for t in validation)
    assert seen[-1][0] == seen[-1][1] == score.characters
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    hardest, easiest = score.most_surprising(5), score.least_surprising(5)
    assert len(hardest) == 5 and hardest[0].bits_per_char >= max(t.bits_per_char for t in score.tunes) - 1e-12
    assert easiest[0].bits_per_char == min(t.bits_per_char for t in score.tunes)
    assert score.bits_per_char == pytest.approx(score.nats_per_char / math.log(2))
    text = "\n".join(score.summary_lines())
    assert "most surprising" in text and hardest[0].id in text and "median" in text


def test_splits_follow_the_run_and_the_shipped_checkpoint(trained_run, oneills):
    run_checkpoint = load_checkpoint(trained_run.best_checkpoint)
    stored = trained_run.split_identity()
    assert [t.id for t in tunes_of_split(oneills, "validation", run_checkpoint, trained_run)] == \
        stored["validation_ids"]
    assert [t.id for t in tunes_of_split(oneills, "train", run_checkpoint, trained_run)] == stored["train_ids"]
    shipped = load_checkpoint(SHIPPED_MODEL)
    validation = tunes_of_split(oneills, "validation", shipped)
    train = tunes_of_split(oneills, "train", shipped)
    assert len(validation) == 200 and not {t.id for t in validation} & {t.id for t in train}
    assert len(tunes_of_split(oneills, "all", shipped)) == len(oneills.tunes)
    with pytest.raises(ScoringError, match="split"):
        tunes_of_split(oneills, "test", shipped)


def as_written_by_its_rules(tunes, raw, rules):
    """``tunes`` (canonical, today's rules) as the canonical rules ``rules`` wrote them: rules 6 only numbered every
    tune ``X:1`` (a model trained on rules 5 saw each tune's own number, spaces closed up)."""
    if rules == CANONICAL_VERSION:
        return tunes
    assert (rules, CANONICAL_VERSION) == (5, 6), "teach this test what the canonical rules changed since"
    numbers = {t.id: " ".join(t.text.split("\n", 1)[0][2:].split()) for t in raw.tunes}
    assert all(t.text.startswith("X:1\n") for t in tunes)
    return [replace(t, text=f"X:{numbers[t.id]}" + t.text[len("X:1"):]) for t in tunes]


def test_the_shipped_models_card_figure_is_reproduced(oneills):
    """The best validation loss the checkpoint records is what scoring its held-out tunes gives: for a stream run,
    the fixed subset of whole validation tunes the trainer reads; for a window run, the trainer's windows."""
    checkpoint = load_checkpoint(SHIPPED_MODEL)
    recorded, settings = checkpoint.metrics["best_validation_loss"], checkpoint.train_config
    if settings.context == "stream":
        from studio.core.learning.augmentation import tunes_in_tonic
        from studio.core.learning.tune_streams import validation_tunes
        from studio.core.text_levels import corpus_at_level

        held_out = tunes_of_split(corpus_at_level(oneills, settings.text_level), "validation", checkpoint)
        held_out = as_written_by_its_rules(held_out, oneills, checkpoint.corpus.get("canonical_rules", 5))
        held_out = tunes_in_tonic(held_out, settings.tonic)  # a one-tonic model validated on them in its key
        chosen = validation_tunes(held_out, settings.validation_windows * settings.seq_length)
        scores, _ = score_tunes(checkpoint.build_model(), checkpoint.vocabulary, chosen)
        measured = sum(s.nats for s in scores) / sum(s.characters for s in scores)
    else:
        measured = score_corpus(SHIPPED_MODEL, oneills, "validation", "windows").nats_per_char
    assert measured == pytest.approx(recorded, abs=2e-3)  # weights stored in half precision, trained under bf16


def test_unknown_characters_are_counted_never_fatal(trained_run, oneills, tmp_path):
    foreign = oneills.tunes[0].text.replace("T:", "T:Café ", 1)
    (tmp_path / "two.abc").write_text(foreign + "\n\n" + oneills.tunes[1].text.replace("|", "|€", 1) + "\n",
                                      encoding="utf-8")
    corpus = load_corpus(tmp_path / "two.abc")
    score = score_corpus(trained_run.best_checkpoint, corpus, "all")
    assert score.unknown == {"é": 1, "€": 1}
    assert score.characters == sum(len(t.text) + 1 for t in corpus.tunes) - 2
    assert "2 character(s) outside the model's vocabulary were skipped" in "\n".join(score.summary_lines())
    with pytest.raises(ScoringError, match="use split all"):
        score_corpus(trained_run.best_checkpoint, corpus, "validation")


def test_a_model_read_by_older_canonical_rules_is_told_so(trained_run, oneills, tmp_path):
    from studio.core.network.checkpoints import save_checkpoint

    (tmp_path / "two.abc").write_text(oneills.tunes[0].text + "\n\n" + oneills.tunes[1].text + "\n", encoding="utf-8")
    corpus = load_corpus(tmp_path / "two.abc")
    checkpoint = load_checkpoint(trained_run.best_checkpoint)  # the tiny run reads raw text: no rules
    assert not score_corpus(trained_run.best_checkpoint, corpus, "all").trained_rules
    told = {}
    for rules in (None, 5, CANONICAL_VERSION):
        corpus_info = {k: v for k, v in checkpoint.corpus.items() if k != "canonical_rules"}
        canonical = replace(checkpoint, train_config=replace(checkpoint.train_config, text_level="canonical"),
                            corpus={**corpus_info, **({} if rules is None else {"canonical_rules": rules})})
        path = save_checkpoint(tmp_path / f"rules-{rules}.pt", canonical)
        score = score_corpus(path, corpus, "all")
        told[rules] = score.trained_rules, "\n".join(score.summary_lines())
    assert told[None][0] == f"before {CANONICAL_VERSION}" and told[5][0] == "5" and told[CANONICAL_VERSION][0] == ""
    assert f"canonical rules 5; these tunes are read by rules {CANONICAL_VERSION}" in told[5][1]
    assert "canonical rules" not in told[CANONICAL_VERSION][1]


def test_a_model_of_a_combined_corpus_is_scored_on_its_primarys_held_out_tunes(trained_run, oneills):
    checkpoint = load_checkpoint(trained_run.best_checkpoint)
    checkpoint.corpus = {"name": "irishCombined", "identity": "of the combined corpus", "text_level": "raw"}
    held_out = tunes_of_split(oneills, "validation", checkpoint)  # a packaged model: no run folder beside it
    assert held_out == list(oneills.split(0.1, 0).validation)
    checkpoint.corpus = {"name": "ryansMammoth", "identity": "another"}
    with pytest.raises(ScoringError, match="use split all"):
        tunes_of_split(oneills, "validation", checkpoint)
