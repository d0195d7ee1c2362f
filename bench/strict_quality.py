"""The issue-12 quality table: free and strict bars, AABB with and without phrase repeats, best of 4, on a model.

For each temperature and mode, tunes with seeds 0..N-1 (sampled in batches of ``--batch`` tunes, 1 torch thread):

* valid and every bar correct, by the studio's validator (``validate_tune``) and by ``abc2midi -c`` (no error; no
  bar warning), run in a temporary folder;
* median share of bars repeating an earlier bar, Yang & Lerch mean overlap with the corpus (``set_metrics``),
  near-copy rate (n-gram similarity to a corpus tune >= ``NEAR_COPY_THRESHOLD``);
* mean log-likelihood per character under the unmasked model (nats), and seconds per kept tune (best of 4: four
  candidates and the critic's scoring per tune).

Each row is appended to ``--out`` (JSON lines) as soon as it is measured; the Markdown table is printed at the end.
Best of 4 uses the seeds ``4 i .. 4 i + 3`` for tune ``i`` (see :mod:`studio.core.generation.best_of`).

    python bench/strict_quality.py                          # seeds 0-99, T 0.8 1.0 1.2 (about an hour)
    python bench/strict_quality.py --seeds 40 --out rows.jsonl
    python bench/strict_quality.py --smoke                  # a tiny model, 2 seeds, 1 temperature: seconds
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

from studio.core.abc.validate import validate_tune  # noqa: E402
from studio.core.configs import SamplingConfig  # noqa: E402
from studio.core.generation.best_of import best_of  # noqa: E402
from studio.core.generation.sampling import Sampler
from studio.core.quality.evaluation import corpus_reference  # noqa: E402
from studio.core.quality.metrics import set_metrics, tune_metrics  # noqa: E402
from studio.core.quality.novelty import NEAR_COPY_THRESHOLD

MODEL = Path(__file__).resolve().parent.parent / "models" / "default.pt"
#: mode -> (SamplingConfig fields, best of N)
MODES = {"free": (dict(bars="free", form="free"), 1), "strict": (dict(bars="strict", form="free"), 1),
         "strict+AABB-no-phrase-repeats": (dict(bars="strict", form="AABB", phrase_repeats=False), 1),
         "strict+AABB": (dict(bars="strict", form="AABB"), 1),
         "strict+AABB+best-of-4": (dict(bars="strict", form="AABB"), 4)}
COLUMNS = [("valid", "valid"), ("bars_ok", "every bar right"), ("a2m_no_error", "abc2midi no error"),
           ("a2m_no_bar_warning", "abc2midi no bar warning"), ("repeated_bar_share", "median repeated bars"),
           ("overlap", "Y&L overlap"), ("near_copy", "near-copies"), ("log_likelihood", "log-lik/char"),
           ("seconds_per_tune", "s/tune")]


def sample_mode(sampler, reference, settings: dict, n: int, temperature: float, seeds: int, batch: int,
                max_length: int):
    """The kept tunes of seeds 0..seeds-1 and the seconds it took."""
    tunes, start = [], time.perf_counter()
    per_call = max(1, batch // n)
    for first in range(0, seeds, per_call):
        config = SamplingConfig(count=min(per_call, seeds - first), seed=first * n, temperature=temperature,
                                max_length=max_length, **settings)
        if n == 1:
            tunes.extend(sampler.sample(config))
        else:
            tunes.extend(best_of(sampler, config, n, reference).tunes)
    return tunes, time.perf_counter() - start


def measure(tunes, seconds: float, reference) -> dict:
    texts = [t.text for t in tunes]
    reports = [validate_tune(text) for text in texts]
    verdicts = [abc2midi_verdict(text) for text in texts]
    count = len(texts)
    compared = set_metrics(texts, None, novelty_index=reference.novelty, reference_metrics=reference.tune_metrics)
    return {
        "count": count,
        "valid": sum(r.structurally_valid for r in reports) / count,
        "bars_ok": sum(r.structurally_valid and not r.bars_failed for r in reports) / count,
        "a2m_no_error": sum(v[0] for v in verdicts) / count,
        "a2m_no_bar_warning": sum(v[1] for v in verdicts) / count,
        "repeated_bar_share": statistics.median(tune_metrics(text).repeated_bar_share for text in texts),
        "overlap": compared.mean_overlap,
        "near_copy": sum(reference.novelty.max_similarity(text) >= NEAR_COPY_THRESHOLD for text in texts) / count,
        "log_likelihood": statistics.mean(t.log_likelihood for t in tunes),
        "seconds_per_tune": seconds / count,
    }


def cell(key: str, value: float) -> str:
    if key in ("valid", "bars_ok", "a2m_no_error", "a2m_no_bar_warning", "near_copy"):
        return f"{value:.0%}"
    return f"{value:.1f}" if key == "seconds_per_tune" else f"{value:.2f}"


def markdown(rows: list[dict]) -> str:
    lines = ["| T | mode | " + " | ".join(title for _, title in COLUMNS) + " |",
             "|---|---|" + "---|" * len(COLUMNS)]
    for row in rows:
        lines.append(f"| {row['temperature']} | {row['mode']} | "
                     + " | ".join(cell(key, row[key]) for key, _ in COLUMNS) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", default=str(MODEL))
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--temperatures", default="0.8,1.0,1.2")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--batch", type=int, default=100, help="most candidates sampled in one batch")
    parser.add_argument("--max-length", type=int, default=1000)
    parser.add_argument("--out", default="", help="append each row to this JSON-lines file")
    parser.add_argument("--smoke", action="store_true", help="seconds: 2 seeds, T=1.0, 120 characters")
    args = parser.parse_args()
    if args.smoke:
        args.seeds, args.temperatures, args.max_length = 2, "1.0", 120
    torch.set_num_threads(1)
    sampler = Sampler.from_checkpoint(args.checkpoint)
    reference = corpus_reference("oneills1850")
    print(f"model {args.checkpoint}, seeds 0-{args.seeds - 1}, 1 thread, max length {args.max_length}", flush=True)
    rows = []
    for temperature in [float(t) for t in args.temperatures.split(",")]:
        for mode in args.modes.split(","):
            settings, n = MODES[mode]
            tunes, seconds = sample_mode(sampler, reference, settings, n, temperature, args.seeds, args.batch,
                                         args.max_length)
            row = {"temperature": temperature, "mode": mode, **measure(tunes, seconds, reference)}
            rows.append(row)
            print(json.dumps(row), flush=True)
            if args.out:
                with open(args.out, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(row) + "\n")
    print(markdown(rows))


if __name__ == "__main__":
    main()
