"""Checking, engraving and MIDI of one tune, off the GUI thread: ``prepare_tune`` and the ``PreviewService``.

``prepare_tune`` is plain Python: it validates the ABC (``studio.core.abc.validate``), engraves it with verovio in
the crash-safe child process (``studio.core.engraving.notation``), arranges it for playback (``studio.core.sound.arrangement``; the
playback bar arranges it again whenever its options change) and places the engraved notes at their written bars
(``studio.core.engraving.score_cursor``). Text the arrangement refuses gets verovio's or music21's MIDI instead
(``studio.core.sound.midi``). It never raises: whatever the text holds, the result says what worked and why the rest did
not.

``PreviewService`` runs it on one long-lived thread (``studio.ui.widgets.threads``; ``stop_all`` stops it too). Requests carry an increasing number; a request that is no
longer the newest when its turn comes is skipped, so fast typing never queues stale renders.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import mido
from PySide6.QtCore import QObject, Signal, Slot

from studio.core.abc.validate import ValidationReport, validate_tune
from studio.core.engraving.notation import MAX_ENGRAVED_CHARS, Rendering, shared_renderer
from studio.core.engraving.score_cursor import engraved_positions
from studio.core.sound.arrangement import PlaybackOptions, arrange
from studio.ui.widgets.threads import keep_running, let_go, move_to_new_thread


@dataclass
class TunePreview:
    """Everything the panel shows and plays for one text. ``midi`` is None when ``midi_error`` says why."""

    text: str
    report: ValidationReport | None = None
    rendering: Rendering = field(default_factory=Rendering)
    midi: mido.MidiFile | None = None
    midi_error: str = ""
    tempo_qpm: float = 120.0
    program: int = 40
    arranged: bool = False  # True: ``midi`` is the arrangement and the playback options apply
    arrangement_error: str = ""
    positions: dict = field(default_factory=dict)  # engraved ids by (written bar, onset): see score_cursor

    @property
    def engraved(self) -> bool:
        return self.rendering.ok and bool(self.rendering.pages)


def prepare_tune(text: str, program: int = 40) -> TunePreview:
    """Validates, engraves and converts one tune to MIDI; never raises."""
    from studio.core.sound.midi import abc_to_midi, tune_meta

    preview = TunePreview(text=text, program=program)
    try:
        preview.report = validate_tune(text)
    except Exception as exc:  # the checker must not be what breaks the window
        preview.report = None
        preview.midi_error = f"The ABC checker failed: {exc}"
    if len(text) > MAX_ENGRAVED_CHARS:
        reason = f"This text is too long to engrave ({len(text):,} characters; the limit is {MAX_ENGRAVED_CHARS:,})."
        preview.rendering = Rendering(error=reason)
        preview.midi_error = reason
        return preview
    renderer = shared_renderer()
    preview.rendering = renderer.render(text)
    try:
        arrangement = arrange(text, PlaybackOptions(melody_program=program))
    except Exception as exc:  # ArrangementError, or a bug: either way the fallback below still plays the tune
        preview.arrangement_error = str(exc)
    else:
        preview.arranged, preview.tempo_qpm, preview.midi = True, arrangement.tempo_qpm, arrangement.to_midi()
        if preview.engraved:
            preview.positions = engraved_positions(preview.rendering.timemap)
        return preview
    # a tune verovio cannot engrave still gets its MIDI: abc_to_midi then reads it with music21 instead
    try:
        preview.tempo_qpm = tune_meta(text).tempo_qpm
        preview.midi = abc_to_midi(text, program=program, renderer=renderer, rendering=preview.rendering)
    except Exception as exc:
        preview.midi, preview.midi_error = None, str(exc)
    return preview


class PreviewService(QObject):
    """Prepares tunes on its own long-lived thread. ``request(text)`` returns a number; ``succeeded(number,
    TunePreview)`` comes back for the newest request (older ones still pending are skipped)."""

    succeeded = Signal(int, object)
    _requested = Signal(int, str, int)

    def __init__(self, parent=None):
        super().__init__()
        self.owner = parent  # for readability only: the service is stopped by ``shutdown`` or ``threads.stop_all``
        self._latest = 0
        self._lock = threading.Lock()
        self._worker = _PreviewWorker(self)
        self._thread = move_to_new_thread(self._worker, self._on_thread_finished)
        self._requested.connect(self._worker.prepare)
        self._worker.succeeded.connect(self.succeeded)
        keep_running(self)
        self._thread.start()

    def request(self, text: str, program: int = 40) -> int:
        with self._lock:
            self._latest += 1
            number = self._latest
        self._requested.emit(number, text, program)
        return number

    def is_latest(self, number: int) -> bool:
        with self._lock:
            return number == self._latest

    def cancel(self) -> None:
        """Everything pending is now stale, and the thread ends after the render in progress."""
        with self._lock:
            self._latest += 1
        if self._thread is not None:
            self._thread.quit()

    def wait(self, milliseconds: int = 15_000) -> bool:
        return self._thread.wait(milliseconds) if self._thread is not None else True

    def shutdown(self) -> None:
        """Stops the thread (waits for a render in progress, at most the renderer's timeout)."""
        self.cancel()
        self.wait(15_000)

    @Slot()
    def _on_thread_finished(self) -> None:
        self._thread = None  # the thread object is deleted next
        let_go(self)


class _PreviewWorker(QObject):
    succeeded = Signal(int, object)

    def __init__(self, service: PreviewService):
        super().__init__()
        self._service = service

    @Slot(int, str, int)
    def prepare(self, number: int, text: str, program: int) -> None:
        if not self._service.is_latest(number):
            return
        self.succeeded.emit(number, prepare_tune(text, program))
