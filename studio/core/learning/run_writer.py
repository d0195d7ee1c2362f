"""What a Trainer writes into its run folder (checkpoints, loss rows, run.json), kept going when the disk fills up.

A write that fails is put in words (``studio.core.disk_space``: "the disk is full (N KB free in FOLDER)"), with
the file's name and what happens next, and told to the listener once, not at every step. Loss rows that cannot be
written wait in memory and go out with the next row that fits; a failed checkpoint is tried again at the next
interval. While the run trains, a small reserve file holds room for its last words: when it ends, the reserve is
released so run.json can still say how and why it stopped, even on a disk that is completely full.
"""

from __future__ import annotations

import os
from typing import Callable

from studio.core.disk_space import DISK_FULL_ADVICE, Reserve, WriteFailure, write_failure
from studio.core.network.checkpoints import Checkpoint, CheckpointError, save_checkpoint
from studio.core.runs import LossPoint, Run

#: rows kept in memory while the disk is full (a long run's worth; older ones are dropped beyond that)
MAX_WAITING_ROWS = 200_000


class RunWriter:
    """The writes of one training session into ``run`` (None: nothing is written). ``warn(message)`` tells the
    person; ``problem`` is the last checkpoint write that failed (None while all went well)."""

    def __init__(self, run: Run | None, warn: Callable[[str], None]):
        self.run = run
        self.warn = warn
        self.problem: WriteFailure | None = None
        self._waiting: list[LossPoint] = []
        self._log_warned = False
        self._reserve = Reserve(run.path / ".disk-reserve.tmp") if run is not None else None

    def open(self, **meta) -> bool:
        """Holds the reserve, marks the run as this process's and records ``meta``; False when the run folder
        cannot be written (the person has been told, ``problem`` says why)."""
        if self.run is None:
            return True
        self._reserve.hold()
        try:
            (self.run.path / "run.lock").write_text(str(os.getpid()))
        except OSError as exc:
            self.problem = write_failure(exc, self.run.path)
            self.warn(f"cannot train in {self.run.path}: {self.problem.words}")
            return False
        return self.write_meta(**meta)

    def checkpoint(self, path, checkpoint: Checkpoint, retried: bool) -> str | None:
        """Writes ``checkpoint`` atomically; None when it could not be (``retried``: say it is tried again)."""
        try:
            save_checkpoint(path, checkpoint)
        except CheckpointError as exc:
            self.problem = WriteFailure(exc.disk_full, str(exc))
            self.warn(f"{exc}{'; trying again at the next checkpoint' if retried else ''}")
            return None
        return str(path)

    def log(self, point: LossPoint | None = None) -> None:
        """Appends ``point`` after any rows a full disk held back; rows that cannot be written wait in memory."""
        if self.run is None:
            return
        if point is not None:
            self._waiting = (self._waiting + [point])[-MAX_WAITING_ROWS:]
        if not self._waiting:
            return
        try:
            self.run.append_loss(*self._waiting)
        except OSError as exc:
            if not self._log_warned:
                self._log_warned = True
                self.warn(f"could not append to the loss log loss.csv: {write_failure(exc, self.run.path).words}; "
                          "its rows wait in memory until there is room")
            return
        self._waiting, self._log_warned = [], False

    def write_traceback(self, text: str) -> None:
        """Keeps a failed run's traceback in error.txt (a disk too full for it loses only the file: the error
        still reaches the result and the listener)."""
        if self.run is None:
            return
        try:
            (self.run.path / "error.txt").write_text(text)
        except OSError:
            pass

    def write_meta(self, **changes) -> bool:
        """Updates run.json; False (the person told why) when it cannot be written."""
        if self.run is None:
            return True
        try:
            self.run.update_meta(**changes)
            return True
        except OSError as exc:
            self.warn(f"could not update run.json: {write_failure(exc, self.run.path).words}")
            return False

    def release(self) -> None:
        """The run is ending: frees the reserve for its last rows and run.json, and writes the rows that waited."""
        if self.run is None:
            return
        self._reserve.release()
        self.log()
        if self._waiting:
            self.warn(f"{len(self._waiting):,} rows of the loss log could not be written")
        self.run.close_log()

    def close(self, **meta) -> None:
        """Records the run's summary and lets go of it (the lock stays when run.json could not say it ended)."""
        if self.run is not None and self.write_meta(**meta):
            (self.run.path / "run.lock").unlink(missing_ok=True)

    def stop_reason(self) -> str:
        """Why a run whose state could not be written stopped, and what to do."""
        if self.problem is None or self.problem.disk_full:
            return DISK_FULL_ADVICE
        return f"{self.problem.words}; fix that, then resume"
