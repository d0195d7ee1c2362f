"""Precision ``auto`` decided by measurement: a few training steps in fp32 and under bf16 autocast, timed, and one
batch's gradients in both compared.

:func:`measure_steps` builds the run's network (its embedding, hidden size, layers and vocabulary) with Adam and
takes :func:`studio.core.learning.training_step.optimisation_step` on random characters at the run's batch size and
sequence length, with the torch threads set now: one warm-up step of each precision (allocations, oneDNN's kernels),
then turns of one step each (so the machine's noise hits both alike), at least ``min_rounds`` and more while the
time budget lasts (a large network's steps take a second or more each and stop at the minimum; a small one's take
milliseconds, where one preempted step would decide, and get up to ``max_rounds``). Each precision's fastest step
counts (other work on the machine only adds time). On one thread a step is timed in CPU time (:func:`step_clock`):
beside another job, a step of the lab's network took 3.3-4.7 s of wall time but 0.64-0.93 s of CPU time. Before any
step, :func:`gradient_error` compares the gradients of the same batch in both precisions: fast bf16 kernels can be
inaccurate ones (AMX's LSTM kernels, :data:`studio.core.network.precision.MAX_GRADIENT_ERROR`).

:func:`auto_precision` answers for a run: from the cache (:mod:`studio.core.network.precision`) when this machine
measured these shapes before, else by measuring and keeping the answer. Any failure means fp32 with the reason. The
probe leaves torch's random state as it found it, so a run's weights and batches do not depend on it.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import torch

from studio.core.configs import ModelConfig, TrainConfig
from studio.core.learning.training_step import forward_loss, optimisation_step
from studio.core.abc.bar_clock import clock_code_count
from studio.core.network.model import CharLSTM
from studio.core.network.precision import AutoPrecision, ProbeKey, decide, failed, lookup, remember

#: How long the timed turns may go on after the minimum (seconds; the warm-up and ``min_rounds`` always run).
BUDGET_SECONDS = 2.0


def step_clock(device: torch.device) -> Callable[[], float]:
    """What a step is timed with: on a CPU with one torch thread, the process's CPU time, to which the time the
    process waits for a core (another job on a busy machine) does not add; else the wall clock (CPU time would count
    threads that wait for each other, and a GPU's work)."""
    return time.process_time if device.type == "cpu" and torch.get_num_threads() == 1 else time.perf_counter


def gradient_error(model: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """How far the gradients of one batch's loss under bf16 autocast are from fp32's: the largest relative error
    ``|g_bf16 - g_fp32| / |g_fp32|`` over the model's weight tensors. Leaves no gradient behind."""
    gradients = {}
    for bf16 in (False, True):
        model.zero_grad(set_to_none=True)
        forward_loss(model, inputs, targets, None, bf16=bf16)[0].backward()
        gradients[bf16] = [p.grad.detach().float().clone() for p in model.parameters() if p.grad is not None]
    model.zero_grad(set_to_none=True)
    return max(float((b - f).norm() / f.norm().clamp_min(1e-12)) for f, b in zip(gradients[False], gradients[True]))


def measure_steps(model_config: ModelConfig, train_config: TrainConfig, device: torch.device | str = "cpu", *,
                  min_rounds: int = 2, max_rounds: int = 10,
                  budget_seconds: float = BUDGET_SECONDS) -> tuple[float, float, float]:
    """Milliseconds per training step at these shapes, (fp32, bf16), each the fastest of its timed steps, and
    :func:`gradient_error` at the network's first weights. ``model_config.vocab_size`` must be set. Raises whatever
    torch raises (e.g. bf16 autocast unsupported)."""
    device = torch.device(device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = CharLSTM(model_config).to(device)
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=train_config.learning_rate)
        shape = (train_config.batch_size, train_config.seq_length)
        inputs = torch.randint(0, model_config.vocab_size, shape, device=device)
        if model_config.clock != "none":
            clock_inputs = torch.randint(0, clock_code_count(model_config.clock), shape, device=device)
            inputs = torch.stack([inputs, clock_inputs], dim=-1)
        targets = torch.randint(0, model_config.vocab_size, shape, device=device)
        error = gradient_error(model, inputs, targets)
        clock = step_clock(device)

        def step(bf16: bool) -> float:
            began = clock()
            loss, _ = optimisation_step(model, optimizer, inputs, targets, None, bf16=bf16,
                                        grad_clip=train_config.grad_clip, learning_rate=train_config.learning_rate)
            loss.detach().item()  # waits for the step (on a GPU too)
            return (clock() - began) * 1000

        step(False), step(True)  # warm-up
        times: dict[bool, list[float]] = {False: [], True: []}
        began = time.perf_counter()
        for turn in range(max_rounds):
            if turn >= min_rounds and time.perf_counter() - began > budget_seconds:
                break
            for bf16 in (False, True):
                times[bf16].append(step(bf16))
    return min(times[False]), min(times[True]), error


def auto_precision(device: torch.device, model_config: ModelConfig, train_config: TrainConfig,
                   threads: int | None = None, path: Path | None = None,
                   measure: Callable[[], tuple[float, float]] | None = None) -> AutoPrecision:
    """What ``auto`` trains in on ``device`` at these shapes (``model_config.vocab_size`` set) with ``threads``
    torch threads (default: torch's current number). On a CPU: the cached measurement, or a new one (``measure()``
    -> (fp32 ms, bf16 ms), default :func:`measure_steps`) that is then cached. CUDA: bf16 where the GPU supports it.
    Never raises: a failure is fp32 with its reason."""
    if device.type == "cuda":
        supported = torch.cuda.is_bf16_supported()
        return AutoPrecision("bf16" if supported else "fp32",
                             "a CUDA GPU with bf16" if supported else "a CUDA GPU without bf16")
    if device.type != "cpu":
        return failed(f"bf16 autocast is not used on {device.type}")
    key = ProbeKey.here(model_config, train_config, torch.get_num_threads() if threads is None else threads)
    known = lookup(key, path)
    if known is not None:
        return known
    try:
        measured = (measure or (lambda: measure_steps(model_config, train_config, device)))()
    except Exception as exc:  # noqa: BLE001 - bf16 unsupported, out of memory...: fp32, and why
        return failed(f"measuring the step in fp32 and bf16 failed: {type(exc).__name__}: {exc}")
    result = decide(*measured)
    try:
        remember(key, result, path)
    except OSError as exc:
        return replace(result, reason=f"{result.reason} (not cached: {exc})")
    return result
