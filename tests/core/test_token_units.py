"""The unit a model reads (``TrainConfig.units``): ABC tokens cut and joined back exactly on real tunes, a token
model that trains, checkpoints, resumes to the same curve, is scored per melody note as a character model is, and
samples freely; the character-only features refuse it with a clear message."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.core.abc.units import abc_tokens
from studio.core.configs import SamplingConfig, TrainConfig, preset
from studio.core.corpus import load_corpus
from studio.core.generation.regenerate import RegenerationError, regenerate, select_bars
from studio.core.generation.sampling import Sampler, SamplingError
from studio.core.learning.experiment_spec import ExperimentSpec, parse_values
from studio.core.learning.experiments import run_experiment
from studio.core.learning.training import Trainer
from studio.core.network.checkpoints import load_checkpoint
from studio.core.network.inspection import inspect_text
from studio.core.network.token_vocabulary import CharactersOnly, TokenVocabulary
from studio.core.network.vocabulary import Vocabulary
from studio.core.quality.scored_tunes import tunes_of_split
from studio.core.quality.scoring import TUNE_ENDING, score_corpus
from studio.core.runs import RunStore
from studio.core.text_levels import corpus_at_level
from support import oneills_first_file
from test_training import Recorder

ABC_PIECES = ["X:1\n", "T:A title\n", "M:6/8\n", "K:Gmaj\n", "^c'3/2", "_B,", "z2", "|", ":|", "|:", "||", "|]",
              "[1", "[2", "::", ">", "<", "(3", '"Am"', "~", "!trill!", "\n", " ", "[K:D]", "{g}", "[ceg]", "-",
              "(", ")", "%comment\n", "\\\n", "y", "!", "é", "\t"]


def test_tokens_join_back_to_every_tune_of_oneills():
    for corpus in (load_corpus("oneills1850"), corpus_at_level(load_corpus(oneills_first_file()), "canonical")):
        for tune in corpus.tunes:
            assert "".join(abc_tokens(tune.text)) == tune.text, tune.id


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(ABC_PIECES), st.text(max_size=4)), max_size=40))
def test_tokens_join_back_to_any_text(pieces):
    text = "".join(pieces)
    assert "".join(abc_tokens(text)) == text


def test_a_note_with_its_length_a_bar_and_a_field_are_one_token_each():
    text = 'X:12\nT:Bo\nM:6/8\nK:Gmaj\n"Am"^c\'3/2 z2>B,|:(3ABc [1d:|\n'
    assert abc_tokens(text) == ["X:", "1", "2", "\n", "T:", "B", "o", "\n", "M:6/8", "\n", "K:Gmaj", "\n", '"Am"',
                                "^c'3/2", " ", "z2", ">", "B,", "|:", "(3", "A", "B", "c", " ", "[1", "d", ":|", "\n"]


def _token_trainer(corpus, tiny_configs, store=None, listener=None, **overrides):
    model_config, train_config = tiny_configs(overrides.pop("iterations", 30), units="tokens", precision="fp32",
                                              **overrides)
    return Trainer.new(corpus, model_config, train_config, store, listener=listener)


@pytest.fixture(scope="module")
def first_file():
    return load_corpus(oneills_first_file())


def test_a_token_model_reads_fewer_units_and_keeps_its_vocabulary(first_file, store, tiny_configs):
    characters = Trainer.new(first_file, *tiny_configs(3, precision="fp32"))
    trainer = _token_trainer(first_file, tiny_configs, store, iterations=3)
    assert isinstance(trainer.vocabulary, TokenVocabulary) and "|:" in trainer.vocabulary
    assert len(trainer.batches.data) < 0.8 * len(characters.batches.data)
    # the streams know each tune's length in tokens
    tune = trainer.split.train[0]
    assert trainer.batches.streams.lengths[0] == len(abc_tokens(tune.text + TUNE_ENDING))
    result = trainer.run()
    assert result.reason == "finished"
    checkpoint = load_checkpoint(result.run.last_checkpoint)
    assert checkpoint.vocabulary == trainer.vocabulary and checkpoint.train_config.units == "tokens"
    assert result.run.meta()["vocabulary"] == list(trainer.vocabulary.tokens)


def test_checkpoints_from_before_units_load_as_characters(trained_run):
    assert TrainConfig.from_dict({}).units == "characters" and TrainConfig().units == "characters"
    checkpoint = load_checkpoint(trained_run.last_checkpoint)
    assert isinstance(checkpoint.vocabulary, Vocabulary) and checkpoint.train_config.units == "characters"


def test_a_token_run_resumes_to_the_same_curve(first_file, store, tiny_configs):
    options = dict(checkpoint_interval=10, validation_interval=10, lr_schedule="cosine")
    straight = Recorder()
    _token_trainer(first_file, tiny_configs, listener=straight, **options).run()
    holder = {}
    first = Recorder(on_step=lambda step: step == 17 and holder["trainer"].stop())
    holder["trainer"] = _token_trainer(first_file, tiny_configs, store, first, **options)
    holder["trainer"].run()
    second = Recorder()
    resumed = Trainer.resume(store.list()[0], listener=second)
    assert isinstance(resumed.vocabulary, TokenVocabulary) and resumed.step == 17
    assert resumed.run().steps_done == 30
    for step in range(18, 31):
        assert second.losses[step] == pytest.approx(straight.losses[step], rel=1e-5, abs=1e-6)
    assert second.validations == pytest.approx({k: v for k, v in straight.validations.items() if k > 17})


@pytest.fixture(scope="module")
def token_run(first_file, tmp_path_factory):
    model_config, train_config = preset("tiny")
    train_config = replace(train_config, iterations=40, units="tokens", precision="fp32")
    trainer = Trainer.new(first_file, model_config, train_config, RunStore(tmp_path_factory.mktemp("tokens")))
    return trainer.run().run


def test_a_tunes_score_is_the_sum_of_its_tokens_surprises_over_its_melody_notes(first_file, token_run, trained_run):
    """Per melody note compares units: the nats of every unit of the tune after its first, over the same notes."""
    checkpoint = load_checkpoint(token_run.last_checkpoint)
    scored = score_corpus(token_run.last_checkpoint, first_file, run=token_run)
    assert scored.units == "tokens" and not scored.unknown
    tunes = tunes_of_split(first_file, "validation", checkpoint, token_run)
    model, vocabulary = checkpoint.build_model(), checkpoint.vocabulary
    for tune, tune_score in zip(tunes, scored.tunes):
        codes = torch.tensor([vocabulary.encode(tune.text + TUNE_ENDING)])
        with torch.no_grad():
            log_probs = torch.log_softmax(model(codes)[0][0, :-1].float(), dim=-1)
        nats = -float(log_probs.gather(1, codes[0, 1:, None]).sum())
        assert tune_score.nats == pytest.approx(nats, rel=1e-4)
        assert tune_score.characters == len(abc_tokens(tune.text + TUNE_ENDING)) - 1
    assert scored.nats_per_note == pytest.approx(sum(t.nats for t in scored.tunes) / scored.notes)
    # a character model on the same tunes divides by the same melody notes
    characters = score_corpus(trained_run.last_checkpoint, first_file, split="all")
    assert score_corpus(token_run.last_checkpoint, first_file, split="all").notes == characters.notes > 0


def test_a_token_model_samples_free_tunes_as_text(token_run):
    sampler = Sampler.from_checkpoint(token_run.last_checkpoint)
    chunks: list[str] = []
    tunes = sampler.sample(SamplingConfig(count=2, seed=3, bars="free", max_length=300),
                           on_text=lambda i, unit: i == 0 and chunks.append(unit))
    assert tunes[0].text.startswith("X:1\n") and len(tunes[0].text) > 20
    assert all(chunk in sampler.vocabulary for chunk in chunks[1:])  # one token at a time after the primer
    again = sampler.sample(SamplingConfig(count=1, seed=3, bars="free", max_length=300))
    assert again[0].text == tunes[0].text


def test_character_only_features_refuse_a_token_model_clearly(token_run):
    sampler = Sampler.from_checkpoint(token_run.last_checkpoint)
    with pytest.raises(SamplingError, match="reads tokens.*free bars"):
        sampler.sample(SamplingConfig(count=1, seed=1))  # strict bars, the default
    tune = "X:1\nT:t\nM:4/4\nL:1/8\nK:D\nDEFG ABcd|dcBA GFED|DEFG ABcd|d8|]\n"
    with pytest.raises(RegenerationError, match="reads tokens"):
        regenerate(sampler, tune, select_bars(tune, 2))
    with pytest.raises(CharactersOnly, match="the inspector"):
        inspect_text(sampler.model, sampler.vocabulary, tune)


def test_the_experiment_runner_varies_the_units(tmp_path):
    assert parse_values("units", "characters,tokens") == ["characters", "tokens"]
    spec = ExperimentSpec("units", ["characters", "tokens"], preset="tiny", corpus=oneills_first_file(),
                          iterations=6, tunes_per_run=2, max_length=200, overrides={"validation_interval": 3})
    result = run_experiment(spec, store=RunStore(tmp_path / "runs"), root=tmp_path / "experiments")
    assert result.status == "finished"
    assert [arm.train_config["units"] for arm in result.arms] == ["characters", "tokens"]
    assert all(len(arm.tune_metrics) == 2 for arm in result.arms)
