"""Data-parallel training under ``torchrun``: which process we are and how the processes agree.

``python -m studio train`` runs unchanged under ``torchrun --nproc_per_node N -m studio train ...``: each process
trains on its own random windows, DistributedDataParallel averages the gradients (gloo on CPUs, nccl on GPUs), and
rank 0 alone writes the run folder. Without torchrun's environment everything here is a no-op. The process leaves
the group when it exits: a gloo group left to the interpreter's teardown can abort the process after its work is done
("terminate called without an active exception", pytorch/pytorch#190489).
"""

from __future__ import annotations

import atexit
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistributedContext:
    """This process's place in a data-parallel job (rank 0 of 1 when not distributed)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def mean(self, value: float) -> float:
        """The average of ``value`` over all processes (the value itself when not distributed)."""
        if not self.enabled:
            return value
        tensor = torch.tensor([value], dtype=torch.float64)
        dist.all_reduce(tensor)
        return float(tensor) / self.world_size

    def gather(self, value) -> list:
        """Every process's ``value`` (any picklable object, CPU tensors included) in rank order, on every process
        (``[value]`` when not distributed): how rank 0 learns each rank's data position for a checkpoint."""
        if not self.enabled:
            return [value]
        out = [None] * self.world_size
        dist.all_gather_object(out, value)
        return out

    def any(self, flag: bool) -> bool:
        """True on every process when ``flag`` is true on any (so a stop on rank 0 stops all)."""
        if not self.enabled:
            return flag
        tensor = torch.tensor([1.0 if flag else 0.0])
        dist.all_reduce(tensor)
        return bool(tensor.item() > 0)


def context_from_environment() -> DistributedContext:
    """Reads torchrun's variables and joins the process group once (gloo on CPU, nccl with CUDA)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistributedContext()
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend=backend)
        atexit.register(_leave_group)
    return DistributedContext(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def _leave_group() -> None:
    """Destroys the process group at exit, while the interpreter is still whole (see the module's docstring)."""
    if dist.is_initialized():
        dist.destroy_process_group()
