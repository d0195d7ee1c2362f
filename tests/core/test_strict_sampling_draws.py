"""Strict sampling at the top of the distribution: float rounding can leave the cumulative sum of the allowed
characters' probabilities a hair under 1, and a uniform draw above it then lands past the last allowed character,
where only forbidden ones lie; the sampler must still write an allowed one (the guard in ``sample_strict``)."""

from __future__ import annotations

import torch

from studio.core.abc.validate import validate_tune
from studio.core.configs import ModelConfig, SamplingConfig
from studio.core.generation.sampling import Sampler
from studio.core.network.model import CharLSTM
from studio.core.network.vocabulary import Vocabulary

#: The shipped model's characters and, sorted last, one that strict bars never allow in a tune's body.
CHARS = '\n !"#\'()*+,-./0123456789:<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_abcdefghijklmnopqrstuvwxyz{|}~' + "é"
LARGEST_DRAW = 1.0 - 2.0 ** -24  # the largest float32 below 1: torch.rand's largest value


def test_a_draw_past_the_rounded_cumulative_sum_still_writes_allowed_characters(monkeypatch):
    torch.manual_seed(7)
    vocabulary = Vocabulary(CHARS)
    sampler = Sampler(CharLSTM(ModelConfig(vocab_size=len(vocabulary), embedding_dim=16, hidden_size=32)),
                      vocabulary)
    real_softmax = torch.softmax

    def largest_draw(*size, generator=None, **kwargs):
        return torch.full(size[0] if size and isinstance(size[0], (tuple, list)) else size, LARGEST_DRAW)

    def rounded_down(scores, dim=-1, **kwargs):  # rounding at its worst: every cumulative sum ends below the draw
        return real_softmax(scores, dim=dim, **kwargs) * (1.0 - 1e-5)

    with monkeypatch.context() as patch:
        patch.setattr(torch, "rand", largest_draw)
        patch.setattr(torch, "softmax", rounded_down)
        tunes = sampler.sample(SamplingConfig(count=2, seed=0, temperature=1.0, max_length=300, form="AB",
                                              strain_bars=8, primer="X:1\nT:Top\nM:6/8\nL:1/8\nK:G\n"))
    for tune in tunes:
        body = tune.text.split("K:G\n", 1)[1]
        assert "é" not in body, body  # the draw fell past the allowed characters: the last allowed one is written
        report = validate_tune(tune.text)
        assert report.structurally_valid and not report.bars_failed, ([p.message for p in report.problems],
                                                                       tune.text)
