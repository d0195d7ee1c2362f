"""A run's checkpoint as a model file to share or ship: compact, with its lineage, and a short card beside it.

:func:`package_model` writes the checkpoint without the optimizer's and the data's state, in half precision unless
asked otherwise (``python -m studio package``). A fine-tuned run's model keeps its parent (:func:`lineage`): the base
it started from (its label, step and corpus, and the digest its file had when the run was trained), the characters
the run added, and the base's held-out loss on the new corpus at step 0 (the line to beat). The model file holds it
(``Checkpoint.parent``, so a model fine-tuned again from this file records it in turn), and the card written beside
the file (``NAME.card.md``, :func:`card_text`) says it in words, next to what the model was trained on and its best
held-out loss. A one-tonic model keeps the keys its training tunes were written in (:func:`corpus_record`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from studio.core.abc.key_moves import tonic_clause
from studio.core.corpus import CorpusError, load_corpus
from studio.core.learning.augmentation import keys_written
from studio.core.network.checkpoints import Checkpoint, load_checkpoint, save_checkpoint
from studio.core.runs import Run

#: What of a run's ``parent`` record stays on this machine only (where its runs were): not in a shared model.
LOCAL_FIELDS = ("runs_dir",)


def lineage(run: Run | None) -> dict:
    """The parent record of a fine-tuned run (``{}`` for a run trained from nothing, or no run)."""
    parent = (run.meta().get("parent") if run is not None else None) or {}
    return {key: value for key, value in parent.items() if key not in LOCAL_FIELDS}


def card_path(model_path: Path | str) -> Path:
    """Where the card of a model file goes: ``default.pt`` -> ``default.card.md``."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".card.md")


def card_text(model_path: Path | str, checkpoint: Checkpoint, source: str) -> str:
    """A short Markdown card of a packaged model: what it is, what it learnt from, and where it started."""
    shape, corpus = checkpoint.model_config, checkpoint.corpus
    best = checkpoint.metrics.get("best_validation_loss")
    lines = [f"# {Path(model_path).name}", "",
             f"Packaged from {source} at step {checkpoint.step:,}. Network: a character LSTM, embedding "
             f"{shape.embedding_dim}, {shape.num_layers} layer(s) of {shape.hidden_size}, "
             f"{len(checkpoint.vocabulary)} characters; reads {checkpoint.train_config.text_level} text"
             + tonic_clause(checkpoint.train_config.tonic) + ".",
             f"Trained on {corpus.get('name', 'an unrecorded corpus')}"
             + (f" ({corpus['tunes']:,} tunes)" if corpus.get("tunes") else "")
             + (f"; best held-out loss {best:.3f} nats per character." if best is not None else ".")]
    parent = checkpoint.parent
    if parent:
        lines += ["", "## Lineage", "",
                  f"Fine-tuned from {parent.get('name') or parent['label']} (step {parent['step']:,}, trained on "
                  f"{parent.get('corpus')}; file digest {parent.get('digest', 'not recorded')})."]
        added = parent.get("added_characters")
        lines.append(f"Characters added for the new corpus: {added!r}." if added else
                     "No character added: the new corpus uses only characters the base knows.")
        if parent.get("validation_loss") is not None:
            line = f"The base's held-out loss on the new corpus: {parent['validation_loss']:.3f} nats per character " \
                   "(the line to beat)"
            lines.append(line + (f"; this model's best: {best:.3f}." if best is not None else "."))
        if parent.get("parent"):
            grand = parent["parent"]
            lines.append(f"Its base was itself fine-tuned from {grand.get('name') or grand.get('label')}.")
    return "\n".join(lines) + "\n"


def corpus_record(checkpoint: Checkpoint, run: Run | None) -> dict:
    """The checkpoint's corpus record; for a one-tonic run trained before its checkpoints kept the keys its tunes
    were written in (:func:`studio.core.learning.augmentation.keys_written`), those keys read from its training tunes
    again, so the packaged model writes its tunes in its corpus's keys."""
    tonic, corpus = checkpoint.train_config.tonic, checkpoint.corpus
    if tonic == "written" or "keys" in corpus or run is None or not corpus.get("source"):
        return corpus
    try:
        split = load_corpus(corpus["source"]).split_from_ids(run.split_identity())
    except (CorpusError, OSError):  # the corpus is gone or changed: the model keeps writing in its own key
        return corpus
    return {**corpus, **keys_written(split.train, tonic)}


def package_model(source: Path | str, out: Path | str, run: Run | None = None, half_precision: bool = True
                  ) -> tuple[Path, Path, Checkpoint]:
    """Writes the checkpoint at ``source`` (of ``run``, whose lineage it keeps) as a compact model file at ``out``
    and its card beside it; returns the model's path, the card's and the packaged checkpoint."""
    checkpoint = load_checkpoint(source)
    checkpoint = replace(checkpoint, optimizer_state=None, rng_state=None, rank_states=None,
                         parent=lineage(run) or checkpoint.parent, corpus=corpus_record(checkpoint, run))
    written = save_checkpoint(Path(out), checkpoint, half_precision=half_precision)
    card = card_path(written)
    card.write_text(card_text(written, checkpoint, f"run {run.name} ({run.id})" if run else str(source)),
                    encoding="utf-8")
    return written, card, checkpoint
