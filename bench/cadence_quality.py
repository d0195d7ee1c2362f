"""Cadences by construction, measured: strict AABB with ``cadence`` free against home, on the shipped model.

For each temperature and cadence, tunes with seeds 0..N-1 (``--seeds``, sampled in batches, 1 torch thread):
final note on the tonic, strain endings on the tonic and on the tonic triad (mean of each tune's share, as
:mod:`studio.core.quality.tonal` defines them), ``abc2midi -c`` clean (no error, no bar warning), mean log-likelihood per
character under the unmasked model (nats) and seconds per tune. The price of the cadence is the difference of the
mean log-likelihood per character, home minus free, at each temperature (the issue's target: at most 0.05 nats).

    python bench/cadence_quality.py                  # seeds 0-99, T 1.0 and 0.8 (a few minutes per row)
    python bench/cadence_quality.py --smoke          # 2 seeds, T=1.0, at most 250 characters
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from strict_sampling import abc2midi_verdict  # noqa: E402

from studio.core.configs import SamplingConfig  # noqa: E402
from studio.core.generation.sampling import Sampler
from studio.core.quality.metrics import tune_metrics  # noqa: E402

MODEL = Path(__file__).resolve().parent.parent / "models" / "default.pt"
COLUMNS = [("final_tonic", "final note on tonic"), ("strain_tonic", "strain ends on tonic"),
           ("strain_triad", "strain ends on triad"), ("a2m_clean", "abc2midi clean"),
           ("log_likelihood", "log-lik/char"), ("seconds_per_tune", "s/tune")]


def measure(tunes, seconds: float) -> dict:
    metrics = [tune_metrics(t.text) for t in tunes]
    verdicts = [abc2midi_verdict(t.text) for t in tunes]
    count = len(tunes)
    return {
        "count": count,
        "final_tonic": sum(m.final_on_tonic for m in metrics) / count,
        "strain_tonic": statistics.mean(m.strain_tonic_share for m in metrics),
        "strain_triad": statistics.mean(m.strain_triad_share for m in metrics),
        "a2m_clean": sum(v[0] and v[1] for v in verdicts) / count,
        "log_likelihood": statistics.mean(t.log_likelihood for t in tunes),
        "seconds_per_tune": seconds / count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", default=str(MODEL))
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--temperatures", default="1.0,0.8")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--max-length", type=int, default=1000)
    parser.add_argument("--out", default="", help="append each row to this JSON-lines file")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.seeds, args.temperatures, args.max_length = 2, "1.0", 250  # short tunes (strict bars still end them)
    torch.set_num_threads(1)
    sampler = Sampler.from_checkpoint(args.checkpoint)
    print(f"model {args.checkpoint}, seeds 0-{args.seeds - 1}, strict AABB, 1 thread", flush=True)
    rows = []
    for temperature in [float(t) for t in args.temperatures.split(",")]:
        for cadence in ("free", "home"):
            tunes, start = [], time.perf_counter()
            for first in range(0, args.seeds, args.batch):
                config = SamplingConfig(count=min(args.batch, args.seeds - first), seed=first, temperature=temperature,
                                        bars="strict", form="AABB", cadence=cadence,
                                        max_length=args.max_length)
                tunes.extend(sampler.sample(config))
            row = {"temperature": temperature, "cadence": cadence, **measure(tunes, time.perf_counter() - start)}
            rows.append(row)
            print(json.dumps(row), flush=True)
            if args.out:
                with open(args.out, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(row) + "\n")
    print("| T | cadence | " + " | ".join(title for _, title in COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for row in rows:
        cells = [f"{row[key]:.0%}" if key not in ("log_likelihood", "seconds_per_tune") else f"{row[key]:.3f}"
                 for key, _ in COLUMNS]
        print(f"| {row['temperature']} | {row['cadence']} | " + " | ".join(cells) + " |")
    for free, home in zip(rows[::2], rows[1::2]):
        print(f"T={free['temperature']}: the cadence's price {free['log_likelihood'] - home['log_likelihood']:+.3f} "
              "nats per character (free minus home)")


if __name__ == "__main__":
    main()
