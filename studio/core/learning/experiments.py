"""Controlled experiments: one base configuration, one variable, several values; train, sample, score, compare.

An :class:`~studio.core.learning.experiment_spec.ExperimentSpec` names a preset, a variable (a field of
``ModelConfig`` or ``TrainConfig``, or ``temperature`` at generation time) and its values, and what every arm starts
from (nothing, or a base to fine-tune: ``--from``), or makes that the variable (``start_from``: an arm from
nothing then takes the network, text level and tonic of the first arm's base: the arms differ only in the weights).
:class:`ExperimentRunner` trains one run per value, one after the other, with the same corpus split and seed (a
generation-time variable trains a single run and samples it at each value); each arm then generates the same number
of tunes at the same fixed seeds, which are scored against the corpus with :mod:`studio.core.quality.metrics`, and its
kept checkpoint is scored per melody note on the held-out tunes (:mod:`studio.core.quality.scoring`). Everything lands
in an experiment folder (``data_home()/experiments/<id>/``: ``spec.json``, ``results.json``, ``samples/``) that
:mod:`studio.core.reports.report` turns into a Markdown report.
Each arm's loss curve is summed up by :func:`studio.core.quality.curves.curve_stats` (spike, oscillation, final loss).
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from studio.core.atomic_files import write_json_atomic
from studio.core.configs import SamplingConfig
from studio.core.corpus import Corpus, load_corpus
from studio.core.learning.early_stopping import COMPLETED_REASONS
from studio.core.learning.experiment_spec import ExperimentError, ExperimentSpec
from studio.core.learning.training_listener import TrainingListener
from studio.core.paths import data_home, file_name_part
from studio.core.quality.curves import CurveStats, curve_stats
from studio.core.quality.evaluation import corpus_reference
from studio.core.quality.metrics import set_metrics, tune_metrics
from studio.core.quality.novelty import NoveltyIndex
from studio.core.runs import LossPoint, Run, RunStore


def experiments_home() -> Path:
    """Where experiment folders live (inside the user's data folder)."""
    return data_home() / "experiments"


@dataclass
class ArmResult:
    """One value of the variable: its run, curve statistics, generated tunes and their scores."""

    label: str
    value: object
    run_id: str | None
    run_path: str | None
    reason: str
    error: str | None
    model_config: dict
    train_config: dict
    temperature: float
    curve: dict
    set_metrics: dict | None = None
    tune_metrics: list[dict] = field(default_factory=list)
    samples_file: str | None = None
    held_out_per_note: float | None = None  # the checkpoint's held-out loss per melody note, tunes read whole

    def loss_log(self) -> list[LossPoint]:
        return Run(Path(self.run_path)).loss_log() if self.run_path else []

@dataclass
class ExperimentResult:
    """Everything an experiment produced; saved as ``results.json`` in :attr:`folder`."""

    folder: Path
    spec: ExperimentSpec
    status: str
    arms: list[ArmResult]
    corpus: dict
    reference_ranges: dict
    baseline: dict | None
    started: str
    finished: str | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["folder"] = str(self.folder)
        return data

    def save(self) -> None:
        write_json_atomic(self.folder / "results.json", self.to_dict())


def load_experiment(folder: Path | str) -> ExperimentResult:
    """Reads an experiment folder written by :class:`ExperimentRunner`."""
    folder = Path(folder)
    try:
        data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExperimentError(f"{folder} holds no experiment results (results.json is missing)") from None
    except (OSError, ValueError) as exc:
        raise ExperimentError(f"cannot read the results in {folder}: {exc}") from None
    return ExperimentResult(
        folder=folder,
        spec=ExperimentSpec.from_dict(data["spec"]),
        status=data["status"],
        arms=[ArmResult(**arm) for arm in data["arms"]],
        corpus=data["corpus"],
        reference_ranges={k: tuple(v) for k, v in data["reference_ranges"].items()},
        baseline=data.get("baseline"),
        started=data["started"],
        finished=data.get("finished"),
    )


def list_experiments(root: Path | None = None) -> list[Path]:
    """Experiment folders with results, newest first."""
    root = root or experiments_home()
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if (p / "results.json").exists()), reverse=True)


