"""The unit the model reads, measured: characters (the lab's) against ABC tokens (folk-rnn's), at the same cost.

Each arm trains the same recipe with ``TrainConfig.units`` changed and nothing else (O'Neill's at the canonical text
level, the same seed and so the same split and training tunes; hidden 512, batch 16, sequence 100 units, 1,500 cosine
steps at Adam 5e-3, stream context, fp32 unless ``--precision bf16``), one arm after the other in this process on one
torch thread (``studio.core.learning.training.Trainer``, as ``python -m studio train`` does). For each arm it reports:

- the training's wall seconds (the trainer's own clock);
- the held-out loss on O'Neill's validation tunes read whole (``studio.core.quality.scoring``): per melody note (the
  tune's total nats over its melody notes, the figure that compares units) and per unit;
- how many validation tunes hold a unit the training tunes never had (the vocabulary is the corpus's, as for
  characters, so such a unit has a code its training never showed);
- 100 tunes sampled freely (free bars, the model itself) at T=1.0 from seed 5000: valid (the studio's validator finds
  the tune's structure sound), every bar right by that validator, final melody note on the tonic, strain endings on
  the tonic (:mod:`studio.core.quality.tonal`), ``abc2midi -c`` clean (no error, no bar warning), complete (ended
  within 1,000 units), and sampling seconds per tune.

    python bench/units_pilot.py --out /tmp/units-pilot          # both arms: about 20 minutes of one core each
    python bench/units_pilot.py --smoke                          # a tiny network, 20 steps on O'Neill's first file

``--one-tonic D`` writes every tune of the corpus (training and held-out alike) with the tonic D before anything
else, mode kept (a tune in G major becomes D major, one in A dorian D dorian; the move of -5 to +6 semitones that
keeps the tune in O'Neill's range, an octave further when it must; tunes without a tonic or that fit no octave stay
as written): the pilot of training in one key, as folk-rnn's later data did, so a cadence is learnt on one pitch.
``--clock bar`` gives the network the bar clock (:mod:`studio.core.abc.bar_clock`): the pilot of telling the network
how far into its bar it stands.
``--unit-eighth`` first writes every tune with ``L:1/8`` (:func:`studio.core.abc.unit_length.in_unit_length`; O'Neill's
writes about one tune in ten, mostly hornpipes, in sixteenths): the pilot of one unit note length.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from strict_sampling import abc2midi_verdict  # noqa: E402

from studio.core.abc.bar_clock import CLOCKS  # noqa: E402
from studio.core.abc.unit_length import in_unit_length  # noqa: E402
from studio.core.abc.units import abc_tokens  # noqa: E402
from studio.core.abc.validate import validate_tune  # noqa: E402
from studio.core.configs import ModelConfig, SamplingConfig, TrainConfig  # noqa: E402
from studio.core.corpus import DEFAULT_CORPUS, builtin_corpus_files, load_corpus  # noqa: E402
from studio.core.generation.sampling import Sampler  # noqa: E402
from studio.core.learning.augmentation import tunes_in_tonic  # noqa: E402
from studio.core.learning.training import Trainer  # noqa: E402
from studio.core.quality.metrics import tune_metrics  # noqa: E402
from studio.core.quality.scoring import TUNE_ENDING, score_corpus  # noqa: E402
from studio.core.runs import RunStore  # noqa: E402
from studio.core.text_levels import corpus_at_level  # noqa: E402

COLUMNS = [("train_wall_s", "train s"), ("nats_per_note", "held-out nats/note"), ("nats_per_unit", "nats/unit"),
           ("unseen_tunes", "val. tunes w/ unseen unit"), ("valid", "valid"), ("bars_ok", "every bar right"),
           ("final_tonic", "final on tonic"), ("strain_tonic", "strain ends on tonic"),
           ("a2m_clean", "abc2midi clean"), ("complete", "complete"), ("seconds_per_tune", "s/tune sampled")]
SHARES = ("valid", "bars_ok", "final_tonic", "strain_tonic", "a2m_clean", "complete")


def units_of(text: str, units: str) -> list[str]:
    return abc_tokens(text) if units == "tokens" else list(text)


def in_one_tonic(corpus, tonic_letter: str):
    """``corpus`` with every tune moved to the tonic ``tonic_letter`` (see the module docstring) and how many moved."""
    tunes = tunes_in_tonic(corpus.tunes, tonic_letter)
    return replace(corpus, tunes=tunes), sum(a.text != b.text for a, b in zip(tunes, corpus.tunes))


def in_eighths(corpus):
    """``corpus`` with every tune written in ``L:1/8`` where it can be, and how many were rewritten."""
    tunes = [replace(t, text=in_unit_length(t.text) or t.text) for t in corpus.tunes]
    return replace(corpus, tunes=tunes), sum(a.text != b.text for a, b in zip(tunes, corpus.tunes))


def unseen_units(split, units: str) -> tuple[int, int]:
    """(validation tunes holding a unit no training tune has, such units in all)."""
    seen = {unit for tune in split.train for unit in units_of(tune.text + TUNE_ENDING, units)}
    counts = [sum(unit not in seen for unit in units_of(tune.text + TUNE_ENDING, units)) for tune in split.validation]
    return sum(count > 0 for count in counts), sum(counts)


def sampled(checkpoint: Path, count: int, seed: int, temperature: float, batch: int) -> dict:
    """The free tunes' measures (see the module docstring)."""
    sampler = Sampler.from_checkpoint(checkpoint)
    tunes, began = [], time.perf_counter()
    for first in range(0, count, batch):
        config = SamplingConfig(count=min(batch, count - first), seed=seed + first, temperature=temperature,
                                bars="free", max_length=1000)
        tunes.extend(sampler.sample(config))
    seconds = time.perf_counter() - began
    reports = [validate_tune(t.text) for t in tunes]
    metrics = [tune_metrics(t.text) for t in tunes]
    verdicts = [abc2midi_verdict(t.text) for t in tunes]
    return {
        "valid": sum(r.structurally_valid for r in reports) / count,
        "bars_ok": sum(r.structurally_valid and not r.bars_failed for r in reports) / count,
        "final_tonic": sum(m.final_on_tonic for m in metrics) / count,
        "strain_tonic": statistics.mean(m.strain_tonic_share for m in metrics),
        "a2m_clean": sum(v[0] and v[1] for v in verdicts) / count,
        "complete": sum(t.complete for t in tunes) / count,
        "seconds_per_tune": seconds / count,
        "mean_characters": statistics.mean(len(t.text) for t in tunes),
        "first_tune": tunes[0].text,
    }


