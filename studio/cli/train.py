"""``python -m studio train``, ``runs`` and ``package``: training a run, the run store, a run as a model file."""

from __future__ import annotations

import contextlib
import signal
import sys
from pathlib import Path

from studio.cli.common import (EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, ProgressBar, UserError, resolve_checkpoint,
                               run_store)


def register(subparsers) -> None:
    from studio.core.corpus import DEFAULT_CORPUS

    p = subparsers.add_parser("train", help="train a model (a run)")
    p.add_argument("--preset", help="lab, lab-batch4, lab-seq200, lab-window, fine-tune or tiny (default lab; "
                                    "fine-tune with --from)")
    p.add_argument("--corpus", default=DEFAULT_CORPUS, help="built-in name or .abc file/folder")
    p.add_argument("--name", help="a name for the run")
    p.add_argument("--resume", metavar="RUN", help="continue a stopped run from its last checkpoint")
    p.add_argument("--from", dest="from_model", metavar="MODEL|RUN",
                   help="start from a trained model instead of random weights: shipped (the shipped model), a model "
                        "file or a run id; the run takes its network shape, text level and characters")
    add_setting_flags(p)
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    p.set_defaults(func=cmd_train)

    p = subparsers.add_parser("runs", help="list, rename or delete runs")
    p.add_argument("action", nargs="?", default="list", choices=["list", "rename", "delete"])
    p.add_argument("run", nargs="?")
    p.add_argument("new_name", nargs="?")
    p.set_defaults(func=cmd_runs)

    p = subparsers.add_parser("package", help="write a run's best checkpoint as a compact model file")
    p.add_argument("--run", help="a run id")
    p.add_argument("--checkpoint", help="a checkpoint file")
    p.add_argument("--out", required=True, help="the model file to write, e.g. models/default.pt")
    p.add_argument("--full-precision", action="store_true", help="keep fp32 weights (default: fp16, half the size)")
    p.set_defaults(func=cmd_package)


def add_setting_flags(parser) -> None:
    """One flag per training setting (``studio.core.configs.training_settings``: its name, choices, range and help);
    each defaults to None, the preset's value."""
    import argparse

    from studio.core.configs import training_settings

    for setting in training_settings():
        def parse(text: str, setting=setting):
            try:
                return setting.parse(text)
            except ValueError as exc:
                if setting.about.parse:  # its own words; argparse says "invalid int value" for the others
                    raise argparse.ArgumentTypeError(str(exc)) from None
                raise

        parse.__name__ = setting.kind.__name__  # argparse names the type in its message
        parser.add_argument(f"--{setting.flag}", dest=setting.name, type=parse, help=setting.described_help(),
                            choices=list(setting.about.choices) or None)


def _configs_from_args(args):
    """The ``--preset``'s configs with every setting flag given on the command line; UserError names bad values."""
    from dataclasses import replace

    from studio.core.configs import ModelConfig, preset, training_settings

    model_config, train_config = preset(args.preset or ("fine-tune" if getattr(args, "from_model", None) else "lab"))
    given = [(s, getattr(args, s.name)) for s in training_settings() if getattr(args, s.name) is not None]
    model_config = replace(model_config, **{s.name: value for s, value in given if s.config is ModelConfig})
    train_config = replace(train_config, **{s.name: value for s, value in given if s.config is not ModelConfig})
    problems = {**model_config.problems(), **train_config.problems()}
    if problems:
        flags = {s.name: s.flag for s in training_settings()}
        raise UserError("; ".join(f"--{flags.get(k, k)} {v}" for k, v in problems.items()))
    return model_config, train_config


def _base_from_args(args):
    """The model ``--from`` names (None without it); refuses shape or text-level flags the base cannot follow."""
    from studio.core.configs import SHAPE_FIELDS
    from studio.core.learning.fine_tuning import FineTuningError, load_base

    if not args.from_model:
        return None
    try:
        base = load_base(args.from_model, run_store(args))
    except FineTuningError as exc:
        raise UserError(str(exc)) from exc
    conflicts = base.conflicts({name: getattr(args, name) for name in SHAPE_FIELDS}
                               | {"text_level": args.text_level, "tonic": args.tonic})
    if conflicts:
        raise UserError(f"--from {args.from_model}: the run takes {base.label}'s network, text level and tonic, so it "
                        f"cannot have {'; '.join(conflicts)}")
    return base


class _CliListener:
    """Prints training progress and warnings."""

    def __init__(self, total: int):
        self.bar = ProgressBar(total, "train")
        self.last_val = None

    def on_step(self, step, loss, elapsed, steps_per_second):
        val = f" val {self.last_val:.3f}" if self.last_val is not None else ""
        self.bar.update(step, f"loss {loss:.3f}{val} {steps_per_second:.1f} step/s")

    def on_validation(self, step, loss):
        self.last_val = loss

    def on_checkpoint(self, step, path): ...
    def on_state_changed(self, state): ...

    def on_warning(self, message):
        print(f"\nwarning: {message}", file=sys.stderr)

    def on_finished(self, result): ...


