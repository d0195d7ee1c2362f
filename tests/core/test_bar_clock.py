"""The bar clock (``ModelConfig.clock`` ``bar``): how far into its bar a tune stands, read character by character the
same way when training, scoring and sampling; a clocked network hears it, trains, resumes to the same curve, and its
sampler feeds it the clock of the text it writes. The strain clock (``strain``) adds the strain's pickup and the
bar's number in its strain, through the same paths."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from studio.core.abc.bar_clock import (
    CLOCK_CODES, FIRST_STEP, HEADER, OVERFULL, PICKUP_CODES, PICKUP_FIRST, PICKUP_NONE, PICKUP_UNKNOWN, STEPS,
    UNMEASURED, BarClock, clock_codes, split_codes,
)
from studio.core.configs import ModelConfig, SamplingConfig
from studio.core.corpus import load_corpus
from studio.core.generation.regenerate import read_after
from studio.core.generation.sampling import Sampler
from studio.core.learning.training import Trainer
from studio.core.learning.training_data import TrainingBatches
from studio.core.network.checkpoints import load_checkpoint
from studio.core.network.model import CharLSTM
from studio.core.network.network_inputs import text_inputs
from studio.core.network.vocabulary import Vocabulary
from studio.core.quality.scoring import TUNE_ENDING, text_losses, window_loss
from support import oneills_first_file
from test_training import Recorder

HEADER_TEXT = "X:1\nM:3/4\nL:1/8\nK:D\n"
FULL = FIRST_STEP + STEPS


def steps(eighths: float) -> int:
    """The clock's code after ``eighths`` eighth notes of a 3/4 bar (six eighths)."""
    return FIRST_STEP + round(eighths * STEPS / 6)


def test_the_clock_counts_each_bar_as_it_is_written():
    body = "A2 B>c d2|e6|]\n\n"
    codes = clock_codes(HEADER_TEXT + body)
    assert codes[:len(HEADER_TEXT) - 1] == [HEADER] * (len(HEADER_TEXT) - 1)
    assert codes[len(HEADER_TEXT) - 1] == steps(0)  # the K: line ended: the body starts at the bar's start
    # the note being written counts with its suffix so far (A, then A2); a broken rhythm moves time from c to B
    expected = [steps(1), steps(2), steps(2), steps(3), steps(3), steps(4), steps(4), steps(5), FULL,
                steps(0), steps(1), FULL, steps(0), steps(0), steps(0), steps(0)]
    assert codes[len(HEADER_TEXT):] == expected


def test_a_blank_line_starts_the_clock_again_and_an_unmetered_or_overfull_bar_says_so():
    tune = HEADER_TEXT + "A2 B>c d2|e6|]" + TUNE_ENDING
    assert clock_codes(tune + tune) == clock_codes(tune) * 2
    assert clock_codes("X:1\nM:2/4\nL:1/8\nK:D\nABCDE|")[-2] == OVERFULL
    assert set(clock_codes("X:1\nM:none\nL:1/8\nK:D\nABC|")[-4:]) == {UNMEASURED}
    clock = BarClock()
    assert [clock.feed(unit) for unit in ["X:1\n", "M:3/4\n", "L:1/8\n", "K:D\n", "d3"]] == [
        HEADER, HEADER, HEADER, steps(0), steps(3)]  # a token is read whole