def arm(units: str, args, corpus, held_out, store: RunStore) -> dict:
    shape = {"embedding_dim": 16, "hidden_size": 32} if args.smoke else {"hidden_size": args.hidden_size,
                                                                            "num_layers": args.num_layers}
    model_config = ModelConfig(clock=args.clock, dropout=args.dropout, **shape)
    train_config = TrainConfig(iterations=args.steps, batch_size=args.batch, seq_length=args.seq, lr_schedule="cosine",
                               context="stream", precision=args.precision, seed=args.seed, units=units,
                               text_level="canonical", validation_interval=args.steps, checkpoint_interval=args.steps)
    trainer = Trainer.new(corpus, model_config, train_config, store, f"units-{units}-clock-{args.clock}")
    data_units = len(trainer.batches.data)
    print(f"{units}: vocabulary {len(trainer.vocabulary)} units; training text {data_units:,} units", flush=True)
    result = trainer.run()
    if result.reason != "finished":
        raise SystemExit(f"{units}: training {result.reason}: {result.error or result.stop_reason}")
    print(f"{units}: trained {result.steps_done} steps in {result.wall_time:.0f} s, last loss {result.final_loss:.3f}",
          flush=True)
    checkpoint = trainer.run_folder.last_checkpoint
    score = score_corpus(checkpoint, held_out, run=trainer.run_folder)
    print("\n".join(score.summary_lines(0)[:3]), flush=True)
    unseen_tunes, unseen = unseen_units(trainer.split, units)
    row = {"units": units, "vocabulary": len(trainer.vocabulary), "training_units": data_units,
           "train_wall_s": result.wall_time, "final_train_loss": result.final_loss,
           "nats_per_note": score.nats_per_note, "nats_per_unit": score.nats_per_char, "scored_units": score.characters,
           "notes": score.notes, "skipped_units": sum(score.unknown.values()), "unseen_tunes": unseen_tunes,
           "unseen_units": unseen, "validation_tunes": len(trainer.split.validation), "run": str(trainer.run_folder.path),
           **sampled(checkpoint, args.tunes, args.sample_seed, args.temperature, args.sample_batch)}
    print(json.dumps({k: v for k, v in row.items() if k != "first_tune"}), flush=True)
    print(row["first_tune"], flush=True)
    return row


