"""Atomic file replacement: write beside the target, flush, fsync, rename over it; a crash leaves the old file or
the new one, never half of one.

The new file keeps the mode of the file it replaces; a file that did not exist gets the usual ``0666 & ~umask``
(``tempfile.mkstemp`` makes its files private, ``0600``, which made saved tune books and packaged models unreadable
to other users).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator


def replacement_mode(path: Path) -> int:
    """The permission bits a file written over ``path`` should get."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def replacing(path: Path | str, text: bool = False) -> Iterator[IO]:
    """A file to write ``path``'s new content to (UTF-8 with ``\\n`` line ends when ``text``); renamed over ``path``
    when the block ends without an exception, removed when it raises (the exception goes on)."""
    path = Path(path)
    mode = replacement_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with (os.fdopen(fd, "w", encoding="utf-8", newline="\n") if text else os.fdopen(fd, "wb")) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json_atomic(path: Path, data: dict) -> None:
    """Writes JSON to a temporary file beside ``path`` and renames it over ``path``."""
    write_text_atomic(path, json.dumps(data, indent=2))


def write_text_atomic(path: Path | str, text: str) -> None:
    """Writes ``text`` (UTF-8, ``\\n`` line ends) to a temporary file beside ``path``, flushes, fsyncs and renames
    it over ``path``: a crash leaves the old file or the new one, never half of one. The file keeps the mode of
    the one it replaces (a new file gets the usual ``0666 & ~umask``, not ``mkstemp``'s private ``0600``)."""
    with replacing(path, text=True) as handle:
        handle.write(text)
