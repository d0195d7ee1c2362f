"""Training the character LSTM: ``TrainConfig``, presets, and the ``Trainer`` with its listener hooks.

The Trainer is plain Python (no Qt). ``Trainer.run()`` blocks, so a window runs it on a worker thread; ``pause()``,
``resume()`` and ``stop()`` are thread-safe and take effect before the next step. Every step's loss and each
validation loss (nats per character) goes to the listener and to the run's loss log on disk; checkpoints are
written atomically every ``checkpoint_interval`` steps and when training ends, so a run is never lost.

What a step reads depends on ``TrainConfig.context`` (:mod:`studio.core.learning.training_data`): random windows from
a zero state, or tune streams with the state carried across steps (validated on whole held-out tunes, as sampled).
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import replace

import torch
from torch import nn

from studio.core.abc.canonical import CANONICAL_VERSION
from studio.core.configs import ModelConfig, TrainConfig
from studio.core.corpus import Corpus, Split, load_corpus
from studio.core.disk_space import write_failure
from studio.core.learning.augmentation import TRANSPOSITION_ALPHABET, AugmentationReport, augmented_tunes
from studio.core.learning.augmentation import keys_written, split_in_tonic, tunes_in_tonic
from studio.core.learning.early_stopping import STOPPED_EARLY, EarlyStopping
from studio.core.learning.fine_tuning import Base, held_out_problem, start_from
from studio.core.learning.run_writer import RunWriter
from studio.core.learning.training_data import TrainingBatches
from studio.core.learning.training_listener import TrainingListener, TrainingResult
from studio.core.learning.training_step import optimisation_step
from studio.core.learning.validation import HeldOut
from studio.core.network.checkpoints import Checkpoint, CheckpointError, load_checkpoint
from studio.core.network.distributed import DistributedContext, context_from_environment
from studio.core.network.model import CharLSTM, pick_device
from studio.core.network.precision import AutoPrecision, as_started
from studio.core.network.precision_probe import auto_precision
from studio.core.network.token_vocabulary import TokenVocabulary, stored_vocabulary
from studio.core.network.vocabulary import Vocabulary
from studio.core.quality.scoring import TUNE_ENDING
from studio.core.runs import LossPoint, Run, RunStore
from studio.core.text_levels import corpus_at_level, older_rules, rules_record


class TrainingError(Exception):
    """Training cannot start or go on; the message says why, for the user."""


class Trainer:
    """Trains one run. Build with ``Trainer.new(...)`` or ``Trainer.resume(run)``, then call ``run()``."""

    def __init__(
        self,
        split: Split,
        vocabulary: Vocabulary,
        model_config: ModelConfig,
        train_config: TrainConfig,
        run: Run | None,
        listener: TrainingListener | None = None,
        checkpoint: Checkpoint | None = None,
        corpus_info: dict | None = None,
        auto: AutoPrecision | None = None,
    ):
        problems = {**model_config.problems(), **train_config.problems()}
        if problems:
            raise TrainingError("; ".join(f"{k} {v}" for k, v in problems.items()))
        self.corpus_info = {**(corpus_info or {}), **keys_written(split.train, train_config.tonic)}  # as written
        self.split = split = split_in_tonic(split, train_config.tonic)  # one key first, if asked, for all that reads
        self.vocabulary = vocabulary
        self.model_config = replace(model_config, vocab_size=len(vocabulary))
        self.config = train_config
        self.run_folder = run
        self.listener = listener or TrainingListener()
        try:
            self.device = pick_device(train_config.device)
        except ValueError as exc:
            raise TrainingError(str(exc)) from exc
        self.distributed: DistributedContext = context_from_environment()
        #: what ``auto`` measured and chose (None when the precision was given); under DDP rank 0 measures for all;
        #: ``auto`` given (a resumed run's :func:`studio.core.network.precision.as_started`) is not measured again
        self.auto_precision: AutoPrecision | None = auto if train_config.precision == "auto" else None
        if train_config.precision == "auto" and auto is None:
            here = auto_precision(self.device, self.model_config, train_config) if self.distributed.is_main else None
            self.auto_precision = self.distributed.gather(here)[0]
        self.use_bf16 = train_config.precision == "bf16" or (
            self.auto_precision is not None and self.auto_precision.precision == "bf16")
        self.augmentation = AugmentationReport(tuple(train_config.augment_keys))
        train_tunes = augmented_tunes(split.train, train_config.augment_keys, self.augmentation)
        try:
            self.batches = TrainingBatches(train_tunes, vocabulary, train_config, self.distributed.rank,
                                           model_config.clock)
        except ValueError as exc:
            raise TrainingError(str(exc)) from exc
        self.window = self.batches.window
        self.held_out = HeldOut(split, vocabulary, train_config, self.window, model_config.clock)
        if self.distributed.enabled and self.device.type == "cuda":
            self.device = torch.device("cuda", self.distributed.local_rank)
        torch.manual_seed(train_config.seed)
        self.model = CharLSTM(self.model_config).to(self.device)
        self.forward_model: nn.Module = self.model
        if self.distributed.enabled:
            self.forward_model = nn.parallel.DistributedDataParallel(self.model)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=train_config.learning_rate)
        self.step = 0
        self.elapsed_before = 0.0
        self.best_validation = float("inf")
        self.last_loss: float | None = None
        self.early_stopping = EarlyStopping(train_config.early_stop_patience)
        if checkpoint is not None:
            self._restore(checkpoint)
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    # --- construction -------------------------------------------------------------------------------------------

    @classmethod
    def new(
        cls,
        corpus: Corpus,
        model_config: ModelConfig,
        train_config: TrainConfig,
        store: RunStore | None = None,
        name: str | None = None,
        listener: TrainingListener | None = None,
        base: Base | None = None,
        auto: AutoPrecision | None = None,
    ) -> "Trainer":
        """A fresh run on ``corpus`` (at ``train_config.text_level``), logged to a new run folder of ``store``. From a
        ``base`` (:mod:`studio.core.learning.fine_tuning`) it starts from its weights, shape, text level, tonic and
        characters (and the corpus's), its parent. ``auto``: the precision an experiment's first arm chose."""
        if base is not None:
            model_config, train_config = base.settings(model_config, train_config)
        corpus = corpus_at_level(corpus, train_config.text_level)
        split = corpus.split(train_config.validation_fraction, train_config.seed)
        if train_config.units == "tokens" and base is None:  # the tokens of the corpus, as characters are taken
            tunes = augmented_tunes(tunes_in_tonic(corpus.tunes, train_config.tonic), train_config.augment_keys)
            vocabulary, added = TokenVocabulary.from_texts(tune.text + TUNE_ENDING for tune in tunes), ""
        else:
            moves = train_config.augment_keys or train_config.tonic != "written"  # notes written in other keys
            text = corpus.report.vocabulary + (TRANSPOSITION_ALPHABET if moves else "")
            vocabulary, added = base.vocabulary_for(text) if base is not None else (Vocabulary.from_text(text), "")
        if base is not None and held_out_problem(split, len(corpus.tunes)):
            raise TrainingError(held_out_problem(split, len(corpus.tunes)))
        corpus_info = {
            "name": corpus.name,
            "source": corpus.source,
            "identity": corpus.identity(),
            "tunes": len(corpus.tunes),
            "characters": corpus.report.characters,
            "text_level": corpus.text_level,
        }
        corpus_info.update(rules_record(corpus.text_level))  # scoring it later may read it by newer rules
        run = None
        if store is not None and context_from_environment().is_main:
            meta = {
                "corpus": corpus_info,
                "model_config": replace(model_config, vocab_size=len(vocabulary)).to_dict(),
                "train_config": train_config.to_dict(),
                "vocabulary": stored_vocabulary(vocabulary),
                "world_size": context_from_environment().world_size,
                **({"parent": base.record(added)} if base is not None else {}),
            }
            run = store.create(name or f"{corpus.name}-b{train_config.batch_size}-s{train_config.seq_length}", meta,
                               split.identity())
        trainer = cls(split, vocabulary, model_config, train_config, run, listener, corpus_info=corpus_info,
                      auto=auto)
        if base is not None:
            start_from(base, trainer, added)
        return trainer

    @classmethod
    def resume(
        cls,
        run: Run,
        listener: TrainingListener | None = None,
        iterations: int | None = None,
        corpus: Corpus | None = None,
    ) -> "Trainer":
        """Continues ``run`` from its last checkpoint, with the same split, vocabulary and RNG state."""
        try:
            checkpoint = load_checkpoint(run.last_checkpoint)
        except CheckpointError as exc:
            raise TrainingError(f"cannot resume {run.name!r}: {exc}") from exc
        meta = run.meta()
        train_config = replace(checkpoint.train_config)
        try:
            corpus = corpus_at_level(corpus or load_corpus(meta["corpus"]["source"]), train_config.text_level)
        except Exception as exc:  # noqa: BLE001 - any corpus problem is reported the same way
            raise TrainingError(f"cannot reload the corpus of {run.name!r}: {exc}") from exc
        if corpus.identity() != meta["corpus"]["identity"]:
            older = older_rules(meta["corpus"], train_config.text_level)
            if older:
                raise TrainingError(f"{run.name!r} read text written by canonical rules {older}; this version writes "
                                    f"rules {CANONICAL_VERSION}, so it cannot go on with the same text (train a new "
                                    "run, or start one from it with Start from)")
            raise TrainingError(f"the corpus {corpus.name!r} changed since {run.name!r} was trained on it")
        split = corpus.split_from_ids(run.split_identity())
        if iterations is not None:
            train_config.iterations = iterations
            if context_from_environment().is_main:
                run.update_meta(train_config=train_config.to_dict())
        writer = run if context_from_environment().is_main else None
        if writer is not None:
            writer.remove_stale_temporaries()  # e.g. a checkpoint half-written when the last session was killed
            try:
                writer.truncate_log(checkpoint.step)
            except OSError as exc:
                raise TrainingError(f"cannot resume {run.name!r}: could not rewrite its loss.csv: "
                                    f"{write_failure(exc, run.path).words}") from exc
        return cls(split, checkpoint.vocabulary, checkpoint.model_config, train_config, writer, listener, checkpoint,
                   corpus_info=meta["corpus"], auto=as_started(meta))

    def _restore(self, checkpoint: Checkpoint) -> None:
        self.model.load_state_dict({k: v.float() for k, v in checkpoint.model_state.items()})
        if checkpoint.optimizer_state:
            self.optimizer.load_state_dict(checkpoint.optimizer_state)
        self.batches.restore(checkpoint.rank_states, checkpoint.rng_state, self.distributed.rank, self.device)
        self.step = checkpoint.step
        self.elapsed_before = float(checkpoint.metrics.get("elapsed", 0.0))
        self.best_validation = float(checkpoint.metrics.get("best_validation_loss") or float("inf"))
        self.last_loss = checkpoint.metrics.get("loss")
        self.early_stopping = EarlyStopping.from_metrics(self.config.early_stop_patience, checkpoint.metrics)

    # --- control (thread-safe) -----------------------------------------------------------------------------------

    def pause(self) -> None:
        self._running.clear()

    def resume_training(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    # --- the loop ---------------------------------------------------------------------------------------------

    def train_step(self) -> float:
        """One optimisation step on a batch of windows (random, or the streams' next); returns the loss in nats per
        character."""
        self.model.train()
        inputs, targets, state = self.batches.next_batch(self.device)
        loss, state = optimisation_step(self.forward_model, self.optimizer, inputs, targets, state,
                                        bf16=self.use_bf16, grad_clip=self.config.grad_clip,
                                        learning_rate=self.config.learning_rate_at(self.step + 1))
        self.batches.carry(state)
        return self.distributed.mean(float(loss.detach()))

    def validation_loss(self) -> float | None:
        """The held-out loss in nats per unit (:class:`studio.core.learning.validation.HeldOut`); None without
        validation tunes."""
        return self.held_out.loss(self.model, self.device, self.use_bf16)

    def snapshot(self, elapsed: float, with_optimizer: bool = True, rank_states=None) -> Checkpoint:
        """The run's state as a checkpoint in memory (the live weights, not a copy); ``rank_states`` are every
        rank's reading positions (:meth:`_save_last` gathers them)."""
        return Checkpoint(
            model_config=self.model_config,
            train_config=replace(self.config),
            vocabulary=self.vocabulary,
            step=self.step,
            model_state=self.model.state_dict(),
            optimizer_state=self.optimizer.state_dict() if with_optimizer else None,
            rng_state=self.batches.rng.get_state() if with_optimizer else None,
            rank_states=rank_states,
            corpus=self.corpus_info,
            metrics={
                "loss": self.last_loss,
                "best_validation_loss": None if self.best_validation == float("inf") else self.best_validation,
                "elapsed": elapsed,
                **self.early_stopping.to_metrics(),
            },
        )

    def _checkpoint(self, elapsed: float, path=None, with_optimizer: bool = True, rank_states=None) -> str | None:
        if self.run_folder is None:
            return None
        retried = self.step < self.config.iterations and not self._stop.is_set()
        return self._writer.checkpoint(path or self.run_folder.last_checkpoint,
                                       self.snapshot(elapsed, with_optimizer, rank_states), retried)

    def _log(self, point: LossPoint) -> None:
        self._writer.log(point)

    def _set_state(self, state: str) -> None:
        self._writer.write_meta(status=state, steps_done=self.step)
        self.listener.on_state_changed(state)

    def run(self) -> TrainingResult:
        """Trains until ``iterations`` steps are done or ``stop()`` is called; never raises for training errors."""
        self._writer = RunWriter(self.run_folder, lambda message: self.listener.on_warning(message))
        if not self._writer.open(device=str(self.device), precision="bf16" if self.use_bf16 else "fp32",
                                 precision_auto=self.auto_precision.to_dict() if self.auto_precision else None,
                                 augmentation=self.augmentation.to_dict() if self.augmentation.shifts else None):
            self.stop()  # the run folder cannot be written: stopped before the first step, with the reason
        self._set_state("running")
        started = time.perf_counter()
        paused_time = 0.0
        reason, error, early_stop = "finished", None, None
        recent: list[float] = []

        def elapsed() -> float:
            return self.elapsed_before + time.perf_counter() - started - paused_time

        try:
            while self.step < self.config.iterations:
                if not self._running.is_set():
                    self._set_state("paused")
                    pause_began = time.perf_counter()
                    self._running.wait()
                    paused_time += time.perf_counter() - pause_began
                    if not self._stop.is_set():
                        self._set_state("running")
                if self.distributed.any(self._stop.is_set()):
                    reason = "stopped"
                    break
                step_began = time.perf_counter()
                loss = self.train_step()
                if loss != loss:  # NaN: the run diverged
                    raise TrainingError(f"the loss became NaN at step {self.step + 1}: try a lower learning rate")
                self.step += 1
                self.last_loss = loss
                recent = (recent + [time.perf_counter() - step_began])[-20:]
                now = elapsed()
                self._log(LossPoint(self.step, "train", loss, now))
                self.listener.on_step(self.step, loss, now, len(recent) / max(sum(recent), 1e-9))
                at_end = self.step == self.config.iterations
                if self.step % self.config.validation_interval == 0 or at_end:
                    self._validate(now)
                    if self.distributed.any(self.early_stopping.exhausted) and not at_end:  # rank 0 validates
                        reason = STOPPED_EARLY  # the count rank 0 kept, on every rank:
                        early_stop = self.distributed.gather(self.early_stopping.reason(self.best_validation))[0]
                        break
                if self.step % self.config.checkpoint_interval == 0 and not at_end and self._weights_are_finite():
                    self._save_last(now)
        except Exception as exc:  # noqa: BLE001 - reported through the result, the run is kept
            reason = "failed"
            error = str(exc) if isinstance(exc, TrainingError) else f"{type(exc).__name__}: {exc}"
            self._writer.write_traceback(traceback.format_exc())
        wall = elapsed()
        unsaved, stop_reason = None, None
        # on every rank (gathering positions is a collective); weights that diverged never replace the last good ones
        saved = self._save_last(wall) if self.step > 0 and self._weights_are_finite() else True
        if self.run_folder is not None and self.step > 0 and not saved:  # kept, or not finished
            unsaved, stop_reason = self.snapshot(wall), self._writer.stop_reason()
            reason = "failed" if reason == "failed" else "stopped"
            if not self.run_folder.last_checkpoint.exists():
                self.listener.on_warning(f"no checkpoint of this run could be written: its {self.step:,} steps "
                                         "are only in memory and are lost when this program ends")
        result = TrainingResult(
            self.run_folder, reason, self.step, self.last_loss,
            None if self.best_validation == float("inf") else self.best_validation, wall, error, stop_reason, unsaved,
            early_stop)
        self._writer.release()
        self._set_state(reason)
        self._writer.close(wall_time=wall, last_loss=self.last_loss, best_val_loss=result.best_validation_loss,
                           error=error, stop_reason=stop_reason, early_stop=early_stop)
        self.listener.on_finished(result)
        return result

    def _validate(self, now: float) -> None:
        if not self.distributed.is_main:
            return
        val = self.validation_loss()
        if val is None:
            return
        self._log(LossPoint(self.step, "validation", val, now))
        self.listener.on_validation(self.step, val)
        self.early_stopping.observe(self.step, val < self.best_validation)
        if val < self.best_validation:
            self.best_validation = val
            if self.run_folder is not None:
                self._checkpoint(now, self.run_folder.best_checkpoint, with_optimizer=False)

    def _weights_are_finite(self) -> bool:
        """False once a step has turned any weight into NaN or infinity (the same on every rank)."""
        return all(bool(torch.isfinite(p).all()) for p in self.model.parameters())

    def _save_last(self, now: float) -> bool:
        # every rank's reading position (a collective: every rank saves at the same steps; rank 0 writes)
        rank_states = self.distributed.gather(self.batches.state_dict())
        path = self._checkpoint(now, rank_states=rank_states)
        if path:
            self._log(LossPoint(self.step, "checkpoint", self.last_loss or 0.0, now))
            self.listener.on_checkpoint(self.step, path)
        return path is not None
