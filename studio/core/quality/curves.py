"""The shape of a training loss curve in a few numbers, for comparing runs (experiments and their report).

Curve statistics (:func:`curve_stats`), from the training loss log:

- spike: the largest positive jump of the loss above the median of the ``window`` steps before it;
- oscillation: the standard deviation of the loss minus its centred moving average (``window`` steps), over the
  last third of training;
- final loss: the mean training loss of the last 50 steps; best validation loss; wall time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.core.runs import LossPoint

#: Steps over which the spike median and the oscillation smoothing are taken.
CURVE_WINDOW = 25
FINAL_LOSS_STEPS = 50


@dataclass
class CurveStats:
    """Shape of a training loss curve (see the module docstring for the definitions)."""

    steps: int
    final_loss: float | None
    best_validation_loss: float | None
    spike_step: int | None
    spike_height: float
    oscillation: float
    wall_time: float
    window: int = CURVE_WINDOW


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    return np.convolve(values, np.ones(window) / window, mode="valid")


def curve_stats(points: list[LossPoint], window: int = CURVE_WINDOW) -> CurveStats:
    """Spike, oscillation, final and best losses of a loss log (train points; validation for the best)."""
    train = [p for p in points if p.kind == "train"]
    validation = [p.value for p in points if p.kind == "validation"]
    steps = np.array([p.step for p in train])
    loss = np.array([p.value for p in train], dtype=float)
    spike_step, spike_height = None, 0.0
    lookback = min(window, max(3, len(loss) // 4))
    if len(loss) > lookback:
        medians = np.array([np.median(loss[i - lookback:i]) for i in range(lookback, len(loss))])
        jumps = loss[lookback:] - medians
        best = int(np.argmax(jumps))
        if jumps[best] > 0:
            spike_step, spike_height = int(steps[lookback + best]), float(jumps[best])
    tail = loss[len(loss) - len(loss) // 3:] if len(loss) >= 3 else loss
    smoothing = min(window, len(tail))
    oscillation = 0.0
    if smoothing >= 3:
        smooth = _moving_average(tail, smoothing)
        offset = (smoothing - 1) // 2
        oscillation = float(np.std(tail[offset:offset + len(smooth)] - smooth))
    return CurveStats(
        steps=int(steps[-1]) if len(steps) else 0,
        final_loss=float(np.mean(loss[-FINAL_LOSS_STEPS:])) if len(loss) else None,
        best_validation_loss=min(validation) if validation else None,
        spike_step=spike_step,
        spike_height=spike_height,
        oscillation=oscillation,
        wall_time=float(train[-1].elapsed) if train else 0.0,
        window=lookback,
    )
