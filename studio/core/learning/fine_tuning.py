"""Fine-tuning: a new run that starts from a trained model (the shipped one, a run's, a model file) instead of
random weights, so a small collection (30 to 300 tunes) only has to teach the style, not how ABC is written.

- :func:`load_base` reads what to start from: ``shipped`` (the shipped model), a checkpoint or model file, or a run
  (its best checkpoint, else its last).
- :meth:`Base.settings` gives the new run the base's network shape (embedding, hidden size, layers) and text level;
  :meth:`Base.conflicts` names what the person asked for that the base cannot follow.
- :meth:`Base.vocabulary_for` extends the base's characters with the new corpus's; :meth:`Base.weights_for` gives
  each added character a new embedding row (the mean of the base's: a neutral input) and a new output row with no
  weights and a bias of ``NEW_CHARACTER_BIAS``, so the base's probabilities of its own characters are unchanged (to
  about 1e-9) until training moves them. Characters the base has and the corpus lacks are kept.
- :func:`held_out_problem` refuses a collection too small to keep a few tunes apart for the held-out score.
- :func:`split_owner` finds whose split a corpus belongs to along a run's lineage, so a fine-tuned run is scored on
  its base's held-out tunes (what the new style cost: forgetting, :func:`studio.core.quality.scoring.forgetting`) as well
  as on its own.

The run records the base in ``run.json`` under ``parent`` (:meth:`Base.record`), with the characters added and the
digest of the base's file (:func:`file_digest`: which base exactly, should a file of that name be replaced later).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from studio.core.configs import SHAPE_FIELDS, ModelConfig, TrainConfig
from studio.core.network.checkpoints import Checkpoint, CheckpointError, load_checkpoint
from studio.core.network.token_vocabulary import CharactersOnly, require_characters
from studio.core.network.vocabulary import Vocabulary
from studio.core.paths import SHIPPED_MODEL
from studio.core.runs import Run, RunStore, RunStoreError

#: Names of the shipped model for ``--from``.
SHIPPED_NAMES = ("shipped", "default")
#: The output bias of an added character: exp(-20) ~ 2e-9, so the base's other probabilities barely move.
NEW_CHARACTER_BIAS = -20.0
#: A fine-tuning run needs at least this many held-out tunes for its held-out score (and its early stopping).
MIN_HELD_OUT = 3


class FineTuningError(ValueError):
    """The base cannot be read or does not fit what was asked; the message says why, for the user."""


@dataclass
class Base:
    """The model a run starts from: its checkpoint, where it was read, and the run it belongs to (if any)."""

    checkpoint: Checkpoint
    path: Path
    run: Run | None = None

    @property
    def label(self) -> str:
        if self.run is not None:
            return f"run {self.run.name} ({self.run.id})"
        return "the shipped model" if self.path.resolve() == SHIPPED_MODEL.resolve() else f"model file {self.path}"

    @property
    def text_level(self) -> str:
        return self.checkpoint.train_config.text_level

    def conflicts(self, asked: dict) -> list[str]:
        """What the person asked for (field -> value, only what they set) that the base cannot follow."""
        base = self.checkpoint.model_config
        out = [f"{name.replace('_', ' ')} {asked[name]} (the base has {getattr(base, name)})"
               for name in SHAPE_FIELDS if asked.get(name) is not None and asked[name] != getattr(base, name)]
        if asked.get("text_level") is not None and asked["text_level"] != self.text_level:
            out.append(f"text level {asked['text_level']} (the base reads {self.text_level} text)")
        tonic = self.checkpoint.train_config.tonic
        if asked.get("tonic") is not None and asked["tonic"] != tonic:
            out.append(f"tonic {asked['tonic']} (the base reads tunes {_tonic_words(tonic)})")
        return out

    def settings(self, model_config: ModelConfig, train_config: TrainConfig) -> tuple[ModelConfig, TrainConfig]:
        """The run's settings with the base's shape, text level, units and tonic (dropout and the rest stay the
        run's)."""
        base = self.checkpoint.model_config
        shaped = replace(model_config, **{name: getattr(base, name) for name in SHAPE_FIELDS})
        taken = self.checkpoint.train_config
        return shaped, replace(train_config, text_level=self.text_level, units=taken.units, tonic=taken.tonic)

    def vocabulary_for(self, text: str) -> tuple[Vocabulary, str]:
        """The base's characters and those of ``text`` it lacks (sorted together), and the added ones."""
        old = self.checkpoint.vocabulary
        added = old.unknown_chars(text)
        return Vocabulary("".join(sorted(old.chars + added))), added

    def weights_for(self, vocabulary: Vocabulary) -> dict[str, torch.Tensor]:
        """The base's weights with rows for ``vocabulary`` (a superset of the base's characters), in fp32."""
        old = self.checkpoint.vocabulary
        state = {k: v.float().clone() for k, v in self.checkpoint.model_state.items()}
        if vocabulary.chars == old.chars:
            return state
        rows = torch.tensor([old.chars.index(ch) if ch in old else -1 for ch in vocabulary.chars])
        known = rows >= 0
        embedding = state["embedding.weight"]
        grown = embedding.mean(0).repeat(len(vocabulary), 1)
        grown[known] = embedding[rows[known]]
        head = torch.zeros(len(vocabulary), state["head.weight"].shape[1])
        head[known] = state["head.weight"][rows[known]]
        bias = torch.full((len(vocabulary),), NEW_CHARACTER_BIAS)
        bias[known] = state["head.bias"][rows[known]]
        state.update({"embedding.weight": grown, "head.weight": head, "head.bias": bias})
        return state

    def record(self, added: str) -> dict:
        """What the new run's ``run.json`` keeps of its base (``parent``)."""
        parent = {"label": self.label, "path": str(self.path), "digest": file_digest(self.path),
                  "step": self.checkpoint.step, "corpus": self.checkpoint.corpus.get("name"),
                  "text_level": self.text_level, "added_characters": added}
        if self.checkpoint.parent:  # a packaged fine-tuned model: its own base too
            parent["parent"] = self.checkpoint.parent
        if self.run is not None:
            parent.update(run=self.run.id, name=self.run.name, runs_dir=str(self.run.path.parent))
        return parent


def file_digest(path: Path | str) -> str:
    """The first 16 hex digits of the file's SHA-256."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def load_base(spec: str | Path, store: RunStore | None = None) -> Base:
    """``shipped``, a checkpoint or model file, or a run id (or folder) of ``store``; FineTuningError otherwise."""
    text = str(spec)
    run = None
    if text in SHIPPED_NAMES:
        path = SHIPPED_MODEL
    elif Path(text).is_file():
        path = Path(text)
    else:
        try:
            run = (store or RunStore()).open(text)
        except RunStoreError as exc:
            raise FineTuningError(f"nothing to start from at {text!r}: no model file and {exc}") from exc
        path = next((p for p in (run.best_checkpoint, run.last_checkpoint) if p.exists()), None)
        if path is None:
            raise FineTuningError(f"run {run.name!r} has no checkpoint yet to start from")
    try:
        checkpoint = load_checkpoint(path)
        require_characters(checkpoint.vocabulary, "fine-tuning (starting from a trained model)")
    except CheckpointError as exc:
        raise FineTuningError(f"cannot start from {text!r}: {exc}") from exc
    except CharactersOnly as exc:
        raise FineTuningError(f"cannot start from {text!r}: {exc}") from exc
    return Base(checkpoint, path, run)


def held_out_problem(split, tunes: int) -> str | None:
    """Why a split is too small to fine-tune on (fewer than ``MIN_HELD_OUT`` tunes held out), or None."""
    if len(split.validation) >= MIN_HELD_OUT:
        return None
    return (f"the collection keeps {len(split.validation)} of its {tunes} tunes apart for the held-out score "
            f"(validation fraction {split.validation_fraction:g}); fine-tuning needs at least {MIN_HELD_OUT}: add "
            "tunes or raise the validation fraction")


def start_from(base: Base, trainer, added: str) -> None:
    """Puts the base's weights (rows added for ``added``) into a new trainer's model and records the base in its
    run, with the base's held-out score on the new corpus (the line to beat at step 0)."""
    trainer.model.load_state_dict(base.weights_for(trainer.vocabulary))
    if trainer.run_folder is not None:
        trainer.run_folder.update_meta(parent={**base.record(added), "validation_loss": trainer.validation_loss()})


def parent_of(run: Run) -> Base | None:
    """The base a run was fine-tuned from (None for a run trained from nothing, or a base that is gone)."""
    parent = run.meta().get("parent")
    if not parent:
        return None
    try:
        if parent.get("run"):
            return load_base(parent["run"], RunStore(parent["runs_dir"]))
        return load_base(parent["path"])
    except FineTuningError:
        return None


def _tonic_words(tonic: str) -> str:
    return "in their own keys" if tonic == "written" else f"with the tonic {tonic}"


def split_owner(checkpoint: Checkpoint, run: Run | None, corpus_identity: str, corpus_name: str
                ) -> tuple[Checkpoint, Run | None]:
    """The checkpoint and run whose split holds a corpus: the run itself, or up its lineage the first base trained
    on that corpus (a fine-tuned run is scored on its base's held-out tunes this way)."""
    while run is not None:
        corpus = run.meta().get("corpus", {})
        if corpus.get("identity") == corpus_identity or corpus.get("name") == corpus_name:
            return checkpoint, run
        base = parent_of(run)
        if base is None:
            return checkpoint, run
        checkpoint, run = base.checkpoint, base.run
    return checkpoint, run


def describe_start(parent: dict) -> str:
    """What a run took from its base, in a line or two (the report of ``train --from`` and the Train tab)."""
    added = parent.get("added_characters") or ""
    lines = [f"starting from {parent['label']} (step {parent['step']:,}, trained on {parent.get('corpus')}): its "
             f"network, its {parent['text_level']} text level and its characters"]
    lines.append(f"characters added for this corpus: {added!r}" if added else
                 "no character added: the corpus uses only characters the base knows")
    if parent.get("validation_loss") is not None:
        lines.append(f"the base's held-out loss on this corpus: {parent['validation_loss']:.3f} nats/char "
                     "(the line to beat)")
    return "\n".join(lines)


def describe_forgetting(figures: dict) -> str:
    """One line: the run and its base on the new collection and on the base's home collection (nats/note)."""
    return (f"held-out loss per melody note (nats): {figures['corpus']} {figures['run_new']:.3f} (base "
            f"{figures['base_new']:.3f}); {figures['home']} {figures['run_home']:.3f} "
            f"(base {figures['base_home']:.3f})")
