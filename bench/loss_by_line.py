"""Where a model's held-out loss goes: nats per melody note by what is predicted, for several models side by side.

A per-note figure sums the loss of every character of a tune, its headers too: on a collection whose titles and
``R:`` lines are long (the Essen songs' German titles and genre lists) they can weigh as much as the melody, and a
fine-tuned model and one trained from nothing may differ in one part and not in another. This script reads each
model's held-out tunes as :func:`studio.core.quality.scoring.score_corpus` does (whole, from a blank state, at the
model's text level, split as its run divided them, in its one tonic) and adds the loss of every predicted character
up by what it is: each header field (``T``, ``R``, ``M``...), and in the tune's body its note letters, lengths
(digits and ``/``), bar lines, line ends, rests, accidentals, octave marks, spaces and the rest. Each row is divided
by the tunes' melody notes, so a column adds up to the model's nats per melody note.

    python bench/loss_by_line.py --corpus essen300 --run RUN_FOLDER untrained=models/default.pt \\
        fine-tuned=RUN_FOLDER/checkpoints/last.pt from-nothing=OTHER_RUN/checkpoints/last.pt
    python bench/loss_by_line.py --smoke      # the shipped model on three miscFolk tunes

``--run``: the run whose held-out split is read (a model that is not that run's, such as the base before
fine-tuning, is read on the same tunes); without it each model's own run folder says.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

import torch

from studio.core.abc.tokenizer import scan_tune
from studio.core.corpus import load_corpus
from studio.core.network.checkpoints import load_checkpoint
from studio.core.network.inspection import LOG2, inspect_texts
from studio.core.paths import SHIPPED_MODEL
from studio.core.quality.scored_tunes import run_of_checkpoint, tunes_as_read
from studio.core.quality.scoring import TUNE_ENDING
from studio.core.runs import Run

HEADER = re.compile(r"([A-Za-z]):")
#: A body character -> what it is.
BODY_KINDS = {**dict.fromkeys("ABCDEFGabcdefg", "notes"), **dict.fromkeys("0123456789/", "lengths"),
              **dict.fromkeys("|:[]", "bar lines"), "\n": "line ends", **dict.fromkeys("zxZ", "rests"),
              **dict.fromkeys("^_=", "accidentals"), **dict.fromkeys(",'", "octave marks"), " ": "spaces"}


def kinds_of(text: str) -> list[str]:
    """What each character of ``text`` is: ``header X`` for a field line's characters (its line end too), else a
    body kind of ``BODY_KINDS`` (``other`` for the rest)."""
    kinds = []
    for line in text.split("\n"):
        field = HEADER.match(line)
        line_kinds = ([f"header {field.group(1)}"] * len(line) if field else
                      [BODY_KINDS.get(ch, "other") for ch in line])
        kinds += line_kinds + [line_kinds[-1] if field else "line ends"]
    return kinds[: len(text)]


def loss_by_kind(model_path: str, corpus, run: Run | None, limit: int | None) -> tuple[Counter, int]:
    """Summed nats of ``model_path`` on the run's held-out tunes by kind of predicted character (each tune read
    whole by :func:`studio.core.network.inspection.inspect_texts`, as the editor's surprise colouring reads it), and
    their melody notes."""
    checkpoint = load_checkpoint(model_path)
    tunes = tunes_as_read(checkpoint, corpus, "validation" if run else "all", run)[:limit]
    texts = [tune.text + TUNE_ENDING for tune in tunes]
    nats = Counter()
    for inspection in inspect_texts(checkpoint.build_model(), checkpoint.vocabulary, texts):
        kinds = kinds_of(inspection.text)
        for offset, bits in zip(inspection.offsets[1:], inspection.surprise_bits[1:].tolist()):
            nats[kinds[offset]] += bits * LOG2
    return nats, sum(len(scan_tune(tune.text).melody()) for tune in tunes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*", help="LABEL=CHECKPOINT, one column each")
    parser.add_argument("--corpus", default="essen300")
    parser.add_argument("--run", default=None, help="the run folder whose held-out split is read")
    parser.add_argument("--limit", type=int, default=None, help="read only the first N tunes")
    parser.add_argument("--smoke", action="store_true", help="the shipped model on three miscFolk tunes (all split)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.smoke:
        args.models, args.corpus, args.limit = [f"shipped={SHIPPED_MODEL}"], "miscFolk", 3
    corpus = load_corpus(args.corpus)
    columns = {}
    for label, _, path in (m.partition("=") for m in args.models):
        run = Run(Path(args.run)) if args.run else run_of_checkpoint(path)
        columns[label] = loss_by_kind(path, corpus, run, args.limit)
    kinds = sorted({k for nats, _ in columns.values() for k in nats},
                   key=lambda k: -max(nats[k] for nats, _ in columns.values()))
    print(f"{corpus.name}: nats per melody note by what is predicted ({next(iter(columns.values()))[1]:,} notes)")
    print("| predicted | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for kind in kinds:
        print(f"| {kind} | " + " | ".join(f"{nats[kind] / notes:.3f}" for nats, notes in columns.values()) + " |")
    print("| **total** | " + " | ".join(f"**{sum(nats.values()) / notes:.3f}**" for nats, notes in columns.values())
          + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
