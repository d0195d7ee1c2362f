"""Benchmark: generating 4 tunes plainly vs best of 4 (16 candidates in one batch, scored), and the critic per tune.

Uses the shipped model on 1 torch thread and the corpus's cached reference statistics (computed first if missing,
not timed). Prints both times, the ratio best-of-4 / plain, and the critic's time per tune.

    python bench/best_of_speed.py [--count 4] [--n 4] [--temperature 1.0] [--seed 0] [--smoke]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from studio.core.configs import SamplingConfig
from studio.core.corpus import load_corpus
from studio.core.generation.best_of import best_of
from studio.core.generation.sampling import Sampler
from studio.core.paths import SHIPPED_MODEL
from studio.core.quality.critic import score_tune
from studio.core.quality.evaluation import corpus_reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-length", type=int, default=1000)
    parser.add_argument("--smoke", action="store_true", help="short tunes and a 40-tune reference (seconds)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        corpus: object = "oneills1850"
        if args.smoke:
            args.max_length = 60
            small = Path(tmp) / "small.abc"
            small.write_text("\n\n".join(t.text for t in load_corpus("oneills1850").tunes[:40]) + "\n")
            corpus = str(small)
        start = time.perf_counter()
        reference = corpus_reference(corpus)
        print(f"reference statistics of {reference.name}: {time.perf_counter() - start:.2f} s (not in the figures)")
    sampler = Sampler.from_checkpoint(SHIPPED_MODEL)
    config = SamplingConfig(temperature=args.temperature, seed=args.seed, count=args.count,
                            max_length=args.max_length)
    sampler.sample(SamplingConfig(count=1, seed=999, max_length=20))  # warm-up
    start = time.perf_counter()
    plain = sampler.sample(config)
    plain_time = time.perf_counter() - start
    start = time.perf_counter()
    result = best_of(sampler, config, args.n, reference)
    best_time = time.perf_counter() - start
    candidates = [c for group in result.candidates for c in group]
    start = time.perf_counter()
    for candidate in candidates:
        score_tune(candidate.text, reference, getattr(candidate, "log_likelihood", None))
    critic_time = (time.perf_counter() - start) / len(candidates)
    print(f"shipped model, 1 thread, temperature {args.temperature:g}, seed {args.seed}")
    print(f"plain:     {args.count} tunes in {plain_time:.2f} s ({sum(len(t.text) for t in plain)} characters)")
    print(f"best of {args.n}: {args.count} tunes from {len(candidates)} candidates in {best_time:.2f} s")
    print(f"ratio best-of-{args.n} / plain: {best_time / plain_time:.2f}x")
    print(f"critic: {critic_time * 1000:.1f} ms per tune")
    kept = [score.total for scores, i in zip(result.scores, result.chosen) for score in [scores[i]]]
    every = [s.total for scores in result.scores for s in scores]
    print(f"mean score kept {sum(kept) / len(kept):.1f} vs all candidates {sum(every) / len(every):.1f}")


if __name__ == "__main__":
    main()