def test_the_strain_clock_reads_the_pickup_and_counts_the_bars_of_each_strain():
    text = "X:1\nM:6/8\nL:1/8\nK:D\n|:A|dfa afd|gbg fed:|\n|:f/|afd d2:|\n|dfa afd|\n\n"
    clock = BarClock("strain")
    read = {}  # (character's index in the text) -> (pickup, bar number) after it
    for index, ch in enumerate(text):
        read[index] = split_codes(clock.feed(ch))[1:]

    def at(part: str) -> tuple[int, int]:
        """The readings after the first ``part`` of the text."""
        return read[text.index(part) + len(part) - 1]
    assert read[3] == (HEADER, HEADER)  # the header hears nothing
    assert at("|:A") == (PICKUP_UNKNOWN, 1)  # the strain's first bar is not closed yet
    pickup = PICKUP_FIRST + STEPS // 6  # one eighth of a 6/8 bar
    assert at("|d") == (pickup, 1) and at("fed") == (pickup, 2)  # the pickup and the first full bar are bar 0
    assert at("fed:") == (pickup, 3)  # the bar the repeat closes counts in its strain
    assert at("|:f") == (PICKUP_UNKNOWN, 1)  # ':|' began a strain, '|:' again
    assert at("|a") == (PICKUP_FIRST + STEPS // 12, 1)  # a sixteenth
    assert at("\n|d") == (PICKUP_UNKNOWN, 1) and at("afd|\n") == (PICKUP_NONE, 2)  # a strain without a pickup
    plain = clock_codes(text)
    assert [split_codes(code)[0] for code in clock_codes(text, BarClock("strain"))] == plain  # the bar clock inside


@pytest.fixture(scope="module")
def first_file():
    return load_corpus(oneills_first_file())


def test_training_reads_each_tunes_clock_and_predicts_the_characters(first_file, tiny_configs):
    trainer = Trainer.new(first_file, replace(tiny_configs(3)[0], clock="bar"), tiny_configs(3, precision="fp32")[1])
    tunes = trainer.split.train
    data = trainer.batches.data
    assert data.shape == (sum(len(t.text) + len(TUNE_ENDING) for t in tunes), 2)
    assert data[:, 1].tolist() == clock_codes("".join(t.text + TUNE_ENDING for t in tunes))
    for context in ("stream", "window"):
        batches = TrainingBatches(tunes, trainer.vocabulary, replace(trainer.config, context=context), clock="bar")
        inputs, targets, _ = batches.next_batch(torch.device("cpu"))
        assert inputs.shape[-1] == 2 and targets.shape == inputs.shape[:2] and targets.max() < len(trainer.vocabulary)


@pytest.mark.parametrize("clock", ["bar", "strain"])
def test_a_clocked_network_starts_as_the_lab_network_then_hears_the_clock_but_never_in_the_header(clock):
    torch.manual_seed(0)
    plain = CharLSTM(ModelConfig(vocab_size=10, embedding_dim=8, hidden_size=16)).eval()
    model = CharLSTM(ModelConfig(vocab_size=10, embedding_dim=8, hidden_size=16, clock=clock)).eval()
    model.load_state_dict(plain.state_dict(), strict=False)
    codes = torch.randint(0, 10, (1, 12))
    def strain(pickup, number):  # codes as clock_code makes them
        return (pickup + PICKUP_CODES * (1 + number)) * CLOCK_CODES if clock == "strain" else 0
    early = torch.stack([codes, torch.full_like(codes, steps(1) + strain(PICKUP_NONE, 2))], dim=-1)
    late = torch.stack([codes, torch.full_like(codes, FULL + strain(PICKUP_FIRST, 7))], dim=-1)
    assert torch.equal(model(early)[0], plain(codes)[0])  # untrained, the clock changes nothing
    embeddings = [e for e in (model.clock_embedding, model.pickup_embedding, model.bar_number_embedding) if e]
    optimizer = torch.optim.SGD([e.weight for e in embeddings], lr=1.0)  # the clock alone learns here
    header = torch.stack([codes, torch.full_like(codes, HEADER)], dim=-1)
    (model(early)[0].sum() - model(late)[0].sum() + model(header)[0].sum()).backward()
    optimizer.step()
    assert not torch.allclose(model(early)[0], model(late)[0])
    assert torch.equal(model(header)[0], plain(codes)[0]) and not any(e.weight[HEADER].any() for e in embeddings)
    assert len(embeddings) == (3 if clock == "strain" else 1) and all(e.weight[1:].any() for e in embeddings)
    with pytest.raises(ValueError, match="bar clock"):
        model(codes)
    assert "clock_embedding.weight" not in plain.state_dict()


def test_a_clocked_run_resumes_to_the_same_curve_and_its_checkpoint_keeps_the_clock(first_file, store, tiny_configs):
    model_config, train_config = tiny_configs(24, precision="fp32", checkpoint_interval=8, validation_interval=8)
    model_config = replace(model_config, clock="bar")
    straight = Recorder()
    Trainer.new(first_file, model_config, train_config, listener=straight).run()
    holder = {}
    first = Recorder(on_step=lambda step: step == 13 and holder["trainer"].stop())
    holder["trainer"] = Trainer.new(first_file, model_config, train_config, store, listener=first)
    holder["trainer"].run()
    second = Recorder()
    resumed = Trainer.resume(store.list()[0], listener=second)
    assert resumed.model_config.clock == "bar" and resumed.run().steps_done == 24
    for step in range(14, 25):
        assert second.losses[step] == pytest.approx(straight.losses[step], rel=1e-5, abs=1e-6)
    assert load_checkpoint(store.list()[0].last_checkpoint).model_config.clock == "bar"


def test_the_validation_windows_of_a_clocked_network_count_characters_not_inputs(first_file, clocked_sampler):
    vocabulary = clocked_sampler.vocabulary
    text = "".join(t.text + TUNE_ENDING for t in first_file.tunes[:20])
    data = torch.tensor(text_inputs(text, vocabulary, clocked_sampler.model.config.clock))
    total, counted = window_loss(clocked_sampler.model, data, 50, 4)
    assert counted == 4 * 50 and 2 < total / counted < 10  # an untrained network: about log(96) = 4.6 nats a character


@pytest.fixture(scope="module", params=["bar", "strain"])
def clocked_sampler(request):
    """An untrained clocked network with fixed weights (its tunes are noise: the clock must follow them anyway)."""
    torch.manual_seed(4321)
    vocabulary = Vocabulary.from_text("\n" + "".join(chr(code) for code in range(32, 127)))
    model = CharLSTM(ModelConfig(vocab_size=len(vocabulary), embedding_dim=16, hidden_size=32, clock=request.param))
    with torch.no_grad():  # a clock that matters (a new network's starts silent)
        for embedding in (model.clock_embedding, model.pickup_embedding, model.bar_number_embedding):
            if embedding is not None:
                embedding.weight.normal_()
    return Sampler(model, vocabulary)


def _read_log_likelihood(sampler, text: str, primer: str) -> float:
    """The model's log-likelihood of ``text`` after ``primer``, read whole with the clock :func:`network_inputs`
    gives."""
    def nats(part):
        codes = text_inputs(part, sampler.vocabulary, sampler.model.config.clock)
        return text_losses(sampler.model, [codes])[0]
    return -(nats(text) - nats(primer))


@pytest.mark.parametrize("bars", ["free", "strict"])
def test_the_sampler_feeds_the_clock_of_the_text_it_writes(clocked_sampler, bars):
    """A sampled tune's log-likelihood as the sampler counted it is the one read back from its text: every step
    read the clock the text gives (a wrong clock at one step would change the figure)."""
    primer = HEADER_TEXT
    streamed: dict[int, str] = {}
    tunes = clocked_sampler.sample(SamplingConfig(count=3, seed=11, bars=bars, form="free", max_length=200,
                                                  primer=primer),
                                   on_text=lambda i, chunk: streamed.__setitem__(i, streamed.get(i, "") + chunk))
    for tune in tunes:
        written = streamed[tune.index]
        if bars == "strict":  # the strict sampler streams its final text, primer first
            assert written.startswith(primer)
        sampled = len(written) - len(primer)
        assert tune.log_likelihood * sampled == pytest.approx(
            _read_log_likelihood(clocked_sampler, written, primer), rel=1e-4, abs=1e-3)


def test_bars_read_after_a_primer_hear_the_clock_of_the_whole_text(clocked_sampler):
    """Regeneration's reading of candidates after a shared primer gives what reading each whole text gives."""
    encode = clocked_sampler.vocabulary.encode
    primer, candidates = HEADER_TEXT + "A2 B>c d2|", ["e6|]\n\n", "f2 e2 d2|A6|]\n\n"]
    read = read_after(clocked_sampler.model, encode(primer), [encode(c) for c in candidates], [2, 3],
                      clocked_sampler.vocabulary)
    for candidate, (first, rest) in zip(candidates, read):
        assert first + rest == pytest.approx(_read_log_likelihood(clocked_sampler, primer + candidate, primer),
                                             rel=1e-4, abs=1e-3)