class ExperimentListener:
    """Hooks the runner calls from its own thread; override what you need."""

    def on_arm_started(self, index: int, total: int, label: str) -> None: ...
    def on_phase(self, index: int, phase: str) -> None: ...
    def on_step(self, index: int, step: int, loss: float, total_steps: int) -> None: ...
    def on_validation(self, index: int, step: int, loss: float) -> None: ...
    def on_arm_finished(self, index: int, arm: ArmResult) -> None: ...
    def on_warning(self, message: str) -> None: ...
    def on_finished(self, result: ExperimentResult) -> None: ...


class _ArmTrainingListener(TrainingListener):
    def __init__(self, listener: ExperimentListener, index: int, total_steps: int):
        self.listener, self.index, self.total_steps = listener, index, total_steps

    def on_step(self, step, loss, elapsed, steps_per_second):
        self.listener.on_step(self.index, step, loss, self.total_steps)

    def on_validation(self, step, loss):
        self.listener.on_validation(self.index, step, loss)

    def on_warning(self, message):
        self.listener.on_warning(message)


def _slug(text: str) -> str:
    return file_name_part(text, keep="_.=-", limit=60)


class ExperimentRunner:
    """Runs an experiment; ``run()`` blocks (use a worker thread in a window), ``stop()`` is thread-safe."""

    def __init__(self, spec: ExperimentSpec, store: RunStore | None = None, root: Path | None = None,
                 listener: ExperimentListener | None = None, corpus: Corpus | None = None):
        spec.check()
        self.spec = spec
        self.store = store or RunStore()
        self.listener = listener or ExperimentListener()
        self._corpus = corpus
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        root = Path(root) if root else experiments_home()
        self.folder = root / f"{stamp}-{_slug(spec.title())}"
        suffix = 1
        while self.folder.exists():
            suffix += 1
            self.folder = root / f"{stamp}-{_slug(spec.title())}-{suffix}"
        self._stop = threading.Event()
        self._trainer = None  # the Trainer of the arm in progress (torch is imported when training starts)
        self._auto = None  # the first arm's auto precision (AutoPrecision): every arm's, one variable
        # what the arms are fine-tuned from, each loaded once (in the values' order; none: every arm from nothing)
        self._bases = {name: self._load_base(name) for name in dict.fromkeys(map(spec.base_of, spec.values)) if name}

    def _load_base(self, spec: str):
        from studio.core.learning.fine_tuning import FineTuningError, load_base  # torch: only to fine-tune

        try:
            return load_base(spec, self.store)
        except FineTuningError as exc:
            raise ExperimentError(str(exc)) from exc

    def stop(self) -> None:
        self._stop.set()
        trainer = self._trainer
        if trainer is not None:
            trainer.stop()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run(self) -> ExperimentResult:
        """Trains, samples and scores every arm; then writes ``results.json`` and returns the result."""
        self.folder.mkdir(parents=True, exist_ok=False)
        write_json_atomic(self.folder / "spec.json", self.spec.to_dict())
        corpus = self._corpus or load_corpus(self.spec.corpus)
        self.listener.on_phase(0, "reference")
        reference = corpus_reference(corpus)
        result = ExperimentResult(
            folder=self.folder, spec=self.spec, status="running", arms=[],
            corpus={"name": corpus.name, "source": corpus.source, "identity": corpus.identity(),
                    "tunes": len(corpus.tunes)},
            reference_ranges=reference.ranges, baseline=reference.baseline,
            started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        result.save()
        novelty, reference_tunes = reference.novelty, reference.tunes
        shared_run: tuple | None = None
        total = len(self.spec.values)
        for index, value in enumerate(self.spec.values):
            if self.stopped:
                break
            label = self.spec.label(value)
            self.listener.on_arm_started(index, total, label)
            if self.spec.generation_time and shared_run is not None:
                arm = replace(shared_run[0], label=label, value=value, temperature=float(value), set_metrics=None,
                              tune_metrics=[], samples_file=None)
            else:
                arm = self._train(index, value, corpus)
                shared_run = (arm,)
            if arm.reason in COMPLETED_REASONS and not self.stopped:
                self._sample_and_score(index, arm, reference_tunes, novelty, corpus)
            result.arms.append(arm)
            result.save()
            self.listener.on_arm_finished(index, arm)
        failed = any(arm.reason == "failed" for arm in result.arms)
        result.status = "stopped" if self.stopped else ("failed" if failed else "finished")
        result.finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
        result.save()
        self.listener.on_finished(result)
        return result

    def _train(self, index: int, value, corpus: Corpus) -> ArmResult:
        model_config, train_config, temperature = self.spec.configs_for(value)
        label = self.spec.label(value)
        self.listener.on_phase(index, "training")
        from studio.core.learning.training import Trainer

        base = self._bases.get(self.spec.base_of(value))
        if base is None and self._bases:  # from nothing beside arms from a model: its network, text level and tonic
            model_config, train_config = next(iter(self._bases.values())).settings(model_config, train_config)
        trainer = Trainer.new(corpus, model_config, train_config, self.store,
                              f"{_slug(self.spec.title())} [{label}]",
                              _ArmTrainingListener(self.listener, index, train_config.iterations), base=base,
                              auto=self._auto)
        if self.spec.variable != "precision":
            self._auto = self._auto or trainer.auto_precision
        self._trainer = trainer
        if self.stopped:
            trainer.stop()
        outcome = trainer.run()
        self._trainer = None
        run = outcome.run
        stats = curve_stats(run.loss_log()) if run else CurveStats(0, None, None, None, 0.0, 0.0, 0.0)
        stats.wall_time = outcome.wall_time
        return ArmResult(
            label=label, value=value, run_id=run.id if run else None, run_path=str(run.path) if run else None,
            reason=outcome.reason, error=outcome.error, model_config=trainer.model_config.to_dict(),
            train_config=trainer.config.to_dict(), temperature=temperature, curve=asdict(stats),
        )

    def _sample_and_score(self, index: int, arm: ArmResult, reference: list[str], novelty: NoveltyIndex,
                          corpus: Corpus) -> None:
        self.listener.on_phase(index, "sampling")
        run = Run(Path(arm.run_path))
        checkpoint = run.best_checkpoint if run.best_checkpoint.exists() else run.last_checkpoint
        from studio.core.generation.sampling import Sampler
        from studio.core.tune_book import write_tune_book

        sampler = Sampler.from_checkpoint(checkpoint)
        config = SamplingConfig(temperature=arm.temperature, seed=self.spec.sampling_seed,
                                max_length=self.spec.max_length, count=self.spec.tunes_per_run,
                                bars="free")  # experiments judge the model itself: the lab's sampling
        tunes = sampler.sample(config, should_stop=lambda: self.stopped)
        if self.stopped:
            return
        samples = self.folder / "samples"
        samples.mkdir(exist_ok=True)
        path = samples / f"{index + 1:02d}-{_slug(arm.label)}.abc"
        path.write_text(write_tune_book(tunes), encoding="utf-8")
        arm.samples_file = str(path)
        self.listener.on_phase(index, "scoring")
        texts = [t.text for t in tunes]
        arm.tune_metrics = [tune_metrics(text).as_dict() for text in texts]
        arm.set_metrics = set_metrics(texts, reference, novelty_index=novelty).as_dict()
        if arm.held_out_per_note is None:  # a generation-time arm shares its run's, already scored
            arm.held_out_per_note = self._held_out_per_note(checkpoint, corpus, run)

    def _held_out_per_note(self, checkpoint: Path, corpus: Corpus, run: Run) -> float | None:
        """The checkpoint's loss per melody note on the run's held-out tunes, each read whole (as ``score`` reads
        them): comparable between arms that read other text levels or vocabularies."""
        from studio.core.quality.scored_tunes import ScoringError
        from studio.core.quality.scoring import score_corpus

        try:
            return score_corpus(checkpoint, corpus, run=run).nats_per_note
        except ScoringError as exc:
            self.listener.on_warning(f"the held-out tunes could not be scored: {exc}")
            return None


def run_experiment(spec: ExperimentSpec, **kwargs) -> ExperimentResult:
    """Convenience: ``ExperimentRunner(spec, **kwargs).run()``."""
    return ExperimentRunner(spec, **kwargs).run()
