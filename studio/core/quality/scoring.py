"""A model's loss on a corpus: nats and bits per character, overall and per tune, and the trainer's validation windows.

Two ways to score, both in nats per predicted character:

- ``tunes`` (the default, the one a model card should quote): every tune is read whole, the way the sampler reads a
  primer (from its ``X:`` with the state at zero), followed by the blank line that ends it in the training text
  (``join_tunes``). Every character but the tune's first is predicted once, given everything before it in the tune.
  Tunes are sorted by length and read in batches, in time chunks with the state carried (so memory stays bounded and
  padding costs almost nothing).
- ``windows``: the trainer's own validation loss (:func:`window_loss`): fixed, evenly spaced windows of the joined
  text, each read from a zero state. With the trainer's settings (sequence 100, 64 windows) it samples 6,400
  characters and reads every window without the context before it, so it is higher than the tunes figure;
  ``windows=None`` covers the whole text with back-to-back windows.

Which tunes are read (a split, at the model's text level, in its tonic) is
:func:`studio.core.quality.scored_tunes.tunes_as_read`. Characters outside the model's vocabulary are skipped as
:mod:`studio.core.network.inspection` skips them, and counted.
"""

from __future__ import annotations

import contextlib
import math
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from studio.core.abc.canonical import CANONICAL_VERSION
from studio.core.abc.tokenizer import scan_tune
from studio.core.configs import SCORE_METHODS as METHODS
from studio.core.corpus import COMBINED_CORPORA, Corpus, Tune, join_tunes, load_corpus
from studio.core.learning.fine_tuning import parent_of
from studio.core.network.checkpoints import Checkpoint, load_checkpoint
from studio.core.network.inspection import LOG2, known_characters, padded_codes, seen_text
from studio.core.network.model import CharLSTM
from studio.core.network.network_inputs import network_inputs, unit_codes
from studio.core.network.token_vocabulary import TokenVocabulary
from studio.core.network.vocabulary import Vocabulary
from studio.core.quality.position_losses import PositionTotals
from studio.core.quality.scored_tunes import ScoringError, run_of_checkpoint, tunes_as_read
from studio.core.runs import Run
from studio.core.text_levels import older_rules

#: Characters (batch rows x time steps) one forward call reads when scoring whole tunes; bounds memory (~0.4 GB).
CHARACTERS_PER_CALL = 32_768
MAX_ROWS = 256
#: How many characters make one text's ending: a tune in the training text is followed by a blank line.
TUNE_ENDING = "\n\n"

Progress = Callable[[int, int], None]  # (characters done, characters in all)


class LossPerCharacter:
    """Loss per character of something with ``nats`` summed over ``characters`` predicted characters."""

    nats: float
    characters: int

    @property
    def nats_per_char(self) -> float:
        return self.nats / self.characters if self.characters else float("nan")

    @property
    def bits_per_char(self) -> float:
        return self.nats_per_char / LOG2


@dataclass(frozen=True)
class TuneScore(LossPerCharacter):
    """One tune's loss: ``nats`` summed over its ``characters`` predicted characters."""

    id: str
    title: str
    characters: int
    nats: float


