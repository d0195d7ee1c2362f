"""Top-k sampling on a really trained tiny model: only the k most likely characters are ever drawn; top-k 1 is greedy.

The sampled stream is fed back through the same model (teacher forcing), so each drawn character's rank under the
model is known: with top-k 3 every rank is below 3, while the same settings without top-k draw lower-ranked ones.
"""

from __future__ import annotations

import pytest
import torch

from studio.core.configs import SamplingConfig
from studio.core.generation.sampling import Sampler

PRIMER = "X:1\nM:6/8\nL:1/8\nK:D\n"


@pytest.fixture(scope="module")
def sampler(trained_run):
    return Sampler.from_checkpoint(trained_run.best_checkpoint)


def sampled_streams(sampler, config) -> list[str]:
    """The exact characters drawn (primer first), before the tune is tidied up."""
    streams: dict[int, str] = {}
    sampler.sample(config, on_text=lambda i, chunk: streams.__setitem__(i, streams.get(i, "") + chunk))
    return [streams[i] for i in sorted(streams)]


#: Logits closer than this are a tie, which the float rounding of a batch row decides (seen on an Intel Xeon with
#: AVX-512: two characters 2.4e-7 apart, drawn apart by the three rows of one greedy batch).
TIE = 1e-4


@torch.no_grad()
def stream_logits(sampler, stream: str) -> torch.Tensor:
    """The model's logits after each character of ``stream`` (teacher forcing): positions x vocabulary."""
    codes = torch.tensor([sampler.vocabulary.encode(stream)], dtype=torch.long, device=sampler.device)
    return sampler.model(codes)[0][0].float()


def ranks_of_drawn_characters(sampler, stream: str, primer: str, tie: float = 0.0) -> list[int]:
    """For each character drawn after the primer: how many other characters (the newline aside, which the sampler
    may mask) the model rated more likely at that point (by more than ``tie``)."""
    codes = torch.tensor([sampler.vocabulary.encode(stream)], dtype=torch.long)
    logits = stream_logits(sampler, stream)
    newline = sampler.vocabulary.chars.find("\n")
    ranks = []
    for position in range(len(primer), len(stream)):
        row = logits[position - 1].clone()
        drawn = int(codes[0, position])
        if newline >= 0 and drawn != newline:
            row[newline] = float("-inf")
        ranks.append(int((row > row[drawn] + tie).sum()))
    return ranks


def test_top_k_draws_only_the_k_most_likely_characters(sampler):
    config = SamplingConfig(count=4, seed=3, temperature=2.0, max_length=300, primer=PRIMER, bars="free", top_k=3)
    limited = [r for s in sampled_streams(sampler, config) for r in ranks_of_drawn_characters(sampler, s, PRIMER)]
    assert len(limited) > 200 and max(limited) < 3
    unlimited_config = SamplingConfig(**{**config.__dict__, "top_k": None})
    free = [r for s in sampled_streams(sampler, unlimited_config) for r in ranks_of_drawn_characters(sampler, s, PRIMER)]
    assert max(free) >= 3  # without the limit, at this temperature, less likely characters do get drawn


def test_top_k_1_is_greedy_whatever_the_seed(sampler):
    config = SamplingConfig(count=3, seed=1, temperature=1.5, max_length=200, primer=PRIMER, bars="free", top_k=1)
    streams = sampled_streams(sampler, config)
    streams += sampled_streams(sampler, SamplingConfig(**{**config.__dict__, "seed": 99, "count": 1}))
    for stream in streams:  # each character is the likeliest one (up to a tie)
        assert len(stream) > len(PRIMER) + 100 and set(ranks_of_drawn_characters(sampler, stream, PRIMER, TIE)) == {0}
    for stream in streams[1:]:  # four seeds, one tune: where two differ, a tie chose
        if stream != streams[0]:
            at = next(i for i, (a, b) in enumerate(zip(stream, streams[0])) if a != b)
            row = stream_logits(sampler, stream[:at])[-1]
            tied = row[sampler.vocabulary.encode(stream[at] + streams[0][at])]
            assert abs(float(tied[0] - tied[1])) < TIE, (stream[:at], stream[at], streams[0][at])


def body(text: str) -> str:
    """The tune without its X: line."""
    return text.split("\n", 1)[1]


def test_top_k_1_with_strict_bars_is_seed_independent_and_valid(sampler):
    from studio.core.abc.validate import validate_tune

    config = SamplingConfig(count=2, seed=1, temperature=1.5, max_length=250, primer=PRIMER, bars="strict",
                            form="free", top_k=1)
    tunes = sampler.sample(config)
    assert len({body(t.text) for t in tunes}) == 1  # tune i is numbered X:i+1, its music is the same
    seeded = sampler.sample(SamplingConfig(count=2, seed=1, temperature=1.5, max_length=250, primer=PRIMER,
                                           bars="strict", form="free"))
    assert len({body(t.text) for t in seeded}) > 1  # without top-k the seeds do differ
    assert validate_tune(tunes[0].text).structurally_valid
    aabb = sampler.sample(SamplingConfig(count=2, seed=1, temperature=1.5, max_length=250, primer=PRIMER, top_k=1))
    assert aabb[0].phrase_repeats and len({body(t.text) for t in aabb}) == 1  # phrase repeats too: likelier choice
