"""Regenerating bars: speed of 8 candidates for 2 bars, and whether reading ahead ranks the real bars higher.

Speed: 8 candidates for bars 5-6 of a reel with the shipped model on one thread, sampling and ranking timed apart;
the ranking is also done the plain way (every text read whole by ``text_losses``) to show what the shared primer
state saves (ratio). Quality: on O'Neill's validation tunes (the shipped model never trained on them, read at its
text level), bars 5-6 of the first strain are taken out and 15 candidates sampled for them; the real bars are put
among them and ranked (a) by the candidate plus the rest of the tune after it and (b) by the candidate's own
likelihood only, and (c) by the candidate's likelihood per character (times the candidates' mean length, so a short
candidate is not preferred for its few characters) plus the rest. Reported: the share of tunes whose real bars rank
in the top half (8 of 16; chance 50%), the share where the top-ranked candidate's bars-after log-likelihood beats a
random candidate's, and the candidates that abc2midi finds an error or a bar warning in where the written tune has
none.

    python bench/regenerate_quality.py [--tunes 100] [--candidates 15] [--smoke] [--quality-only]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from strict_sampling import abc2midi_verdict  # noqa: E402

from studio.core.corpus import load_corpus  # noqa: E402
from studio.core.generation.regenerate import RegenerationError, regenerate, select_bars  # noqa: E402
from studio.core.generation.sampling import Sampler  # noqa: E402
from studio.core.network.checkpoints import load_checkpoint  # noqa: E402
from studio.core.paths import SHIPPED_MODEL  # noqa: E402
from studio.core.quality.scoring import TUNE_ENDING, text_losses, tunes_of_split  # noqa: E402
from studio.core.text_levels import corpus_at_level  # noqa: E402

REEL = ("X:1\nT:The Silver Spear\nM:4/4\nL:1/8\nR:reel\nK:D\n|:FA (3AAA BAFA|dfed BddB|FA (3AAA BAFA|d2ed B2dB|\n"
        "FA (3AAA BAFA|dfed BddB|AB (3ddd egfe|dBAF E2D2:|\n")


def speed(sampler: Sampler) -> None:
    selection = select_bars(REEL, 5, 6)
    regenerate(sampler, REEL, selection, count=8, seed=99)  # warms the strict sampler's cache of allowed characters
    began = time.perf_counter()
    result = regenerate(sampler, REEL, selection, count=8, seed=1)
    took = time.perf_counter() - began
    encode = sampler.vocabulary.encode
    texts = [c.text.split("\n", 1)[1] for c in result.candidates]
    began = time.perf_counter()
    text_losses(sampler.model, [encode(t + TUNE_ENDING) for t in texts] + [encode(t[:300]) for t in texts])
    plain = time.perf_counter() - began
    print(f"speed: 8 candidates for 2 bars of a reel in {took:.2f} s (target < 3 s); ranking the plain way "
          f"(whole texts, twice) alone took {plain:.2f} s")


def quality(sampler: Sampler, count: int, candidates: int) -> None:
    checkpoint = load_checkpoint(SHIPPED_MODEL)
    corpus = corpus_at_level(load_corpus("oneills1850"), checkpoint.train_config.text_level)
    tunes = tunes_of_split(corpus, "validation", checkpoint)
    picker = random.Random(0)
    ahead = own_only = beats = beats_own = done = problems = judged = skipped = fair = beats_fair = 0
    began = time.perf_counter()
    for tune in tunes:
        if done == count:
            break
        text = tune.text
        try:
            selection = select_bars(text, 5, 6)
            if any(b.ends_strain for b in selection.bars):
                skipped += 1
                continue
            result = regenerate(sampler, text, selection, count=candidates, seed=done * 1000)
        except RegenerationError:
            skipped += 1
            continue
        sampled = result.candidates
        if len(sampled) < 2:
            skipped += 1
            continue
        done += 1
        everyone = sampled + [result.original]
        half = len(everyone) // 2
        by_score = sorted(everyone, key=lambda c: -c.score)
        by_own = sorted(everyone, key=lambda c: -c.own)
        other = picker.choice(sampled)
        ahead += by_score.index(result.original) < half
        mean_chars = sum(len(c.bars) for c in everyone) / len(everyone)
        by_fair = sorted(everyone, key=lambda c: -(c.own / max(len(c.bars), 1) * mean_chars + c.after))
        fair += by_fair.index(result.original) < half
        top_fair = next(c for c in by_fair if c is not result.original)
        beats_fair += top_fair.after > other.after or top_fair is other
        own_only += by_own.index(result.original) < half
        beats += sampled[0].after > other.after or sampled[0] is other
        top_own = max(sampled, key=lambda c: c.own)
        beats_own += top_own.after > other.after or top_own is other
        written = abc2midi_verdict(text)  # (no error, no bar warning)
        for candidate in sampled:
            judged += 1
            worse = any(was and not now for was, now in zip(written, abc2midi_verdict(candidate.text)))
            problems += worse
            if worse:
                print(f"  abc2midi objects to X:{tune.id} with bars 5-6 {candidate.bars!r}")
        print(f"  {done:3d} X:{tune.id} real bars rank {by_score.index(result.original) + 1:2d}/{len(everyone)} "
              f"(own only {by_own.index(result.original) + 1:2d}, per character "
              f"{by_fair.index(result.original) + 1:2d}); so far top half {ahead}/{own_only}/{fair}, "
              f"top beats random {beats}/{beats_own}/{beats_fair}", flush=True)
    print(f"quality over {done} tunes ({skipped} skipped: bars 5-6 end a strain or cannot be regenerated), "
          f"{time.perf_counter() - began:.0f} s")
    print(f"real bars in the top half: reading ahead {ahead / done:.0%}, own likelihood only {own_only / done:.0%}, "
          f"per character plus reading ahead {fair / done:.0%} (chance 50%)")
    print(f"top candidate's bars-after likelihood above a random candidate's: ranked reading ahead {beats / done:.0%}, "
          f"ranked by own likelihood {beats_own / done:.0%}, per character plus reading ahead {beats_fair / done:.0%}")
    print(f"candidates with an abc2midi error or bar warning the written tune lacks: {problems} of {judged}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tunes", type=int, default=100)
    parser.add_argument("--candidates", type=int, default=15)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--quality-only", action="store_true", help="skip the speed measurement")
    args = parser.parse_args()
    if args.smoke:
        args.tunes, args.candidates = 2, 3
    torch.set_num_threads(1)
    with open("/proc/cpuinfo") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "?")
    print(f"CPU {cpu}, load {os.getloadavg()[0]:.1f}, 1 torch thread")
    sampler = Sampler.from_checkpoint(SHIPPED_MODEL)
    if not args.quality_only:
        speed(sampler)
    quality(sampler, args.tunes, args.candidates)


if __name__ == "__main__":
    main()
