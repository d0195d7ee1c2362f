"""Strict vs free sampling on the shipped model: time ratio, the price in likelihood, and what the tunes are worth.

Two measurements in one run (issue 12), 1 torch thread:

* **Batch.** 16 tunes in one batch at the same temperature and seeds, ``bars=free`` vs ``bars=strict``
  (``form=free``) vs ``bars=strict, form=AABB``, taking turns ``--rounds`` times: seconds per call and the ratio
  strict / free (target <= 1.5x; per sampling step, since strict tunes end sooner), and the mean log-likelihood per character each wrote under the model (nats,
  unmasked, temperature 1: the price of strictness).
* **Quality.** ``--seeds`` tunes (seeds 0..N-1, one batch each mode) at ``--temperature``: share of tunes valid
  (structurally) and with every bar correct by the studio's validator, no problem at all, and by ``abc2midi -c``
  (no error; no bar warning).

    python bench/strict_sampling.py                 # shipped model, 16 tunes, 30 seeds
    python bench/strict_sampling.py --smoke         # seconds: 2 tunes, 2 seeds, 150 characters
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import torch

from studio.core.abc.validate import validate_tune
from studio.core.configs import SamplingConfig
from studio.core.generation.sampling import Sampler

MODEL = Path(__file__).resolve().parent.parent / "models" / "default.pt"
MODES = {"free": dict(bars="free"), "strict": dict(bars="strict", form="free"),
         "strict+AABB": dict(bars="strict", form="AABB")}


def abc2midi_verdict(text: str) -> tuple[bool, bool]:
    """(no error, no bar warning) from ``abc2midi FILE -c``."""
    with tempfile.NamedTemporaryFile("w", suffix=".abc", delete=False) as handle:
        handle.write(text)
    out = subprocess.run(["abc2midi", handle.name, "-c"], capture_output=True, text=True, errors="replace",
                         timeout=60, cwd=tempfile.gettempdir())  # it writes barloc.txt into its working folder
    Path(handle.name).unlink()
    lines = (out.stdout + out.stderr).splitlines()
    errors = any(line.startswith("Error") for line in lines)
    bar_warnings = any("time units while the time signature" in line for line in lines)
    return not errors, not bar_warnings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", default=str(MODEL))
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--max-length", type=int, default=1200)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.count, args.rounds, args.seeds, args.max_length = 2, 1, 2, 150  # a few bars: the script runs end to end
    torch.set_num_threads(1)
    sampler = Sampler.from_checkpoint(args.checkpoint)
    print(f"model {args.checkpoint}, {args.count} tunes per batch, T={args.temperature}, 1 thread")

    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    steps: dict[str, list[int]] = {mode: [] for mode in MODES}
    likelihood: dict[str, list[float]] = {mode: [] for mode in MODES}
    for round_index in range(args.rounds):
        for mode, settings in MODES.items():
            config = SamplingConfig(count=args.count, seed=100 + round_index * args.count, max_length=args.max_length,
                                    temperature=args.temperature, **settings)
            polls: list[int] = []  # should_stop is polled once per sampling step
            start = time.perf_counter()
            tunes = sampler.sample(config, should_stop=lambda: polls.append(1) and False)
            times[mode].append(time.perf_counter() - start)
            steps[mode].append(len(polls))
            likelihood[mode].extend(t.log_likelihood for t in tunes)
    def per_step(mode: str) -> float:
        return sum(times[mode]) / sum(steps[mode]) * 1000

    print(f"{'mode':<12} {'s/batch':>8} {'steps':>6} {'ms/step':>8} {'x free/step':>12} {'log-lik/char':>13}")
    for mode in MODES:
        print(f"{mode:<12} {statistics.median(times[mode]):8.2f} {statistics.median(steps[mode]):6.0f} "
              f"{per_step(mode):8.2f} {per_step(mode) / per_step('free'):12.2f} "
              f"{statistics.mean(likelihood[mode]):13.3f}")
    if not args.seeds:
        return

    print(f"\nquality, seeds 0-{args.seeds - 1}, T={args.temperature}")
    print(f"{'mode':<12} {'valid':>6} {'bars ok':>8} {'no problem':>11} {'a2m no err':>11} {'a2m no bar warn':>16}")
    for mode, settings in MODES.items():
        tunes = sampler.sample(SamplingConfig(count=args.seeds, seed=0, max_length=args.max_length,
                                              temperature=args.temperature, **settings))
        reports = [validate_tune(t.text) for t in tunes]
        verdicts = [abc2midi_verdict(t.text) for t in tunes]
        n = len(tunes)
        valid = sum(r.structurally_valid for r in reports) / n
        bars = sum(r.structurally_valid and not r.bars_failed for r in reports) / n
        clean = sum(r.ok for r in reports) / n
        no_error = sum(v[0] for v in verdicts) / n
        no_warning = sum(v[1] for v in verdicts) / n
        print(f"{mode:<12} {valid:6.0%} {bars:8.0%} {clean:11.0%} {no_error:11.0%} {no_warning:16.0%}")
        for tune, report in zip(tunes, reports):
            if mode != "free" and not report.ok:
                print("  problem:", tune.seed, [p.message for p in report.problems[:3]])


if __name__ == "__main__":
    main()
