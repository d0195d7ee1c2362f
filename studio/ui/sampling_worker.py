"""Sampling tunes on a worker thread, streaming the characters to the window as they are drawn.

The standard Qt worker pattern (DESIGN.md): a QObject worker moved to a QThread, every connection made before
``start()``, ``finished -> quit``, ``deleteLater`` on the thread (the worker is released by the GUI thread once its
thread has finished, never deleted from the worker thread); cancellation is a flag polled by the sampler every step;
errors come back as the ``failed`` signal. Characters are batched and sent about every 40 ms, so a fast model does
not flood the GUI thread with one signal per character.
"""

from __future__ import annotations

import threading
import time
import traceback

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from studio.core.configs import SamplingConfig

FLUSH_INTERVAL_S = 0.04

_sampler_cache: dict[str, object] = {}
_cache_lock = threading.Lock()


def load_sampler(path: str):
    """A Sampler for a checkpoint file, cached by path and modification time (loading takes a moment)."""
    import os

    from studio.core.sampling import Sampler

    key = f"{path}|{os.path.getmtime(path) if os.path.exists(path) else 0}"
    with _cache_lock:
        if key not in _sampler_cache:
            _sampler_cache.clear()
            _sampler_cache[key] = Sampler.from_checkpoint(path)
        return _sampler_cache[key]


class SamplingWorker(QObject):
    """Samples ``config.count`` tunes from the checkpoint at ``checkpoint_path``.

    Signals: ``text_arrived(index, chunk)``, ``tunes_ready(list[GeneratedTune])`` on success, ``failed(message)``,
    and ``finished()`` always last.
    """

    text_arrived = Signal(int, str)
    tunes_ready = Signal(list)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, checkpoint_path: str, config: SamplingConfig):
        super().__init__()
        self.checkpoint_path = checkpoint_path
        self.config = config
        self._cancelled = threading.Event()
        self._pending: dict[int, list[str]] = {}
        self._last_flush = 0.0

    def cancel(self) -> None:
        """Asks the sampler to stop at its next step (thread-safe); the tunes so far are still delivered."""
        self._cancelled.set()

    def _collect(self, index: int, chunk: str) -> None:
        self._pending.setdefault(index, []).append(chunk)
        now = time.monotonic()
        if now - self._last_flush >= FLUSH_INTERVAL_S:
            self._flush()
            self._last_flush = now

    def _flush(self) -> None:
        pending, self._pending = self._pending, {}
        for index, chunks in sorted(pending.items()):
            self.text_arrived.emit(index, "".join(chunks))

    @Slot()
    def run(self) -> None:
        try:
            sampler = load_sampler(self.checkpoint_path)
            tunes = sampler.sample(self.config, on_text=self._collect, should_stop=self._cancelled.is_set)
            self._flush()
            self.tunes_ready.emit(tunes)
        except Exception as exc:  # every failure is reported, the thread never dies silently
            self._flush()
            message = str(exc) or type(exc).__name__
            if not isinstance(exc, (ValueError, OSError)) and "Checkpoint" not in type(exc).__name__:
                message = f"{type(exc).__name__}: {message}\n{traceback.format_exc(limit=3)}"
            self.failed.emit(message)
        finally:
            self.finished.emit()


class _WorkerKeeper(QObject):
    """Holds each running worker until its thread has finished, then lets it go in the GUI thread.

    Workers are Python-owned: ``deleteLater`` on a worker would free it in its own thread while the GUI thread may be
    dropping its Python reference at the same moment (a double free, seen as a segfault in Shiboken's destroy).
    """

    def __init__(self):
        super().__init__()
        self._running: dict[int, tuple[QThread, QObject]] = {}

    def keep(self, thread: QThread, worker: QObject) -> None:
        self._running[id(thread)] = (thread, worker)
        thread.finished.connect(self._release)  # queued: runs in the GUI thread once the thread is done

    @Slot()
    def _release(self) -> None:
        for key, (thread, _worker) in list(self._running.items()):
            if thread.isFinished():
                thread.wait()
                del self._running[key]


_keeper: _WorkerKeeper | None = None


def start_worker(worker: QObject, parent: QObject) -> QThread:
    """Moves ``worker`` (with a ``run`` slot and a ``finished`` signal) to a new thread and starts it.

    Connect the worker's signals before calling this. The thread quits when the worker finishes; the thread object
    is deleted later by the GUI thread, and the worker is released there once the thread has finished.
    """
    global _keeper
    if _keeper is None:
        _keeper = _WorkerKeeper()
    thread = QThread(parent)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit, Qt.DirectConnection)  # quit() is thread-safe
    _keeper.keep(thread, worker)
    thread.finished.connect(thread.deleteLater)
    thread.start()
    return thread
