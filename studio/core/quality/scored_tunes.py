"""Which tunes a model is scored on: a split of a corpus as the model's training divided it, at its text level and
in its one tonic (:func:`tunes_as_read`), and the error that says why a corpus or split cannot be scored.

The split: ``all`` is the whole corpus; ``train`` and ``validation`` are a run's stored split (``split.json``), or,
for a checkpoint outside a run (the shipped model), the split its training settings rebuild (seed and validation
fraction in the checkpoint, checked against the corpus identity it records; a model trained on a combined corpus such
as ``irishCombined`` is scored on its primary collection's split, the held-out tunes it never saw); a fine-tuned run
scored on its base's corpus is scored on the base's split (what the new style cost,
:func:`studio.core.learning.fine_tuning.split_owner`).
"""

from __future__ import annotations

from pathlib import Path

from studio.core.configs import SCORE_SPLITS as SPLITS
from studio.core.corpus import COMBINED_CORPORA, Corpus, Tune
from studio.core.learning.augmentation import tunes_in_tonic
from studio.core.learning.fine_tuning import split_owner
from studio.core.network.checkpoints import Checkpoint
from studio.core.runs import Run
from studio.core.text_levels import corpus_at_level


class ScoringError(Exception):
    """A model cannot be scored on that corpus or split; the message says why, for the user."""


def run_of_checkpoint(path: Path | str) -> Run | None:
    """The run folder a checkpoint file sits in (``RUN/checkpoints/NAME.pt``), if it is one."""
    folder = Path(path).resolve().parent.parent
    return Run(folder) if (folder / "split.json").is_file() else None


def _primary_of(corpus_name: str | None) -> str | None:
    """The collection a combined built-in corpus splits (its held-out tunes are that collection's), or None."""
    return COMBINED_CORPORA[corpus_name][0] if corpus_name in COMBINED_CORPORA else None


def tunes_of_split(corpus: Corpus, split: str, checkpoint: Checkpoint, run: Run | None = None) -> list[Tune]:
    """The tunes of ``split`` (validation, train or all) of ``corpus`` as the model's training divided them."""
    if split not in SPLITS:
        raise ScoringError(f"unknown split {split!r}; choose {', '.join(SPLITS)}")
    if split == "all":
        return list(corpus.tunes)
    trained_on = checkpoint.corpus.get("identity")
    if run is not None:  # the run's stored ids (a combined corpus's validation tunes are all its primary's)
        wanted = run.split_identity()["validation_ids" if split == "validation" else "train_ids"]
        by_id = {t.id: t for t in corpus.tunes}
        missing = [i for i in wanted if i not in by_id]
        if missing:
            raise ScoringError(f"the run's {split} split is not of corpus {corpus.name} ({len(missing)} of its tunes "
                               f"are missing, e.g. {missing[0]}); use split all")
        return [by_id[i] for i in wanted]
    if trained_on and (trained_on == corpus.identity() or _primary_of(checkpoint.corpus.get("name")) == corpus.name):
        # a combined corpus splits its primary collection exactly as the primary alone is split (same seed)
        settings = checkpoint.train_config
        divided = corpus.split(settings.validation_fraction, settings.seed)
    else:
        what = checkpoint.corpus.get("name", "another corpus") if trained_on else "an unrecorded corpus"
        raise ScoringError(f"the model was trained on {what}, not on this version of {corpus.name}: its {split} split "
                           f"cannot be rebuilt here; use split all")
    return list(divided.validation if split == "validation" else divided.train)


def tunes_as_read(checkpoint: Checkpoint, corpus: Corpus, split: str, run: Run | None) -> list[Tune]:
    """The tunes of ``split`` of ``corpus`` as the checkpoint's model reads them: at its text level, divided as its
    training (or its lineage's) divided them, and in its one tonic if it has one."""
    level = checkpoint.train_config.text_level
    try:
        corpus = corpus_at_level(corpus, level)
    except ValueError as exc:
        raise ScoringError(f"the model reads text at the {level} level: {exc}") from exc
    tunes = tunes_of_split(corpus, split, *split_owner(checkpoint, run, corpus.identity(), corpus.name))
    if not tunes:
        raise ScoringError(f"the {split} split of {corpus.name} holds no tune")
    return tunes_in_tonic(tunes, checkpoint.train_config.tonic)  # a one-tonic model reads every tune in its key
