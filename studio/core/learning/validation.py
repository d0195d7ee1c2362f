"""The trainer's held-out loss, by ``TrainConfig.context``.

A stream run: the loss per unit of a fixed subset of the validation tunes read whole
(:func:`studio.core.learning.tune_streams.validation_tunes`; :mod:`studio.core.quality.scoring`, method ``tunes``), what
sampling faces. A window run: the mean loss over fixed, evenly spaced windows of the validation text (method
``windows``), as the lab measured it.
"""

from __future__ import annotations

import torch

from studio.core.configs import TrainConfig
from studio.core.learning.training_step import autocast
from studio.core.learning.tune_streams import validation_tunes
from studio.core.network.network_inputs import text_inputs
from studio.core.quality.scoring import score_tunes, window_loss


class HeldOut:
    """What a run validates on (its ``split``'s validation tunes) and how (its ``config``); ``window`` is the length of
    its training windows and ``clock`` its network's (``ModelConfig.clock``)."""

    def __init__(self, split, vocabulary, config: TrainConfig, window: int, clock: str):
        self.vocabulary, self.window, self.config = vocabulary, window, config
        self.data = self.tunes = None
        if config.context == "stream":
            self.tunes = validation_tunes(split.validation, config.validation_windows * window)
        elif split.validation:
            codes = text_inputs(split.validation_text, vocabulary, clock)
            self.data = torch.tensor(codes, dtype=torch.long)

    def loss(self, model, device: torch.device, bf16: bool) -> float | None:
        """The held-out loss in nats per unit; None without validation tunes."""
        if self.tunes is not None:
            if not self.tunes:
                return None
            scores, _ = score_tunes(model, self.vocabulary, self.tunes)
            return sum(s.nats for s in scores) / max(sum(s.characters for s in scores), 1)
        if self.data is None or len(self.data) < 3:
            return None
        total, n = window_loss(model, self.data, self.window, self.config.validation_windows, autocast(device, bf16))
        return total / n
