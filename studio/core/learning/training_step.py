"""One optimisation step of the character LSTM: forward (under bf16 autocast or not), loss, backward, clip, Adam.

The Trainer takes its steps with it, and precision ``auto``'s probe (:mod:`studio.core.network.precision_probe`) times the
same step in both precisions, so what the probe measures is what training will do.
"""

from __future__ import annotations

import torch
from torch import nn


def autocast(device: torch.device, bf16: bool):
    """bf16 autocast on ``device`` when ``bf16``, else a context that changes nothing."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)


def forward_loss(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, state, *, bf16: bool):
    """The loss of ``inputs`` -> ``targets`` (batch, time) read from ``state`` (None: a zero state), under bf16
    autocast or not: a tensor, nats per character, and the state the LSTM ended in (both attached to the graph)."""
    with autocast(inputs.device, bf16):
        logits, state = model(inputs, state)
        loss = nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1))
    return loss, state


def optimisation_step(model: nn.Module, optimizer: torch.optim.Optimizer, inputs: torch.Tensor,
                      targets: torch.Tensor, state, *, bf16: bool, grad_clip: float, learning_rate: float):
    """One step on ``inputs`` -> ``targets`` (batch, time) from ``state`` (None: a zero state); returns the loss
    (a tensor, nats per character) and the state the LSTM ended in (still attached to the graph)."""
    loss, state = forward_loss(model, inputs, targets, state, bf16=bf16)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip > 0:
        nn.utils.clip_grad_norm_([p for group in optimizer.param_groups for p in group["params"]], grad_clip)
    for group in optimizer.param_groups:
        group["lr"] = learning_rate
    optimizer.step()
    return loss, state