@dataclass
class CorpusScore(LossPerCharacter):
    """The loss of a model on a corpus split."""

    model: str
    corpus: str
    split: str
    method: str
    characters: int
    nats: float
    tunes: list[TuneScore] = field(default_factory=list)  # per tune (method ``tunes`` only)
    unknown: dict[str, int] = field(default_factory=dict)  # characters skipped, with their counts
    seconds: float = 0.0
    notes: int = 0  # melody notes of the scored tunes (method ``tunes`` only): the same at every text level
    positions: PositionTotals | None = None  # the loss by position in the tune (method ``tunes`` only)
    units: str = "characters"  # what ``characters`` counts: the model's units (characters or tokens)
    trained_rules: str = ""  # the older canonical rules the model's text was written by ("" when today's, or raw)

    @property
    def nats_per_note(self) -> float:
        """The loss per melody note: unlike per character, comparable between models that read the tunes at
        different text levels (the canonical level writes the same notes in fewer characters)."""
        return self.nats / self.notes if self.notes else float("nan")

    def per_tune_bits(self) -> list[float]:
        return [t.bits_per_char for t in self.tunes if t.characters]

    def most_surprising(self, count: int = 5) -> list[TuneScore]:
        """The tunes the model found hardest (highest bits per character), hardest first."""
        return sorted((t for t in self.tunes if t.characters), key=lambda t: -t.nats_per_char)[:count]

    def least_surprising(self, count: int = 5) -> list[TuneScore]:
        """The tunes the model found easiest, easiest first."""
        return sorted((t for t in self.tunes if t.characters), key=lambda t: t.nats_per_char)[:count]

    def summary_lines(self, count: int = 5) -> list[str]:
        """Lines for a terminal or a report."""
        unit = self.units.rstrip("s")
        lines = [f"{self.model} on {self.corpus} ({self.split}, {self.method}): {self.nats_per_char:.4f} nats per "
                 f"{unit} = {self.bits_per_char:.4f} bits, over {self.characters:,} {self.units} "
                 f"({self.seconds:.1f} s)"]
        if self.notes:
            lines.append(f"per melody note: {self.nats_per_note:.4f} nats over {self.notes:,} notes (comparable "
                         f"across text levels)")
        bits = self.per_tune_bits()
        if self.positions is not None:
            lines.append(f"by position in the tune, nats per {unit}: " + ", ".join(
                f"{label} {nats:.3f}" for label, nats, count in self.positions.buckets() if count))
        if bits:
            lines.append(f"per tune ({len(bits):,} tunes), bits per character: mean {statistics.fmean(bits):.3f}, "
                         f"median {statistics.median(bits):.3f}")
            for heading, tunes in (("most surprising", self.most_surprising(count)),
                                   ("least surprising", self.least_surprising(count))):
                lines.append(f"{heading}:")
                lines += [f"  {t.bits_per_char:6.3f} bits/char  {t.id}  {t.title}" for t in tunes]
        if self.trained_rules:
            lines.append(f"the model read text written by canonical rules {self.trained_rules}; these tunes are read "
                         f"by rules {CANONICAL_VERSION}, so the figure can differ a little from one measured then")
        if self.unknown:
            listed = ", ".join(f"{ch!r} x{n}" for ch, n in sorted(self.unknown.items(), key=lambda kv: -kv[1]))
            lines.append(f"{sum(self.unknown.values()):,} {unit}(s) outside the model's vocabulary were skipped "
                         f"(the model read the text without them): {listed}")
        return lines


# --- the trainer's validation windows --------------------------------------------------------------------------


def window_starts(text_length: int, length: int, count: int | None) -> torch.Tensor:
    """Evenly spaced starts of ``count`` windows of ``length`` characters (plus the shifted target) in a text;
    ``count`` None: back-to-back windows covering the text."""
    fitting = max(1, (text_length - 1) // length)
    count = fitting if count is None else min(count, fitting)
    return torch.linspace(0, text_length - length - 1, count).long()


def windows_at(data: torch.Tensor, starts: torch.Tensor, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Input and target windows of ``length`` characters at ``starts`` (target shifted by one)."""
    chunk = data[starts[:, None] + torch.arange(length + 1)]
    return chunk[:, :-1], chunk[:, 1:]


@torch.no_grad()
def window_loss(model: nn.Module, data: torch.Tensor, length: int, count: int | None, autocast=None,
                progress: Progress | None = None) -> tuple[float, int]:
    """Summed loss (nats) and number of predicted characters over evenly spaced windows of ``data`` (codes), each
    read from a zero state: the trainer's validation loss is the ratio."""
    device = next(model.parameters()).device
    length = min(length, len(data) - 2)
    starts = window_starts(len(data), length, count)
    model.eval()
    total, n = 0.0, 0
    for chunk in starts.split(64):
        inputs, targets = windows_at(data, chunk, length)
        targets = unit_codes(targets)
        with autocast or contextlib.nullcontext():
            logits, _ = model(inputs.to(device))
        loss = nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]),
                                           targets.to(device).reshape(-1), reduction="sum")
        total += float(loss)
        n += targets.numel()
        if progress:
            progress(n, len(starts) * length)
    return total, n


# --- whole tunes -------------------------------------------------------------------------------------------------


