"""The one draw step of every sampler: temperature, top-k, an optional mask of allowed characters, one generator per
tune (nanoGPT's ``generate`` written once).

Free sampling (:mod:`studio.core.generation.sampling`), strict sampling
(:mod:`studio.core.generation.strict_sampling`, which masks what would make a bar miss the meter), best-of (through
them) and the inspector (:mod:`studio.core.network.inspection`, which shows the distribution drawn from) all use
these functions, so a tune sampled with a seed is the same wherever it is drawn.
"""

from __future__ import annotations

import torch


def shaped_logits(logits: torch.Tensor, temperature: float, top_k: int | None = None,
                  allowed: torch.Tensor | None = None) -> torch.Tensor:
    """``logits / T`` with the characters ``allowed`` forbids (a bool tensor of the same shape) and those outside the
    ``top_k`` likeliest set to -inf; ``top_k`` None, 0 or the vocabulary's size keeps every character."""
    scaled = logits.float() / temperature
    if allowed is not None:
        scaled = scaled.masked_fill(~allowed, float("-inf"))
    if top_k and top_k < scaled.shape[-1]:
        kth = torch.topk(scaled, top_k, dim=-1).values[..., -1:]
        scaled = scaled.masked_fill(scaled < kth, float("-inf"))
    return scaled


def uniform(generator: torch.Generator) -> float:
    """One uniform number in [0, 1) from a tune's own generator (its draws, and its phrase and cadence choices)."""
    return float(torch.rand(1, generator=generator))


def draw(logits: torch.Tensor, temperature: float, generators: list[torch.Generator], top_k: int | None = None,
         allowed: torch.Tensor | None = None) -> torch.Tensor:
    """One character code per row of ``logits`` (rows x vocabulary), row i drawn with ``generators[i]`` from
    ``softmax(shaped_logits)`` by inverting its cumulative sum (so a seed gives the same tune on any batch size, up
    to the float rounding of a batch's rows: on an Intel Xeon two rows of one greedy batch parted at a 2.4e-7 tie)."""
    cumulative = torch.softmax(shaped_logits(logits, temperature, top_k, allowed), dim=-1).cumsum(dim=-1).cpu()
    draws = torch.stack([torch.rand(1, generator=g) for g in generators])
    return torch.searchsorted(cumulative, draws).clamp_(max=logits.shape[-1] - 1).squeeze(1)


def temperature_probabilities(log_probs: torch.Tensor, temperature: float) -> torch.Tensor:
    """``softmax(log_p / T)`` over the last dimension, in double precision: the distribution :func:`draw` draws from
    at temperature T (``softmax(log_p / T)`` equals ``softmax(logits / T)``), for showing it."""
    if temperature <= 0:
        raise ValueError("temperature must be above 0")
    return torch.softmax(log_probs.double() / temperature, dim=-1).float()
