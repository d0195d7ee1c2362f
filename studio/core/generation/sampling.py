"""Sampling new tunes from a trained model: temperature, top-k, seed, primer, several tunes at once, streaming.

``bars="strict"`` (the default) hands the loop to :mod:`studio.core.generation.strict_sampling` (every bar adds up to the
meter, strains as ``form`` asks; character models only); ``bars="free"`` is the lab's plain sampling below, which
draws the model's units (characters or tokens) and writes them as text.

Each tune ``i`` draws its random numbers from its own generator seeded with ``seed + i`` and picks characters by
inverse-CDF sampling, so tune ``i`` is the same whether it is generated alone or in a batch, and the same seed at two
temperatures makes comparable tunes (the same uniform draws, read through a sharper or flatter distribution).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import torch

from studio.core.abc.text import tune_title
from studio.core.abc.tokenizer import scan_tune
from studio.core.configs import SamplingConfig
from studio.core.generation.draw import draw
from studio.core.generation.model_key import ModelKey, in_a_corpus_key
from studio.core.generation.strict_sampling import StrictSamplingError, complete_primer_header, sample_strict
from studio.core.network.checkpoints import Checkpoint, load_checkpoint
from studio.core.network.model import CharLSTM
from studio.core.network.network_inputs import RowClocks
from studio.core.network.token_vocabulary import CharactersOnly, TokenVocabulary, require_characters
from studio.core.network.vocabulary import Vocabulary
from studio.core.tune_book import TuneSettings


class SamplingError(ValueError):
    """Sampling settings or primer that cannot be used; the message says why."""


@dataclass(kw_only=True)
class GeneratedTune(TuneSettings):
    """One sampled tune as standalone ABC, with the settings that made it (:class:`TuneSettings`)."""

    text: str
    index: int
    temperature: float
    extra: dict = field(default_factory=dict)
    log_likelihood: float = 0.0
    """Mean log-likelihood per written character under the model (nats, unmasked, temperature 1)."""

    def title(self) -> str:
        return tune_title(self.text, f"Tune {self.index + 1}")


def _tune_finished(text: str, primer_length: int) -> bool:
    """A tune ends at a blank line, or where the next tune's X: line begins."""
    generated = text[primer_length:]
    return "\n\n" in text[max(0, primer_length - 1):] or "\nX:" in generated


def _has_body(text: str) -> bool:
    """True once a tune has its K: line and at least one character of music after it."""
    match = re.search(r"^K:[^\n]*\n", text, re.MULTILINE)
    return bool(match) and len(text) > match.end() + 1


def _finalise(text: str, index: int) -> str:
    """Cuts at the end of the first tune and makes it a standalone tune starting with its own X: line."""
    text = text.split("\n\n", 1)[0]
    cut = text.find("\nX:", 1)
    if cut > 0:
        text = text[:cut]
    text = text.strip("\n")
    if text.startswith("X:"):
        text = re.sub(r"^X:[^\n]*", f"X:{index + 1}", text, count=1)
    else:
        text = f"X:{index + 1}\n" + text
    return text + "\n"