def _batches(lengths: list[int]) -> list[list[int]]:
    """Indices of texts, longest first, grouped so that a batch has at most ``MAX_ROWS`` rows."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[i: i + MAX_ROWS] for i in range(0, len(order), MAX_ROWS)]


@torch.no_grad()
def text_losses(model: CharLSTM, codes: list[list[int]], progress: Progress | None = None,
                characters_per_call: int = CHARACTERS_PER_CALL, positions: PositionTotals | None = None
                ) -> list[float]:
    """Summed loss (nats) of each code sequence, every code but the first predicted from those before it (and, with
    ``positions``, added up by the predicted character's position as well).

    Sequences are sorted by length and read ``MAX_ROWS`` at a time, in time chunks of ``characters_per_call / rows``
    steps with the LSTM state carried between chunks; rows whose text has ended are dropped from the next chunk.
    """
    model.eval()
    device = next(model.parameters()).device
    losses = [0.0] * len(codes)
    total = sum(max(len(c) - 1, 0) for c in codes)
    done = 0
    for batch in _batches([len(c) for c in codes]):
        batch = [i for i in batch if len(codes[i]) > 1]
        if not batch:
            continue
        data = padded_codes([codes[i] for i in batch]).to(device)
        lengths = torch.tensor([len(codes[i]) for i in batch], device=device)
        batch_losses = torch.zeros(len(batch), dtype=torch.float64, device=device)
        state, position, rows = None, 0, len(batch)
        while rows:
            steps = max(16, characters_per_call // rows)
            inputs = data[:rows, position: position + steps]
            targets = unit_codes(data[:rows, position + 1: position + steps + 1])
            logits, state = model(inputs, state)
            logits = logits[:, : targets.shape[1]]
            nll = -torch.log_softmax(logits.float(), dim=-1).gather(2, targets[..., None]).squeeze(2)
            predicted = torch.arange(position + 1, position + 1 + targets.shape[1], device=device)
            mask = predicted[None, :] < lengths[:rows, None]
            batch_losses[:rows] += (nll * mask).sum(dim=1).double()
            if positions is not None:
                positions.add(nll, mask, position + 1)
            done += int(mask.sum())
            if progress:
                progress(done, total)
            position += steps
            rows = int((lengths > position + 1).sum())  # longest first: the rows still reading are the first ones
            state = tuple(s[:, :rows].contiguous() for s in state)
        for row, i in enumerate(batch):
            losses[i] = float(batch_losses[row])
    return losses


def readable_codes(text: str, vocabulary: Vocabulary | TokenVocabulary) -> tuple[list[int], dict[str, int]]:
    """The codes of what the model reads of ``text`` (lines it never saw left out, as
    :func:`studio.core.network.inspection.known_characters` says) and the count of each unit (character or token) it
    lacks, which is skipped."""
    if vocabulary.units == "characters":
        offsets, unknown = known_characters(text, vocabulary)
        return vocabulary.encode("".join(text[i] for i in offsets)), unknown
    return vocabulary.known_codes(seen_text(text))


def score_tunes(model: CharLSTM, vocabulary: Vocabulary, tunes: list[Tune], progress: Progress | None = None,
                positions: PositionTotals | None = None) -> tuple[list[TuneScore], dict[str, int]]:
    """Per-tune losses of ``tunes`` (each read whole, ending with its blank line) and the unknown characters."""
    unknown: dict[str, int] = {}
    codes = []
    for tune in tunes:
        tune_codes, missing = readable_codes(tune.text + TUNE_ENDING, vocabulary)
        for unit, n in missing.items():
            unknown[unit] = unknown.get(unit, 0) + n
        codes.append(network_inputs(tune_codes, vocabulary, model.config.clock))
    losses = text_losses(model, codes, progress, positions=positions)
    scores = [TuneScore(tune.id, tune.title, max(len(c) - 1, 0), loss) for tune, c, loss in zip(tunes, codes, losses)]
    return scores, unknown


# --- the whole command --------------------------------------------------------------------------------------------


def score_corpus(model_path: Path | str, corpus: Corpus | str, split: str = "validation", method: str = "tunes",
                 run: Run | None = None, progress: Progress | None = None,
                 checkpoint: Checkpoint | None = None) -> CorpusScore:
    """The loss of the checkpoint at ``model_path`` on a corpus (a loaded one, a built-in name or a path).

    ``run``: the run whose stored split to use (found from the checkpoint's folder when not given). ``method``:
    ``tunes`` (whole tunes) or ``windows`` (the trainer's validation windows, with the checkpoint's sequence length
    and window count). The corpus is read at the model's text level (raw, canonical or melody) and, for a model
    trained in one tonic, in that key, as it trained. ``checkpoint``: the one at ``model_path``, when the caller has
    already loaded it.
    """
    if method not in METHODS:
        raise ScoringError(f"unknown method {method!r}; choose {', '.join(METHODS)}")
    began = time.perf_counter()
    checkpoint = checkpoint or load_checkpoint(model_path)
    older = older_rules(checkpoint.corpus, checkpoint.train_config.text_level)
    corpus = corpus if isinstance(corpus, Corpus) else load_corpus(corpus)
    tunes = tunes_as_read(checkpoint, corpus, split, run or run_of_checkpoint(model_path))
    model = checkpoint.build_model()
    vocabulary = checkpoint.vocabulary
    name = Path(model_path).name if run is None else f"{run.id}/{Path(model_path).name}"
    if method == "windows":
        text = join_tunes(tunes)
        codes, unknown = readable_codes(text, vocabulary)
        data = torch.tensor(network_inputs(codes, vocabulary, model.config.clock), dtype=torch.long)
        settings = checkpoint.train_config
        nats, count = window_loss(model, data, settings.seq_length, settings.validation_windows,
                                  progress=progress)
        return CorpusScore(name, corpus.name, split, method, count, nats, [], unknown, time.perf_counter() - began,
                           units=vocabulary.units, trained_rules=older)
    positions = PositionTotals()
    scores, unknown = score_tunes(model, vocabulary, tunes, progress, positions)
    notes = sum(len(scan_tune(tune.text).melody()) for tune in tunes)
    return CorpusScore(name, corpus.name, split, method, sum(s.characters for s in scores),
                       math.fsum(s.nats for s in scores), scores, unknown, time.perf_counter() - began, notes,
                       positions, vocabulary.units, older)


# --- scores kept with a run -----------------------------------------------------------------------------------------


def record_score(run: Run, score: CorpusScore) -> dict:
    """Stores ``score`` in the run's ``run.json`` under ``scores`` (one entry per corpus, split and method; the
    newest replaces an older one), so the runs table can show it next to the run's own losses."""
    scores = dict(run.meta().get("scores") or {})
    key = f"{score.corpus}|{score.split}|{score.method}"
    scores.pop(key, None)  # re-inserted last: the newest score comes last
    scores[key] = {"corpus": score.corpus, "split": score.split, "method": score.method, "model": score.model,
                   "nats_per_char": score.nats_per_char, "bits_per_char": score.bits_per_char,
                   **({"nats_per_note": score.nats_per_note, "notes": score.notes} if score.notes else {}),
                   "characters": score.characters, "unknown": sum(score.unknown.values()),
                   "scored_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    run.update_meta(scores=scores)
    return scores[key]


def forgetting(run: Run) -> dict | None:
    """What the new style cost: the run's loss per melody note (tunes read whole) on its own held-out tunes and on
    its base's (the base's home collection, e.g. O'Neill's validation tunes), beside the base's own on both. None
    for a run trained from nothing (or whose base is gone)."""
    base = parent_of(run)
    if base is None:
        return None
    model = next(p for p in (run.best_checkpoint, run.last_checkpoint) if p.exists())
    corpus = load_corpus(run.meta()["corpus"]["source"])
    trained_on = base.checkpoint.corpus
    home = COMBINED_CORPORA[trained_on["name"]][0] if trained_on.get("name") in COMBINED_CORPORA else None
    home_corpus = load_corpus(home or trained_on["source"])
    return {"corpus": corpus.name, "home": home_corpus.name, "base": base.label,
            "run_new": score_corpus(model, corpus, run=run).nats_per_note,
            "base_new": score_corpus(base.path, corpus, run=run).nats_per_note,
            "run_home": score_corpus(model, home_corpus, run=run).nats_per_note,
            "base_home": score_corpus(base.path, home_corpus, run=base.run).nats_per_note}
