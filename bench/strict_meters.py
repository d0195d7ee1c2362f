"""Strict sampling in every meter at every temperature: the exhaustive matrix, checked by the studio and abc2midi.

tests/core/test_strict_sampling.py samples each meter once (its rhythm classes at the temperatures that stress them);
this script runs every meter at every temperature (``METER_PRIMERS`` x ``TEMPERATURES``, ``--count`` tunes each, 1
torch thread) and prints, per cell, the share of tunes the validator passes with every bar right, the share abc2midi
passes (no error, no bar warning), and the CPU seconds per tune. Any tune that fails is printed with its problems,
and the exit status is 1 when any did.

    python bench/strict_meters.py                        # shipped model, 6 tunes per cell, 30 cells
    python bench/strict_meters.py --checkpoint runs/ID/checkpoints/best.pt
    python bench/strict_meters.py --smoke                # seconds: the meter change, T=1.0, 2 tunes
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from strict_sampling import MODEL, abc2midi_verdict  # noqa: E402

from studio.core.abc.validate import validate_tune  # noqa: E402
from studio.core.configs import SamplingConfig  # noqa: E402
from studio.core.generation.sampling import Sampler  # noqa: E402

#: A primer per meter (and unit length, key, and a meter change inside the tune): the strict masks' rhythm classes.
METER_PRIMERS = {
    "2/4": "X:1\nM:2/4\nL:1/16\nK:G\n", "3/4": "X:1\nM:3/4\nK:D\n", "4/4": "X:1\nT:Reel\nM:4/4\nL:1/8\nK:Ador\n",
    "6/8": "X:1\nM:6/8\nL:1/8\nK:G\n", "9/8": "X:1\nM:9/8\nL:1/8\nK:D\n", "12/8": "X:1\nM:12/8\nL:1/8\nK:Em\n",
    "C": "X:1\nM:C\nL:1/8\nK:A\n", "C|": "X:1\nM:C|\nL:1/8\nK:D\n", "3/2": "X:1\nM:3/2\nL:1/8\nK:G\n",
    "inline change": "X:1\nM:6/8\nL:1/8\nK:G\nD|GAB c3|[M:3/4]A2 B2",
}
TEMPERATURES = (0.5, 1.0, 2.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", default=str(MODEL))
    parser.add_argument("--count", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-length", type=int, default=500)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    meters, temperatures = list(METER_PRIMERS), TEMPERATURES
    if args.smoke:
        meters, temperatures, args.count, args.max_length = ["inline change"], (1.0,), 2, 200
    torch.set_num_threads(1)
    sampler = Sampler.from_checkpoint(args.checkpoint)
    print(f"model {args.checkpoint}, {args.count} tunes per cell, seed {args.seed}, max length {args.max_length}, "
          "1 thread")
    print(f"{'meter':<14} {'T':>4} {'studio ok':>10} {'abc2midi ok':>12} {'CPU s/tune':>11}")
    failed = 0
    for meter in meters:
        for temperature in temperatures:
            began = time.process_time()
            tunes = sampler.sample(SamplingConfig(count=args.count, seed=args.seed, temperature=temperature,
                                                  max_length=args.max_length, primer=METER_PRIMERS[meter],
                                                  form="free"))
            seconds = (time.process_time() - began) / len(tunes)
            reports = [validate_tune(t.text) for t in tunes]
            verdicts = [all(abc2midi_verdict(t.text)) for t in tunes]
            print(f"{meter:<14} {temperature:4.1f} {sum(r.ok for r in reports) / len(tunes):10.0%} "
                  f"{sum(verdicts) / len(tunes):12.0%} {seconds:11.2f}", flush=True)
            for tune, report, verdict in zip(tunes, reports, verdicts):
                if not (report.ok and verdict):
                    failed += 1
                    print(f"  seed {tune.seed}: {[p.message for p in report.problems[:3]]}, abc2midi ok: {verdict}")
    print(f"{failed} tune(s) failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
