"""Sampling tunes on a worker thread, streaming the characters to the window as they are drawn.

A ``studio.ui.widgets.threads.Worker``: start it with ``studio.ui.widgets.threads.start_worker`` (the wiring lives there);
cancellation is the worker's flag, polled by the sampler every step; errors come back as the ``failed`` signal.
Characters are batched and sent about every 40 ms, so a fast model does
not flood the GUI thread with one signal per character. With ``best_of`` above 1 it samples that many candidates per
tune (``studio.core.generation.best_of``, scored against O'Neill's cached reference) and streams each tune's first candidate.
"""

from __future__ import annotations

import threading
import time
import traceback

from PySide6.QtCore import Signal

from studio.core.configs import SamplingConfig
from studio.ui.widgets.threads import Worker, error_message

FLUSH_INTERVAL_S = 0.04

_sampler_cache: dict[str, object] = {}
_cache_lock = threading.Lock()


def load_sampler(path: str):
    """A Sampler for a checkpoint file, cached by path and modification time (loading takes a moment)."""
    import os

    from studio.core.generation.sampling import Sampler

    key = f"{path}|{os.path.getmtime(path) if os.path.exists(path) else 0}"
    with _cache_lock:
        if key not in _sampler_cache:
            _sampler_cache.clear()
            _sampler_cache[key] = Sampler.from_checkpoint(path)
        return _sampler_cache[key]


class SamplingWorker(Worker):
    """Samples ``config.count`` tunes from the checkpoint at ``checkpoint_path``.

    Signals: ``progressed(index, chunk)`` as characters are drawn, ``succeeded(list[GeneratedTune])`` (also after
    ``cancel()``: the tunes so far), ``failed(message)``, and ``finished()`` always last.
    """

    progressed = Signal(int, str)

    def __init__(self, checkpoint_path: str, config: SamplingConfig, best_of: int = 1):
        super().__init__()
        self.checkpoint_path = checkpoint_path
        self.config = config
        self.best_of = best_of
        self._pending: dict[int, list[str]] = {}
        self._last_flush = 0.0

    def _collect(self, index: int, chunk: str) -> None:
        self._pending.setdefault(index, []).append(chunk)
        now = time.monotonic()
        if now - self._last_flush >= FLUSH_INTERVAL_S:
            self._flush()
            self._last_flush = now

    def _flush(self) -> None:
        pending, self._pending = self._pending, {}
        for index, chunks in sorted(pending.items()):
            self.progressed.emit(index, "".join(chunks))

    def work(self):
        try:
            sampler = load_sampler(self.checkpoint_path)
            if self.best_of <= 1:
                return sampler.sample(self.config, on_text=self._collect, should_stop=self.is_cancelled)
            return self._best_of(sampler)
        finally:
            self._flush()

    def _best_of(self, sampler) -> list:
        from studio.core.generation.best_of import best_of
        from studio.core.corpus import DEFAULT_CORPUS
        from studio.core.quality.evaluation import corpus_reference

        n = self.best_of

        def first_candidates(candidate: int, chunk: str) -> None:
            if candidate % n == 0:
                self._collect(candidate // n, chunk)

        reference = corpus_reference(DEFAULT_CORPUS)  # from the disk cache after the first time
        return best_of(sampler, self.config, n, reference, on_text=first_candidates,
                       should_stop=self.is_cancelled).tunes

    def describe_failure(self, exc: Exception) -> str:
        message = error_message(exc)
        if not isinstance(exc, (ValueError, OSError)) and "Checkpoint" not in type(exc).__name__:
            message = f"{type(exc).__name__}: {message}\n{traceback.format_exc(limit=3)}"
        return message
