"""``python -m studio train`` under torchrun: two CPU processes with gloo write one run, from rank 0."""

from __future__ import annotations

import os
import subprocess
import sys

from studio.core.runs import RunStore
from test_distributed_context import free_port  # a port nobody else uses, not a fixed one


def test_two_process_gloo_run_writes_one_run(tmp_path):
    env = dict(os.environ, ABC_STUDIO_HOME=str(tmp_path), OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()),
               "-m", "studio", "train", "--preset", "tiny", "--iterations", "20", "--name", "ddp"]
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    runs = RunStore(tmp_path / "runs").list()
    assert len(runs) == 1
    summary = runs[0].summary()
    assert summary["world_size"] == 2 and summary["status"] == "finished"
    steps = [p.step for p in runs[0].loss_log() if p.kind == "train"]
    assert steps == list(range(1, 21))
    assert runs[0].last_checkpoint.exists()
