"""Fine-tuning recipes on a small collection the shipped model never saw, and what each cost on O'Neill's.

Each arm trains a run on the collection (the ``fine-tune`` preset with one setting changed, started from the shipped
model, or from nothing as the control), keeps its best checkpoint by the held-out score (early stopping by
selection), then scores it per melody note (``studio.core.quality.scoring``, tunes read whole) on the collection's held-out
tunes and on O'Neill's validation tunes (the base's own held-out tunes: forgetting). The shipped model's own scores on
both come first, as the line to beat and the line not to lose.

    python bench/fine_tune_recipe.py --corpus miscFolk --iterations 150 --arms base,lr3e-3,lr3e-4,scratch
    python bench/fine_tune_recipe.py --smoke    # a tiny base trained here, a few steps on 52 fife tunes
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace

import torch

from studio.core.configs import preset
from studio.core.corpus import load_corpus
from studio.core.learning.fine_tuning import load_base
from studio.core.learning.training import Trainer
from studio.core.paths import SHIPPED_MODEL
from studio.core.quality.scoring import ScoringError, score_corpus
from studio.core.runs import RunStore

#: arm name -> (start from the shipped model?, TrainConfig changes, dropout or None for the preset's)
ARMS = {
    "base": (True, {}, None),
    "lr3e-4": (True, {"learning_rate": 3e-4}, None),
    "lr3e-3": (True, {"learning_rate": 3e-3}, None),
    "drop0": (True, {}, 0.0),
    "scratch": (False, {}, None),
}


def _smoke_base(store: RunStore):
    """A tiny base trained here on O'Neill's first file (its home), and 52 fife tunes to fine-tune it on."""
    from music21 import corpus as music21_corpus

    files = sorted(str(p) for p in music21_corpus.getCorePaths(fileExtensions=("abc",)))
    home = next(f for f in files if "oneills1850" in f)
    model_config, train_config = preset("tiny")
    trainer = Trainer.new(load_corpus(home), model_config, replace(train_config, iterations=4), store, "smoke-base")
    trainer.run()
    return trainer.run_folder.last_checkpoint, home, load_corpus(next(f for f in files if "americanfife" in f))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default="miscFolk")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="a tiny base on O'Neill's first file, 3 steps, 2 arms")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    store = RunStore(tempfile.mkdtemp(prefix="fine-tune-bench-"))
    base_path, home, corpus = SHIPPED_MODEL, "oneills1850", load_corpus(args.corpus)
    if args.smoke:
        base_path, home, corpus = _smoke_base(store)
        args.iterations, args.arms = 3, "base,scratch"
    print(f"{corpus.name}: {len(corpus.tunes)} tunes; {args.iterations} steps; torch threads {args.threads}")
    print("| arm | lr | dropout | best step | held-out nats/note (collection) | O'Neill's val nats/note | s |")
    print("|---|---|---|---|---|---|---|")
    shipped_oneills = None
    for name in args.arms.split(","):
        from_base, changes, dropout = ARMS[name]
        model_config, train_config = preset("fine-tune")
        train_config = replace(train_config, iterations=args.iterations, **changes)
        if dropout is not None:
            model_config = replace(model_config, dropout=dropout)
        base = load_base(base_path)
        if not from_base:  # the control: the shipped model's shape and text level, random weights
            model_config, train_config = base.settings(model_config, train_config)
        began = time.perf_counter()
        trainer = Trainer.new(corpus, model_config, train_config, store, name, base=base if from_base else None)
        trainer.run()
        run = trainer.run_folder
        best = run.best_checkpoint
        best_step = min((p for p in run.loss_log() if p.kind == "validation"), key=lambda p: p.value).step
        if shipped_oneills is None:  # the base on the same held-out tunes, once
            base_new = score_corpus(base_path, corpus, run=run).nats_per_note
            shipped_oneills = score_corpus(base_path, home).nats_per_note
            print(f"| the base, untrained further | - | - | - | {base_new:.3f} | {shipped_oneills:.3f} | - |")
        new = score_corpus(best, corpus, run=run).nats_per_note
        try:  # a run from nothing has no base whose split O'Neill's would be read with
            oneills = f"{score_corpus(best, home, run=run).nats_per_note:.3f}"
        except ScoringError:
            oneills = "-"
        print(f"| {name} | {train_config.learning_rate:g} | {model_config.dropout:g} | {best_step} | {new:.3f} | "
              f"{oneills} | {time.perf_counter() - began:.0f} |")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
