"""The command line: everything the window does, for scripts and bigger machines.

    python -m studio corpus [NAME|PATH]          report on a corpus (tunes, characters, vocabulary, dropped)
    python -m studio train --preset lab ...      train a run (Ctrl-C stops and keeps it; --resume RUN continues)
    python -m studio generate --count 4 ...      sample tunes from a run, a checkpoint or the shipped model
    python -m studio runs [list|rename|delete]   the run store
    python -m studio package --run RUN --out F   a run's best checkpoint as a compact model file

Exit codes: 0 success, 1 the work failed, 2 a usage or input mistake (with a one-line reason, no traceback),
130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from studio.core.export import register_export_command
from studio.core.paths import SHIPPED_MODEL
from studio.core.quality_commands import register_evaluate_command, register_experiment_command

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UserError(Exception):
    """A mistake the user can fix; printed as one line, exit code 2."""


class ProgressBar:
    """A one-line progress bar on stderr (redrawn in place on a terminal, a line per 10% otherwise)."""

    def __init__(self, total: int, label: str, stream=None):
        self.total = max(1, total)
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last_decile = -1
        self.last_draw = 0.0

    def update(self, done: int, info: str = "") -> None:
        fraction = min(1.0, done / self.total)
        now = time.monotonic()
        if self.tty:
            if now - self.last_draw < 0.1 and done < self.total:
                return
            self.last_draw = now
            filled = int(fraction * 30)
            self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{self.total} {info}\033[K")
            if done >= self.total:
                self.stream.write("\n")
        elif int(fraction * 10) > self.last_decile:
            self.last_decile = int(fraction * 10)
            self.stream.write(f"{self.label} {done}/{self.total} {info}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def _store(args):
    from studio.core.runs import RunStore

    return RunStore(args.runs_dir) if getattr(args, "runs_dir", None) else RunStore()


def cmd_corpus(args) -> int:
    from studio.core.corpus import BUILTIN_CORPORA, load_corpus

    if args.list:
        for name, description in BUILTIN_CORPORA.items():
            print(f"{name:15} {description}")
        return EXIT_OK
    corpus = load_corpus(args.spec)
    print(corpus.report.summary())
    print(f"identity {corpus.identity()}")
    print(f"vocabulary {corpus.report.vocabulary!r}")
    return EXIT_OK


def _configs_from_args(args):
    from dataclasses import replace

    from studio.core.training import preset

    model_config, train_config = preset(args.preset)
    overrides = {
        "iterations": args.iterations, "batch_size": args.batch_size, "seq_length": args.seq_length,
        "learning_rate": args.learning_rate, "lr_schedule": args.lr_schedule, "seed": args.seed,
        "device": args.device, "precision": args.precision,
        "validation_interval": args.validation_interval, "checkpoint_interval": args.checkpoint_interval,
    }
    train_config = replace(train_config, **{k: v for k, v in overrides.items() if v is not None})
    model_overrides = {"embedding_dim": args.embedding_dim, "hidden_size": args.hidden_size,
                       "num_layers": args.num_layers, "dropout": args.dropout}
    model_config = replace(model_config, **{k: v for k, v in model_overrides.items() if v is not None})
    problems = {**model_config.problems(), **train_config.problems()}
    if problems:
        raise UserError("; ".join(f"--{k.replace('_', '-')} {v}" for k, v in problems.items()))
    return model_config, train_config


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


def cmd_train(args) -> int:
    import torch

    from studio.core.corpus import load_corpus
    from studio.core.training import Trainer, TrainingListener

    if args.threads:
        torch.set_num_threads(args.threads)
    store = _store(args)
    if args.resume:
        run = store.open(args.resume)
        iterations = args.iterations
        listener = _CliListener(iterations or run.meta()["train_config"]["iterations"])
        trainer = Trainer.resume(run, listener=listener, iterations=iterations)
        print(f"resuming {run.name} at step {trainer.step}", file=sys.stderr)
    else:
        model_config, train_config = _configs_from_args(args)
        corpus = load_corpus(args.corpus)
        print(corpus.report.summary().split("\n")[0], file=sys.stderr)
        listener = _CliListener(train_config.iterations)
        trainer = Trainer.new(corpus, model_config, train_config, store, args.name, listener)
    if trainer.run_folder is None:  # a worker process under torchrun: rank 0 reports and writes the run
        trainer.listener = TrainingListener()
        result = trainer.run()
        return EXIT_FAILED if result.reason == "failed" else EXIT_OK
    listener.bar.update(trainer.step)
    world = trainer.distributed.world_size
    print(f"run folder: {trainer.run_folder.path}  (device {trainer.device}, "
          f"{'bf16' if trainer.use_bf16 else 'fp32'}, {trainer.model.parameter_count():,} parameters"
          f"{f', {world} processes' if world > 1 else ''})", file=sys.stderr)
    previous = signal.signal(signal.SIGINT, lambda *_: trainer.stop())
    try:
        result = trainer.run()
    finally:
        signal.signal(signal.SIGINT, previous)
    print(f"\n{result.reason} after {result.steps_done} steps in {result.wall_time:.1f} s; "
          f"loss {result.final_loss if result.final_loss is None else round(result.final_loss, 4)}, "
          f"best validation {result.best_validation_loss and round(result.best_validation_loss, 4)}")
    print(f"run: {trainer.run_folder.id}")
    if result.reason == "failed":
        print(f"error: {result.error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_INTERRUPTED if result.reason == "stopped" else EXIT_OK


def resolve_checkpoint(args) -> Path:
    """The checkpoint to sample from: --checkpoint, --run (best, else last), else the shipped model."""
    if getattr(args, "checkpoint", None):
        return Path(args.checkpoint)
    if getattr(args, "run", None):
        run = _store(args).open(args.run)
        for path in (run.best_checkpoint, run.last_checkpoint):
            if path.exists():
                return path
        raise UserError(f"run {run.name!r} has no checkpoint yet")
    if SHIPPED_MODEL.exists():
        return SHIPPED_MODEL
    raise UserError("no model given: use --run RUN or --checkpoint FILE (the shipped default model is missing)")


def cmd_generate(args) -> int:
    from studio.core.sampling import Sampler, SamplingConfig, tune_book

    checkpoint = resolve_checkpoint(args)
    sampler = Sampler.from_checkpoint(checkpoint)
    primer = args.primer.encode().decode("unicode_escape") if args.primer else "X:1\n"
    config = SamplingConfig(temperature=args.temperature, top_k=args.top_k, seed=args.seed, primer=primer,
                            max_length=args.max_length, count=args.count)
    bar = ProgressBar(args.max_length, "generate") if not args.quiet else None
    steps = [0]

    def on_text(index, chunk):
        if index == 0 and bar:
            steps[0] += 1
            bar.update(steps[0])

    tunes = sampler.sample(config, on_text=on_text)
    if bar:
        bar.close()
    text = tune_book(tunes)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {len(tunes)} tune(s) to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    if getattr(args, "run", None):
        run = _store(args).open(args.run)
        run.save_samples(text, f"t{args.temperature:g}-seed{tunes[0].seed}-n{len(tunes)}")
    return EXIT_OK


def cmd_runs(args) -> int:
    store = _store(args)
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
    """Writes a run's best checkpoint as a compact model: half-precision weights, no optimizer state."""
    from studio.core.checkpoints import load_checkpoint, save_checkpoint

    source = resolve_checkpoint(args)
    checkpoint = load_checkpoint(source)
    checkpoint.optimizer_state = None
    checkpoint.rng_state = None
    out = save_checkpoint(Path(args.out), checkpoint, half_precision=not args.full_precision)
    print(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MB, step {checkpoint.step}) from {source}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from studio.core.corpus import DEFAULT_CORPUS

    parser = argparse.ArgumentParser(prog="python -m studio", description="ABC Studio from the command line.")
    parser.add_argument("--runs-dir", help="where runs are stored (default: the user data folder)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("corpus", help="report on a corpus")
    p.add_argument("spec", nargs="?", default=DEFAULT_CORPUS, help="built-in name or .abc file/folder")
    p.add_argument("--list", action="store_true", help="list the built-in collections")
    p.set_defaults(func=cmd_corpus)

    p = sub.add_parser("train", help="train a model (a run)")
    p.add_argument("--preset", default="lab", help="lab, lab-batch4, lab-seq200 or tiny (default lab)")
    p.add_argument("--corpus", default=DEFAULT_CORPUS, help="built-in name or .abc file/folder")
    p.add_argument("--name", help="a name for the run")
    p.add_argument("--resume", metavar="RUN", help="continue a stopped run from its last checkpoint")
    p.add_argument("--iterations", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--seq-length", type=int)
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--lr-schedule", choices=["constant", "cosine"],
                   help="constant (the lab's) or cosine: down to nothing by the last step")
    p.add_argument("--embedding-dim", type=int)
    p.add_argument("--hidden-size", type=int)
    p.add_argument("--num-layers", type=int)
    p.add_argument("--dropout", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"])
    p.add_argument("--validation-interval", type=int)
    p.add_argument("--checkpoint-interval", type=int)
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("generate", help="sample tunes")
    p.add_argument("--run", help="a run id (its best checkpoint)")
    p.add_argument("--checkpoint", help="a checkpoint file")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--top-k", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--primer", help=r"start of the tune, e.g. 'X:1\nM:6/8\nK:D\n' (default X:1)")
    p.add_argument("--max-length", type=int, default=1000)
    p.add_argument("--out", help="write the tunes to this .abc file instead of printing them")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("runs", help="list, rename or delete runs")
    p.add_argument("action", nargs="?", default="list", choices=["list", "rename", "delete"])
    p.add_argument("run", nargs="?")
    p.add_argument("new_name", nargs="?")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("package", help="write a run's best checkpoint as a compact model file")
    p.add_argument("--run", help="a run id")
    p.add_argument("--checkpoint", help="a checkpoint file")
    p.add_argument("--out", required=True, help="the model file to write, e.g. models/default.pt")
    p.add_argument("--full-precision", action="store_true", help="keep fp32 weights (default: fp16, half the size)")
    p.set_defaults(func=cmd_package)

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


#: Other modules add subcommands here (export, evaluate, experiment), each a function taking the subparsers.
_EXTRA_COMMANDS: list = [register_export_command, register_evaluate_command, register_experiment_command]


def _user_error_types() -> tuple:
    from studio.core.checkpoints import CheckpointError
    from studio.core.corpus import CorpusError
    from studio.core.evaluation import EvaluationError
    from studio.core.experiments import ExperimentError
    from studio.core.runs import RunStoreError
    from studio.core.sampling import SamplingError
    from studio.core.training import TrainingError

    return (UserError, CorpusError, CheckpointError, RunStoreError, SamplingError, TrainingError, KeyError,
            EvaluationError, ExperimentError)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except _user_error_types() as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
