"""Self-describing checkpoints: weights, both configs, vocabulary, step, optimizer and RNG state, corpus, metrics.

``rank_states`` (one per training process, in rank order) holds what each process needs to read on exactly where it
stopped: its window generator and torch's RNG state (dropout) and, for stream-context runs, its stream position and
the LSTM state it carries. Checkpoints from before it existed resume from ``rng_state`` (rank 0's generator).

A checkpoint alone rebuilds the model (``load_checkpoint(path).build_model()``); its vocabulary says what the model
reads (characters, or tokens: :mod:`studio.core.network.token_vocabulary`; files from before tokens read characters). Files are written atomically (a
temporary file in the same folder, flushed, fsynced and renamed), so a crash or a full disk mid-write keeps the
previous checkpoint; a write that fails says whether the disk was full (``studio.core.disk_space``). Loading uses
``weights_only`` unpickling: a foreign file cannot run code.
"""

from __future__ import annotations

import os
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import torch

from studio.core.atomic_files import replacing
from studio.core.configs import ModelConfig, TrainConfig
from studio.core.disk_space import write_failure
from studio.core.network.model import CharLSTM
from studio.core.network.token_vocabulary import TokenVocabulary, stored_vocabulary, vocabulary_from_stored
from studio.core.network.vocabulary import Vocabulary

FORMAT_NAME = "abc-studio-checkpoint"
FORMAT_VERSION = 1
# test-only: "STEP:MARKER" makes the write of the step-STEP checkpoint stop after its temporary file is complete and
# before the rename, touch MARKER and wait there (so a test can kill the process mid-write). Unset, it costs one
# environment lookup per checkpoint.
HOLD_WRITE_ENV = "ABC_STUDIO_TEST_HOLD_CHECKPOINT_WRITE"


class CheckpointError(Exception):
    """A checkpoint cannot be written or read; the message says why, for the user (``disk_full`` when the disk
    had no room for it)."""

    def __init__(self, message: str, disk_full: bool = False):
        super().__init__(message)
        self.disk_full = disk_full


@dataclass
class Checkpoint:
    """Everything one checkpoint file holds."""

    model_config: ModelConfig
    train_config: TrainConfig
    vocabulary: Vocabulary | TokenVocabulary
    step: int
    model_state: dict
    optimizer_state: dict | None = None
    rng_state: torch.Tensor | None = None
    corpus: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    created: str = ""
    rank_states: list[dict] | None = None
    #: the model it was fine-tuned from (a packaged fine-tuned model: :mod:`studio.core.learning.packaging`)
    parent: dict = field(default_factory=dict)

    def build_model(self, device: torch.device | str = "cpu") -> CharLSTM:
        """The network with these weights, in fp32, in eval mode."""
        model = CharLSTM(self.model_config)
        try:
            model.load_state_dict({k: v.float() for k, v in self.model_state.items()})
        except RuntimeError as exc:
            raise CheckpointError(f"the weights do not fit the stored configuration: {str(exc)[:300]}") from exc
        return model.to(device).eval()


def save_checkpoint(path: Path | str, checkpoint: Checkpoint, *, half_precision: bool = False) -> Path:
    """Writes ``checkpoint`` atomically; raises CheckpointError (e.g. disk full) and leaves any older file intact."""
    path = Path(path)
    weights = checkpoint.model_state
    if half_precision:
        weights = {k: v.half() if v.is_floating_point() else v for k, v in weights.items()}
    payload = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "created": checkpoint.created or datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model_config": checkpoint.model_config.to_dict(),
        "train_config": checkpoint.train_config.to_dict(),
        "vocabulary": stored_vocabulary(checkpoint.vocabulary),
        "step": int(checkpoint.step),
        "model_state": {k: v.detach().cpu() for k, v in weights.items()},
        "optimizer_state": checkpoint.optimizer_state,
        "rng_state": checkpoint.rng_state,
        "corpus": dict(checkpoint.corpus),
        "metrics": dict(checkpoint.metrics),
        "rank_states": checkpoint.rank_states,
        **({"parent": dict(checkpoint.parent)} if checkpoint.parent else {}),
    }
    had_one = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as handle:
            torch.save(payload, handle)
            _hold_if_a_test_asks(checkpoint.step)
    except (OSError, RuntimeError) as exc:
        failure = write_failure(exc, path.parent, _tensor_bytes(payload))
        kept = "the previous one is kept" if had_one else "there is no earlier one"
        raise CheckpointError(f"could not write checkpoint {path.name}: {failure.words}; {kept}",
                              disk_full=failure.disk_full) from exc
    return path


def _tensor_bytes(value) -> int:
    """About how many bytes the tensors in ``value`` (nested dicts, lists) take in a file."""
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, dict):
        return sum(_tensor_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_tensor_bytes(v) for v in value)
    return 0


def _hold_if_a_test_asks(step: int) -> None:
    asked = os.environ.get(HOLD_WRITE_ENV)
    if asked and asked.split(":", 1)[0] == str(step):
        Path(asked.split(":", 1)[1]).write_text(str(os.getpid()))
        while True:  # until the test kills the process
            time.sleep(1)


def load_checkpoint(path: Path | str) -> Checkpoint:
    """Reads a checkpoint; raises CheckpointError for a missing, truncated, corrupt or foreign file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError, Exception) as exc:  # noqa: BLE001
        raise CheckpointError(
            f"{path.name} is not a readable checkpoint (truncated or corrupt file?): {str(exc).splitlines()[0][:200]}"
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{path.name} is not an ABC Studio checkpoint")
    if payload.get("version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{path.name} was written by a newer ABC Studio (format {payload['version']})")
    try:
        vocabulary = vocabulary_from_stored(payload["vocabulary"])
        model_config = ModelConfig.from_dict(payload["model_config"])
        if model_config.vocab_size != len(vocabulary):
            raise CheckpointError(
                f"{path.name}: the vocabulary has {len(vocabulary)} {vocabulary.units} but the model expects "
                f"{model_config.vocab_size}"
            )
        return Checkpoint(
            model_config=model_config,
            train_config=TrainConfig.from_dict(payload.get("train_config", {})),  # old files: as they trained
            vocabulary=vocabulary,
            step=int(payload["step"]),
            model_state=payload["model_state"],
            optimizer_state=payload.get("optimizer_state"),
            rng_state=payload.get("rng_state"),
            corpus=payload.get("corpus", {}),
            metrics=payload.get("metrics", {}),
            created=payload.get("created", ""),
            rank_states=payload.get("rank_states"),
            parent=payload.get("parent") or {},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path.name} is missing or has malformed fields: {exc}") from exc
