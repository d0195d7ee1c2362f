"""Fine-tuning recipes on a small collection the shipped model never saw, and what each cost on O'Neill's.

Each arm trains a run on the collection (the ``fine-tune`` preset with one setting changed, started from the shipped
model, or from nothing as the control), keeps its best checkpoint by the held-out score (early stopping by
selection), then scores it per melody note (``studio.core.scoring``, tunes read whole) on the collection's held-out
tunes and on O'Neill's validation tunes (the base's own held-out tunes: forgetting). The shipped model's own scores on
both come first, as the line to beat and the line not to lose.

    python bench/fine_tune_recipe.py --corpus miscFolk --iterations 300 --arms base,lr3e-4,lr3e-3,drop0,scratch
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
from studio.core.fine_tuning import load_base
from studio.core.paths import SHIPPED_MODEL
from studio.core.runs import RunStore
from studio.core.scoring import ScoringError, score_corpus
from studio.core.training import Trainer

#: arm name -> (start from the shipped model?, TrainConfig changes, dropout or None for the preset's)
ARMS = {
    "base": (True, {}, None),
    "lr3e-4": (True, {"learning_rate": 3e-4}, None),
    "lr3e-3": (True, {"learning_rate": 3e-3}, None),
    "drop0": (True, {}, 0.0),
    "scratch": (False, {}, None),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default="miscFolk")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    corpus = load_corpus(args.corpus)
    store = RunStore(tempfile.mkdtemp(prefix="fine-tune-bench-"))
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
        base = load_base(SHIPPED_MODEL)
        if not from_base:  # the control: the shipped model's shape and text level, random weights
            model_config, train_config = base.settings(model_config, train_config)
        began = time.perf_counter()
        trainer = Trainer.new(corpus, model_config, train_config, store, name, base=base if from_base else None)
        trainer.run()
        run = trainer.run_folder
        best = run.best_checkpoint
        best_step = min((p for p in run.loss_log() if p.kind == "validation"), key=lambda p: p.value).step
        if shipped_oneills is None:  # the base on the same held-out tunes, once
            base_new = score_corpus(SHIPPED_MODEL, corpus, run=run).nats_per_note
            shipped_oneills = score_corpus(SHIPPED_MODEL, "oneills1850").nats_per_note
            print(f"| shipped model | - | - | - | {base_new:.3f} | {shipped_oneills:.3f} | - |")
        new = score_corpus(best, corpus, run=run).nats_per_note
        try:  # a run from nothing has no base whose split O'Neill's would be read with
            oneills = f"{score_corpus(best, 'oneills1850', run=run).nats_per_note:.3f}"
        except ScoringError:
            oneills = "-"
        print(f"| {name} | {train_config.learning_rate:g} | {model_config.dropout:g} | {best_step} | {new:.3f} | "
              f"{oneills} | {time.perf_counter() - began:.0f} |")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
