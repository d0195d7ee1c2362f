"""Saying that the disk is full: a failed write is put in words with the free space of its folder, and a small
reserve file keeps room for the few bytes a run must still write when the disk fills up (its final status).

A full disk does not always arrive as ``ENOSPC``: torch's serializer reports a short write as ``[enforce fail at
inline_container.cc] . unexpected pos N vs M`` (or "PytorchStreamWriter failed writing file"). So whatever a write
raised, the free space of its folder is checked, and a write that needed more than is free is called a full disk.
"""

from __future__ import annotations

import errno
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

#: errno values that mean "no room": no space on the device, or the user's quota used up
NO_ROOM = (errno.ENOSPC, errno.EDQUOT)
#: below this much free space (beyond what the write needed) a failed write is put down to a full disk
HEADROOM = 64 * 1024
#: what a run keeps in reserve while it trains (its last run.json, loss rows and error file fit in it)
RUN_RESERVE_BYTES = 64 * 1024
DISK_FULL_ADVICE = "disk full: free some space, then resume"


def free_bytes(folder: Path | str) -> int | None:
    """Bytes an ordinary user may still write under ``folder`` (its nearest existing parent); None if unknown."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def disk_full_words(folder: Path | str) -> str:
    """``the disk is full (12 KB free in /data/runs/x)``."""
    free = free_bytes(folder)
    amount = "no" if free is None else f"{free // 1024:,} KB"
    return f"the disk is full ({amount} free in {folder})"


@dataclass(frozen=True)
class WriteFailure:
    """What a failed write means for the person: ``disk_full`` and the words (``the disk is full (...)`` or the
    system's own reason)."""

    disk_full: bool
    words: str


def write_failure(exc: BaseException, folder: Path | str, needed: int = 0) -> WriteFailure:
    """Puts ``exc``, raised while writing about ``needed`` bytes into ``folder``, in words."""
    if getattr(exc, "errno", None) in NO_ROOM:
        return WriteFailure(True, disk_full_words(folder))
    free = free_bytes(folder)
    if free is not None and free < needed + HEADROOM:
        return WriteFailure(True, disk_full_words(folder))
    text = str(exc).strip()
    return WriteFailure(False, getattr(exc, "strerror", None) or (text.splitlines()[0] if text else type(exc).__name__))


class Reserve:
    """A file of ``size`` bytes that holds room on the disk: ``release()`` it when the disk is full and something
    small must still be written. Both never raise: on a disk that is already full there is simply no reserve."""

    def __init__(self, path: Path | str, size: int = RUN_RESERVE_BYTES):
        self.path = Path(path)
        self.size = size

    def hold(self) -> bool:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.posix_fallocate(fd, 0, self.size)
            finally:
                os.close(fd)
            return True
        except OSError:
            self.release()
            return False

    def release(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass
