"""Best of N: sample N candidates for each requested tune in one batch and keep the one the critic scores highest.

Tune ``i`` of ``config.count`` gets candidates ``i * n .. i * n + n - 1`` of one batch of ``config.count * n``, so
its seeds are ``seed + i * n + j``: no two tunes share a seed, and with ``n = 1`` every tune is the one plain sampling
gives. The kept tune carries its score (``extra["critic"]``) and every candidate's (``extra["candidates"]``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Callable

from studio.core.configs import SamplingConfig
from studio.core.generation.sampling import GeneratedTune, Sampler, SamplingError
from studio.core.quality.critic import CriticScore, pick_best
from studio.core.quality.evaluation import CorpusReference

#: Most tunes one batch may hold (the limit of ``SamplingConfig.count``).
MAX_BATCH = 256


@dataclass
class BestOfResult:
    """The kept tunes (one per requested tune, in order) and, per requested tune, every candidate and its score."""

    tunes: list[GeneratedTune]
    candidates: list[list[GeneratedTune]]
    scores: list[list[CriticScore]]
    chosen: list[int]


def _renumbered(text: str, index: int) -> str:
    return re.sub(r"^X:[^\n]*", f"X:{index + 1}", text, count=1)


def best_of(sampler: Sampler, config: SamplingConfig, n: int, reference: CorpusReference,
            on_text: Callable[[int, str], None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> BestOfResult:
    """Samples ``config.count * n`` candidates in one batch and keeps the best of each tune's ``n``.

    ``on_text(candidate, chunk)`` and ``should_stop()`` are passed to :meth:`Sampler.sample`; candidate ``c`` belongs
    to requested tune ``c // n``. Raises SamplingError when ``n`` is below 1 or the batch would exceed 256 tunes.
    """
    if n < 1:
        raise SamplingError("best-of must be at least 1")
    if config.count * n > MAX_BATCH:
        raise SamplingError(f"{config.count} tunes x best of {n} is more than {MAX_BATCH} candidates in one batch")
    batch = sampler.sample(dataclasses.replace(config, count=config.count * n), on_text, should_stop)
    result = BestOfResult([], [], [], [])
    for i in range(config.count):
        candidates = batch[i * n:(i + 1) * n]
        likelihoods = [getattr(tune, "log_likelihood", None) for tune in candidates]
        best, scores = pick_best([tune.text for tune in candidates], reference, likelihoods)
        summary = [{"seed": tune.seed, "total": score.total, "summary": score.summary()}
                   for tune, score in zip(candidates, scores)]
        kept = dataclasses.replace(candidates[best], index=i, text=_renumbered(candidates[best].text, i),
                                   extra={**candidates[best].extra, "critic": scores[best].as_dict(),
                                          "candidates": summary, "best_of": n})
        result.tunes.append(kept)
        result.candidates.append(candidates)
        result.scores.append(scores)
        result.chosen.append(best)
    return result
