"""The run store: one folder per training run, in the user's data folder.

Layout of a run folder::

    run.json        identity, configs, corpus, status and a summary (written atomically)
    split.json      the train/validation split (seed and tune ids)
    loss.csv        ``step,kind,value,elapsed`` appended and flushed as training goes (kind: train, validation,
                    checkpoint), so a run killed mid-way keeps everything logged up to its last step
    checkpoints/    last.pt (for resuming) and best.pt (lowest validation loss)
    samples/        generated tunes

The root is ``$ABC_STUDIO_HOME/runs`` when that variable is set, else the platform's user data folder.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from studio.core.atomic_files import replacing, write_json_atomic
from studio.core.disk_space import write_failure
from studio.core.paths import data_home, file_name_part

class RunStoreError(Exception):
    """A run cannot be created, found, renamed or deleted; the message says why."""


class RunWriteError(RunStoreError, OSError):
    """A file of a run could not be written; the message says why in words (``the disk is full (...)``)."""


@dataclass(frozen=True)
class LossPoint:
    """One row of a loss log. ``kind``: train, validation or checkpoint (value = loss at that step)."""

    step: int
    kind: str
    value: float
    elapsed: float


def _log_row(point: LossPoint) -> str:
    return f"{point.step},{point.kind},{point.value:.6f},{point.elapsed:.3f}\n"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Run:
    """One run folder. Cheap to create: it reads ``run.json`` only when asked."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._log_fd: int | None = None

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def samples_dir(self) -> Path:
        return self.path / "samples"

    @property
    def last_checkpoint(self) -> Path:
        return self.checkpoints_dir / "last.pt"

    @property
    def best_checkpoint(self) -> Path:
        return self.checkpoints_dir / "best.pt"

    def meta(self) -> dict:
        try:
            return json.loads((self.path / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RunStoreError(f"run {self.id} has no readable run.json: {exc}") from exc

    def update_meta(self, **changes) -> dict:
        data = self.meta()
        data.update(changes)
        write_json_atomic(self.path / "run.json", data)
        return data

    @property
    def name(self) -> str:
        return self.meta().get("name", self.id)

    def status(self) -> str:
        """running, paused, stopped, finished, failed, or interrupted (marked running but its process is gone)."""
        status = self.meta().get("status", "unknown")
        if status in ("running", "paused"):
            lock = self.path / "run.lock"
            try:
                pid = int(lock.read_text().strip())
            except (OSError, ValueError):
                return "interrupted"
            if pid != os.getpid() and not _process_alive(pid):
                return "interrupted"
        return status

    def remove_stale_temporaries(self) -> int:
        """Deletes half-written temporary files left by a killed process (call only when no process trains here)."""
        removed = 0
        for stale in [*self.path.glob(".*.tmp"), *self.checkpoints_dir.glob(".*.tmp")]:
            try:
                stale.unlink()
                removed += 1
            except OSError:
                pass
        return removed

    def split_identity(self) -> dict:
        return json.loads((self.path / "split.json").read_text(encoding="utf-8"))

    # --- loss log -------------------------------------------------------------------------------------------

    def append_loss(self, *points: LossPoint) -> None:
        """Appends rows, straight to the OS (they survive a killed process). A write that fails (a full disk) leaves
        the log as it was, never half a row, and raises OSError; the caller may append the rows again later."""
        if self._log_fd is None:
            self._log_fd = os.open(self.path / "loss.csv", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        rest = memoryview("".join(_log_row(p) for p in points).encode("utf-8"))
        size = os.fstat(self._log_fd).st_size
        try:
            while rest:
                rest = rest[os.write(self._log_fd, rest):]
        except OSError:
            os.ftruncate(self._log_fd, size)
            raise

    def close_log(self) -> None:
        if self._log_fd is not None:
            os.close(self._log_fd)
            self._log_fd = None

    def loss_log(self) -> list[LossPoint]:
        """All complete rows of the loss log (a torn last line from a killed process is skipped)."""
        points = []
        try:
            text = (self.path / "loss.csv").read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return points
        for line in text.split("\n"):
            parts = line.split(",")
            if len(parts) != 4 or parts[0] == "step":
                continue
            try:
                points.append(LossPoint(int(parts[0]), parts[1], float(parts[2]), float(parts[3])))
            except ValueError:
                continue
        return points

    def truncate_log(self, last_step: int) -> None:
        """Keeps only rows up to ``last_step`` (used when resuming from a checkpoint older than the log)."""
        self.close_log()
        kept = [p for p in self.loss_log() if p.step <= last_step]
        with replacing(self.path / "loss.csv", text=True) as handle:
            handle.write("step,kind,value,elapsed\n" + "".join(_log_row(p) for p in kept))

    # --- samples --------------------------------------------------------------------------------------------

    def save_samples(self, abc_text: str, label: str) -> Path:
        safe = file_name_part(label, keep="_.-", fallback="samples")
        path = self.samples_dir / f"{safe}.abc"
        try:
            self.samples_dir.mkdir(exist_ok=True)
            path.write_text(abc_text, encoding="utf-8")
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise RunWriteError(f"could not keep the tunes in {path}: "
                                f"{write_failure(exc, self.samples_dir).words}") from exc
        return path

    def summary(self) -> dict:
        """What a list of runs shows: meta plus status and figures from the log."""
        meta = self.meta()
        meta["id"] = self.id
        meta["status"] = self.status()
        points = self.loss_log()
        train = [p for p in points if p.kind == "train"]
        val = [p for p in points if p.kind == "validation"]
        meta["steps_done"] = train[-1].step if train else 0
        meta["last_loss"] = train[-1].value if train else None
        meta["best_loss"] = min(p.value for p in train) if train else None
        meta["last_val_loss"] = val[-1].value if val else None
        meta["best_val_loss"] = min(p.value for p in val) if val else None
        meta["has_checkpoint"] = self.last_checkpoint.exists()
        return meta


class RunStore:
    """All runs under one root folder: create, list, open, rename, delete."""

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root is not None else data_home() / "runs"

    def _ensure_root(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunStoreError(f"cannot create the runs folder {self.root}: {exc.strerror or exc}") from exc
        if not os.access(self.root, os.W_OK):
            raise RunStoreError(f"the runs folder {self.root} is not writable")

    def create(self, name: str, meta: dict, split_identity: dict) -> Run:
        """A new run folder named from the time and ``name``; writes run.json, split.json and the lock."""
        self._ensure_root()
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        slug = file_name_part(name, keep="_-", limit=40, fallback="run")
        base = f"{stamp}-{slug}"
        path = self.root / base
        n = 1
        while path.exists():
            n += 1
            path = self.root / f"{base}-{n}"
        try:
            (path / "checkpoints").mkdir(parents=True)
            data = dict(meta)
            data.setdefault("created", datetime.now(timezone.utc).isoformat(timespec="seconds"))
            data["name"] = name
            data.setdefault("status", "created")
            write_json_atomic(path / "run.json", data)
            write_json_atomic(path / "split.json", split_identity)
            (path / "loss.csv").write_text("step,kind,value,elapsed\n", encoding="utf-8")
        except OSError as exc:
            raise RunStoreError(f"cannot create run folder {path}: {exc.strerror or exc}") from exc
        return Run(path)

    def list(self) -> list[Run]:
        """Runs with a run.json, newest first."""
        if not self.root.is_dir():
            return []
        runs = [Run(p) for p in self.root.iterdir() if (p / "run.json").is_file()]
        return sorted(runs, key=lambda r: r.id, reverse=True)

    def open(self, run_id: str) -> Run:
        path = self.root / run_id
        if not (path / "run.json").is_file():
            # also accept a path to the folder
            candidate = Path(run_id)
            if (candidate / "run.json").is_file():
                return Run(candidate)
            raise RunStoreError(f"no run {run_id!r} in {self.root}")
        return Run(path)

    def rename(self, run_id: str, new_name: str) -> Run:
        if not new_name.strip():
            raise RunStoreError("a run needs a non-empty name")
        run = self.open(run_id)
        run.update_meta(name=new_name.strip())
        return run

    def delete(self, run_id: str) -> None:
        run = self.open(run_id)
        if run.status() in ("running", "paused"):
            raise RunStoreError(f"run {run.name!r} is still training: stop it first")
        shutil.rmtree(run.path)
