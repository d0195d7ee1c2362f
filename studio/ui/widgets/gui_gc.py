"""Python's cyclic garbage collector, run only in the GUI thread.

Python collects reference cycles in whichever thread happens to allocate when a generation's threshold is crossed:
often a worker thread (training, sampling, repairing a tune). When the garbage includes a Qt object (a widget in a
cycle with a lambda connected to one of its signals, say), Shiboken destroys that object in the worker thread, and
Qt objects may only be destroyed in their own thread: the process dies with a segmentation fault "Garbage-collecting"
in an unrelated line (CI saw it in ``fractions.py`` under ``repair_tune``).

``collect_in_gui_thread(app)`` turns automatic collection off and runs it from a timer in the GUI thread instead,
with the interpreter's own thresholds, so cycles are still freed within a fraction of a second and reference counting
(which frees nearly everything) is untouched. A full collection walks every object (about 250,000 once torch and
music21 are loaded: about 100 ms), so it follows the interpreter's own rule (only when the objects that reached the
oldest generation since the last full collection are a quarter of those it kept) and is considered at most every
few seconds. Calling it again does nothing.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QCoreApplication, QObject, QTimer

CHECK_INTERVAL_MS = 100
FULL_COLLECTION_MIN_GAP_S = 5.0

_collector: "_GuiThreadCollector | None" = None


class _GuiThreadCollector(QObject):
    """Owns the timer; each tick collects the oldest generation that is due, if any."""

    def __init__(self, app: QCoreApplication):
        super().__init__(app)
        self.collections = [0, 0, 0]
        self._last_full = time.monotonic()
        self._long_lived = len(gc.get_objects(generation=2))
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.collect_if_due)
        self._timer.start()

    def collect_if_due(self) -> int | None:
        """Collects the oldest generation that is due (like the interpreter would); returns it, or None."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] <= thresholds[0]:
            return None
        generation = 0
        if counts[1] > thresholds[1]:
            generation = 1
            if counts[2] > thresholds[2] and self._full_collection_pays():
                generation = 2
        gc.collect(generation)
        self.collections[generation] += 1
        if generation == 2:
            self._long_lived = len(gc.get_objects(generation=2))
        return generation

    def _full_collection_pays(self) -> bool:
        """At most every FULL_COLLECTION_MIN_GAP_S, and when the oldest generation has grown by a quarter."""
        if time.monotonic() - self._last_full < FULL_COLLECTION_MIN_GAP_S:
            return False
        self._last_full = time.monotonic()  # counting costs about 10 ms: not on every tick either
        return len(gc.get_objects(generation=2)) - self._long_lived > self._long_lived / 4


def collect_in_gui_thread(app: QCoreApplication | None = None) -> bool:
    """Moves automatic garbage collection to the GUI thread of ``app`` (the running application by default).

    Call it from the GUI thread once the application exists, before any worker thread starts. Returns False when
    there is no application yet (nothing changed)."""
    global _collector
    if _collector is not None:
        return True
    app = app or QCoreApplication.instance()
    if app is None:
        return False
    _collector = _GuiThreadCollector(app)
    gc.disable()
    return True


def gui_thread_collector() -> _GuiThreadCollector | None:
    """The installed collector (for tests and benchmarks), or None."""
    return _collector
