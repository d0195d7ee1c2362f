"""Two real gloo processes (no torchrun needed) agree through ``DistributedContext``: the logged mean is the mean over
ranks, a stop on one rank stops both, and DDP keeps the model's weights identical on both after a few steps."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import hashlib, torch
    from torch.nn.parallel import DistributedDataParallel
    from studio.core.distributed import context_from_environment
    from studio.core.model import CharLSTM, ModelConfig
    context = context_from_environment()
    rank = context.rank
    print("world", context.world_size)
    print("main", context.is_main)
    print("mean", context.mean(float(rank + 1) * 2.0))          # 2 and 4: 3 on both
    print("stop_if_rank1_asks", context.any(rank == 1))          # only rank 1 asks: both stop
    print("stop_if_nobody_asks", context.any(False))
    torch.manual_seed(0)                                         # same start, as the Trainer does
    model = DistributedDataParallel(CharLSTM(ModelConfig(vocab_size=20, embedding_dim=8, hidden_size=16)))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    data = torch.Generator().manual_seed(100 + rank)             # each rank its own windows
    for _ in range(4):
        codes = torch.randint(0, 20, (3, 12), generator=data)
        logits, _ = model(codes[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 20), codes[:, 1:].reshape(-1))
        optimizer.zero_grad(); loss.backward(); optimizer.step()
    weights = b"".join(p.detach().numpy().tobytes() for p in model.module.parameters())
    print("weights", hashlib.sha256(weights).hexdigest())
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_gloo_processes_agree_on_means_stops_and_weights(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    port = free_port()
    processes = []
    for rank in range(2):
        env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), OMP_NUM_THREADS="1", RANK=str(rank), LOCAL_RANK=str(rank),
                   WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        processes.append(subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True))
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-2000:]
        outputs.append(dict(line.split(" ", 1) for line in out.splitlines()))
    assert [o["main"] for o in outputs] == ["True", "False"] and {o["world"] for o in outputs} == {"2"}
    assert [float(o["mean"]) for o in outputs] == [3.0, 3.0]
    assert [o["stop_if_rank1_asks"] for o in outputs] == ["True", "True"]
    assert [o["stop_if_nobody_asks"] for o in outputs] == ["False", "False"]
    assert outputs[0]["weights"] == outputs[1]["weights"]  # different data per rank, averaged gradients