@contextlib.contextmanager
def stop_on_interrupt(trainer):
    """Ctrl+C (SIGINT) stops the run at the next step, checkpoint kept, instead of killing the process."""
    previous = signal.signal(signal.SIGINT, lambda *_: trainer.stop())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def cmd_train(args) -> int:
    import torch

    from studio.core.corpus import load_corpus
    from studio.core.learning.fine_tuning import describe_start
    from studio.core.learning.training import Trainer, TrainingError
    from studio.core.learning.training_listener import TrainingListener
    from studio.core.network.precision import bf16_warning
    from studio.core.text_levels import corpus_at_level

    if args.threads:
        torch.set_num_threads(args.threads)
    store = run_store(args)
    if args.resume:
        run = store.open(args.resume)
        iterations = args.iterations
        listener = _CliListener(iterations or run.meta()["train_config"]["iterations"])
        trainer = Trainer.resume(run, listener=listener, iterations=iterations)
        print(f"resuming {run.name} at step {trainer.step}", file=sys.stderr)
    else:
        model_config, train_config = _configs_from_args(args)
        base = _base_from_args(args)
        if base is not None:
            model_config, train_config = base.settings(model_config, train_config)
        corpus = load_corpus(args.corpus)
        print(corpus.report.summary().split("\n")[0], file=sys.stderr)
        if train_config.text_level != "raw":
            print(f"writing the tunes at the {train_config.text_level} text level (the first time takes up to a "
                  "minute; then cached)...", file=sys.stderr)
            corpus = corpus_at_level(corpus, train_config.text_level)
            print(corpus.normalisation.summary().split("\n")[0], file=sys.stderr)
        if train_config.tonic != "written":
            print(f"every tune written with the tonic {train_config.tonic}, its mode kept (a tune that fits no octave "
                  "of the range stays as written)", file=sys.stderr)
        listener = _CliListener(train_config.iterations)
        try:
            trainer = Trainer.new(corpus, model_config, train_config, store, args.name, listener, base)
        except TrainingError as exc:
            raise UserError(str(exc)) from exc
        if base is not None:
            print(describe_start(trainer.run_folder.meta()["parent"] if trainer.run_folder else base.record("")),
                  file=sys.stderr)
    if trainer.run_folder is None:  # a worker process under torchrun: rank 0 reports and writes the run
        trainer.listener = TrainingListener()
        with stop_on_interrupt(trainer):  # Ctrl+C reaches every rank: all must stop at the same step, not crash
            result = trainer.run()
        return EXIT_FAILED if result.reason == "failed" else EXIT_OK
    listener.bar.update(trainer.step)
    if trainer.auto_precision is not None:  # what precision auto measured (or found measured) on this machine
        print(f"precision auto: {trainer.auto_precision.words()}", file=sys.stderr)
    elif trainer.use_bf16 and (warning := bf16_warning(trainer.model_config, trainer.config, torch.get_num_threads())):
        print(f"warning: {warning}", file=sys.stderr)  # asked for, and obeyed
    world = trainer.distributed.world_size
    print(f"run folder: {trainer.run_folder.path}  (device {trainer.device}, "
          f"{'bf16' if trainer.use_bf16 else 'fp32'}, {trainer.model.parameter_count():,} parameters"
          f"{f', {world} processes' if world > 1 else ''})", file=sys.stderr)
    with stop_on_interrupt(trainer):
        result = trainer.run()
    print(f"\n{result.reason} after {result.steps_done} steps in {result.wall_time:.1f} s; "
          f"loss {result.final_loss if result.final_loss is None else round(result.final_loss, 4)}, "
          f"best validation {result.best_validation_loss and round(result.best_validation_loss, 4)}")
    print(f"run: {trainer.run_folder.id}")
    if result.early_stop:
        print(f"stopped early: {result.early_stop}")
    if result.reason == "failed":
        print(f"error: {result.error}", file=sys.stderr)
        return EXIT_FAILED
    if result.stop_reason:  # its last state could not be written (a full disk): a failure to act on, not a Ctrl+C
        kept = (f"it resumes from its last good checkpoint: python -m studio train --resume {trainer.run_folder.id}"
                if trainer.run_folder.last_checkpoint.exists() else
                "no checkpoint of it could be written, so its training is lost when this program ends")
        print(f"error: stopped: {result.stop_reason}; {kept}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_INTERRUPTED if result.reason == "stopped" else EXIT_OK


def cmd_runs(args) -> int:
    store = run_store(args)
    if args.action == "list":
        runs = store.list()
        if not runs:
            print(f"no runs yet in {store.root}")
        for run in runs:
            s = run.summary()
            tc = s.get("train_config", {})
            best = s.get("best_val_loss")
            print(f"{run.id}  {s.get('name', '')[:30]:30} {s['status']:11} {s['steps_done']:>6}/{tc.get('iterations', '?')}"
                  f"  b{tc.get('batch_size')} s{tc.get('seq_length')}  loss {s['last_loss'] or float('nan'):.3f}"
                  f"  val {best if best is not None else float('nan'):.3f}")
    elif args.action == "rename":
        if not args.run or not args.new_name:
            raise UserError("usage: runs rename RUN NEW_NAME")
        store.rename(args.run, args.new_name)
    elif args.action == "delete":
        if not args.run:
            raise UserError("usage: runs delete RUN")
        store.delete(args.run)
    return EXIT_OK


def cmd_package(args) -> int:
    """Writes a run's best checkpoint as a compact model (half-precision weights, no optimizer state) with its card;
    a fine-tuned run's model keeps its parent."""
    from studio.core.learning.packaging import package_model
    from studio.core.quality.scored_tunes import run_of_checkpoint

    source = resolve_checkpoint(args)
    run = run_store(args).open(args.run) if args.run else run_of_checkpoint(source)
    out, card, checkpoint = package_model(source, Path(args.out), run, half_precision=not args.full_precision)
    print(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MB, step {checkpoint.step}) from {source}, and its card "
          f"{card}")
    if checkpoint.parent:
        print(f"lineage: fine-tuned from {checkpoint.parent.get('name') or checkpoint.parent['label']} "
              f"(digest {checkpoint.parent.get('digest', 'not recorded')})")
    return EXIT_OK
