"""What every command shares: exit codes, the user-mistake error, the progress bar, the run store and the model
named by the arguments."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from studio.core.paths import SHIPPED_MODEL

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


def run_store(args):
    """The run store of ``--runs-dir``, else the one in the user's data folder."""
    from studio.core.runs import RunStore

    return RunStore(args.runs_dir) if getattr(args, "runs_dir", None) else RunStore()


def resolve_checkpoint(args) -> Path:
    """The checkpoint to sample from: --checkpoint, --run (best, else last), else the shipped model."""
    if getattr(args, "checkpoint", None):
        return Path(args.checkpoint)
    if getattr(args, "run", None):
        run = run_store(args).open(args.run)
        for path in (run.best_checkpoint, run.last_checkpoint):
            if path.exists():
                return path
        raise UserError(f"run {run.name!r} has no checkpoint yet")
    if SHIPPED_MODEL.exists():
        return SHIPPED_MODEL
    raise UserError("no model given: use --run RUN or --checkpoint FILE (the shipped default model is missing)")