def cell(key: str, value) -> str:
    if key in SHARES:
        return f"{value:.0%}"
    if key in ("nats_per_note", "nats_per_unit", "seconds_per_tune"):
        return f"{value:.3f}"
    return f"{value:.0f}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", default="characters,tokens")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seq", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hidden-size", type=int, default=512)
    parser.add_argument("--num-layers", type=int, default=1)
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16"),
                        help="bf16: under autocast (with ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16 off AMX's kernels)")
    parser.add_argument("--clock", default="none", choices=CLOCKS, help="the network's bar clock (ModelConfig.clock)")
    parser.add_argument("--dropout", type=float, default=0.0, help="ModelConfig.dropout (the shipped recipe's: 0.5)")
    parser.add_argument("--one-tonic", default="", help="write every tune with this tonic first (e.g. D)")
    parser.add_argument("--unit-eighth", action="store_true", help="write every tune with L:1/8 first")
    parser.add_argument("--tunes", type=int, default=100)
    parser.add_argument("--sample-seed", type=int, default=5000)
    parser.add_argument("--sample-batch", type=int, default=50)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--out", default="", help="a folder for the runs and result.json (default: a temporary one)")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.steps, args.tunes, args.sample_batch = 20, 4, 4
    torch.set_num_threads(1)
    out = Path(args.out or tempfile.mkdtemp(prefix="units-pilot-"))
    out.mkdir(parents=True, exist_ok=True)
    source = str(builtin_corpus_files(DEFAULT_CORPUS)[0]) if args.smoke else DEFAULT_CORPUS
    corpus = load_corpus(source)
    if args.unit_eighth:
        corpus, rewritten = in_eighths(corpus)
        print(f"unit 1/8: {rewritten} of {len(corpus.tunes)} tunes rewritten", flush=True)
    if args.one_tonic:
        corpus, moved = in_one_tonic(corpus, args.one_tonic)
        print(f"one tonic {args.one_tonic}: {moved} of {len(corpus.tunes)} tunes moved", flush=True)
    held_out = corpus_at_level(corpus, "canonical")
    print(f"units pilot: {source}, {args.steps} steps, batch {args.batch}, sequence {args.seq}, seed {args.seed}, "
          f"network {args.num_layers} x {args.hidden_size}, "
          f"1 thread; {args.tunes} free tunes at T={args.temperature} from seed {args.sample_seed}; out {out}",
          flush=True)
    rows = [{**arm(units, args, corpus, held_out, RunStore(out / "runs")), "clock": args.clock, "dropout": args.dropout}
            for units in args.units.split(",")]
    (out / "result.json").write_text(json.dumps(rows, indent=1))
    print("| units | vocabulary | " + " | ".join(title for _, title in COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for row in rows:
        print(f"| {row['units']} | {row['vocabulary']} | " + " | ".join(cell(k, row[k]) for k, _ in COLUMNS) + " |")


if __name__ == "__main__":
    main()