class Sampler:
    """A model ready to sample from; build it with ``Sampler.from_checkpoint(path)``."""

    def __init__(self, model: CharLSTM, vocabulary: Vocabulary | TokenVocabulary, name: str = "",
                 tonic: str = "written", keys: dict[str, dict[str, int]] | None = None):
        self.model = model.eval()
        self.vocabulary = vocabulary
        self.name = name
        #: the key the model learnt every tune in (``TrainConfig.tonic``; ``written``: each tune's own)
        self.tonic = tonic
        #: a one-tonic model's training tunes' keys as written (mode -> tonic -> tunes): where its new tunes go
        self.keys = keys
        self.device = next(model.parameters()).device

    @classmethod
    def from_checkpoint(cls, source: Path | str | Checkpoint, device: str = "cpu") -> "Sampler":
        checkpoint = source if isinstance(source, Checkpoint) else load_checkpoint(source)
        name = "" if isinstance(source, Checkpoint) else str(source)
        return cls(checkpoint.build_model(device), checkpoint.vocabulary, name, checkpoint.train_config.tonic,
                   checkpoint.corpus.get("keys"))

    def sample(
        self,
        config: SamplingConfig,
        on_text: Callable[[int, str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> list[GeneratedTune]:
        """Samples ``config.count`` tunes in one batch.

        ``on_text(index, chunk)`` receives characters as they are sampled (the primer first); ``should_stop()`` is
        polled every step and ends sampling early (the tunes so far are returned, marked incomplete). A model that
        learnt every tune in one key writes a primer's key in its own and moves the finished tunes to the key asked
        (:meth:`studio.core.generation.model_key.ModelKey.for_primer`; the characters streamed are its own), or,
        with no key asked, each to a key as its corpus writes that mode (:func:`~.model_key.in_a_corpus_key`)."""
        if self.tonic != "written" and "K" not in scan_tune(config.primer or "X").fields:
            tunes = self._sample(config, on_text, should_stop)
            return [replace(tune, text=in_a_corpus_key(tune.text, self.keys, tune.seed)) for tune in tunes]
        key = ModelKey.for_primer(self, config.primer)
        if not key.moves:
            return self._sample(config, on_text, should_stop)
        tunes = self._sample(replace(config, primer=key.into(config.primer)), on_text, should_stop)
        return [replace(tune, text=key.tune_back(tune.text), primer=config.primer) for tune in tunes]

    @torch.no_grad()
    def _sample(self, config: SamplingConfig, on_text, should_stop) -> list[GeneratedTune]:
        problems = config.problems()
        if problems:
            raise SamplingError("; ".join(f"{k} {v}" for k, v in problems.items()))
        primer = config.primer or "X"
        try:
            primer_codes = self.vocabulary.encode(primer)
        except ValueError as exc:
            raise SamplingError(f"the primer uses {exc}") from exc
        seed = config.seed if config.seed is not None else random.randrange(2**31)
        count = config.count
        generators = [torch.Generator().manual_seed(seed + i) for i in range(count)]
        if config.bars == "strict":
            return self._sample_strict(config, primer, seed, generators, on_text, should_stop)
        texts = [primer] * count
        done = [False] * count
        if on_text:
            for i in range(count):
                on_text(i, primer)

        clocks = RowClocks(self.model.config.clock, count)
        primer_units = [self.vocabulary.decode([code]) for code in primer_codes]
        logits, state = self.model(clocks.primer(primer_codes, primer_units).to(self.device))
        logits = logits[:, -1, :]
        newline = self.vocabulary.code_of("\n")
        log_likelihood = torch.zeros(count, dtype=torch.float64)
        written = [0] * count
        for _ in range(config.max_length):
            if should_stop and should_stop():
                break
            allowed = None
            if newline is not None:  # no blank line (end of tune) before the tune has a K: line and some music
                for i in range(count):
                    if not done[i] and texts[i].endswith("\n") and not _has_body(texts[i]):
                        allowed = torch.ones_like(logits, dtype=torch.bool) if allowed is None else allowed
                        allowed[i, newline] = False
            codes = draw(logits, config.temperature, generators, config.top_k, allowed)
            chars = [self.vocabulary.decode([code]) for code in codes.tolist()]  # one unit per tune
            step_log_likelihood = torch.log_softmax(logits.float(), dim=-1).gather(1, codes.view(count, 1)).squeeze(1)
            for i, ch in enumerate(chars):
                if done[i]:
                    continue
                texts[i] += ch
                log_likelihood[i] += float(step_log_likelihood[i])
                written[i] += 1
                if on_text:
                    on_text(i, ch)
                if _tune_finished(texts[i], len(primer)):
                    done[i] = True
            if all(done):
                break
            logits, state = self.model(clocks.step(codes, chars).to(self.device), state)
            logits = logits[:, -1, :]
        return [
            GeneratedTune(text=_finalise(texts[i], i), index=i, seed=seed + i, temperature=config.temperature,
                          top_k=config.top_k, primer=primer, complete=done[i], model=self.name,
                          log_likelihood=float(log_likelihood[i]) / max(written[i], 1))
            for i in range(count)
        ]

    def _sample_strict(self, config, primer, seed, generators, on_text, should_stop) -> list[GeneratedTune]:
        """Strict bars (and form): see :mod:`studio.core.generation.strict_sampling`."""
        try:
            require_characters(self.vocabulary, "strict bars")
        except CharactersOnly as exc:
            raise SamplingError(str(exc)) from exc
        try:
            tunes = sample_strict(self.model, self.vocabulary, config, complete_primer_header(primer), generators,
                                  on_text, should_stop, self.device)
        except StrictSamplingError as exc:
            raise SamplingError(str(exc)) from exc
        return [
            GeneratedTune(text=_finalise(tune.final_text(), i), index=i, seed=seed + i, temperature=config.temperature,
                          top_k=config.top_k, primer=primer, complete=tune.done, model=self.name,
                          log_likelihood=tune.mean_log_likelihood(), bars="strict",
                          form=config.form, strain_bars=config.strain_bars,
                          phrase_repeats=config.phrase_repeats and config.form != "free",
                          cadence=config.cadence if config.form != "free" else "free")
            for i, tune in enumerate(tunes)
        ]
