"""How a training run reports: the hooks a Trainer calls while it trains, and the result it ends with (no torch
here: UI adapters and experiments subclass the listener freely)."""

from __future__ import annotations

from dataclasses import dataclass

from studio.core.runs import Run


@dataclass
class TrainingResult:
    """How a run ended: ``reason`` is finished, stopped, stopped early (``early_stop`` says why:
    :mod:`studio.core.learning.early_stopping`) or failed (then ``error`` says why). A run whose last state could not
    be written (a full disk) is never finished: ``stop_reason`` says why and what to do, and ``unsaved`` holds that
    state (a ``Checkpoint`` in memory) so it can still be saved elsewhere."""

    run: Run | None
    reason: str
    steps_done: int
    final_loss: float | None
    best_validation_loss: float | None
    wall_time: float
    error: str | None = None
    stop_reason: str | None = None
    unsaved: object | None = None
    early_stop: str | None = None


class TrainingListener:
    """Hooks the Trainer calls from its own thread. Override what you need; the defaults do nothing."""

    def on_step(self, step: int, loss: float, elapsed: float, steps_per_second: float) -> None: ...
    def on_validation(self, step: int, loss: float) -> None: ...
    def on_checkpoint(self, step: int, path: str) -> None: ...
    def on_state_changed(self, state: str) -> None: ...
    def on_warning(self, message: str) -> None: ...
    def on_finished(self, result: TrainingResult) -> None: ...
