"""Two real gloo processes (no torchrun needed) agree through ``DistributedContext``: the logged mean is the mean over
ranks, a stop on one rank stops both, and DDP keeps the model's weights identical on both after a few steps."""

from __future__ import annotations

import textwrap

import pytest

from support import run_two_ranks

CHILD = textwrap.dedent("""
    import hashlib, torch
    from torch.nn.parallel import DistributedDataParallel
    from studio.core.network.distributed import context_from_environment
    from studio.core.configs import ModelConfig
    from studio.core.network.model import CharLSTM
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


TRAINER_CHILD = textwrap.dedent("""
    import hashlib, sys, torch
    import studio.core.learning.training as training
    from studio.core.configs import preset
    from studio.core.corpus import load_corpus
    import studio.core.learning.training_data as training_data
    model_config, train_config = preset("tiny")
    train_config.context = "window"  # the random windows each rank draws (stream rows: test_distributed_streams.py)
    trainer = training.Trainer.new(load_corpus(sys.argv[1]), model_config, train_config)  # the real Trainer, no store
    drawn = []
    windows_at = training_data.windows_at
    training_data.windows_at = (lambda data, starts, window:
                                drawn.append(starts.tolist()) or windows_at(data, starts, window))
    for _ in range(3):
        trainer.train_step()
    weights = b"".join(p.detach().numpy().tobytes() for p in trainer.model.parameters())
    print("windows", hashlib.sha256(repr(drawn).encode()).hexdigest())
    print("weights", hashlib.sha256(weights).hexdigest())
""")


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    """Both children's lines from one pair of gloo processes (each process pays for torch once): the context and a
    bare DDP model, then the real Trainer on O'Neill's first file (its lines prefixed ``trainer_``)."""
    from support import oneills_first_file

    script = tmp_path_factory.mktemp("ranks") / "child.py"
    trainer = TRAINER_CHILD.replace('print("windows"', 'print("trainer_windows"').replace(
        'print("weights"', 'print("trainer_weights"')
    script.write_text(CHILD + trainer)
    return run_two_ranks(script, oneills_first_file())


def test_two_gloo_processes_agree_on_means_stops_and_weights(two_ranks):
    outputs = two_ranks
    assert [o["main"] for o in outputs] == ["True", "False"] and {o["world"] for o in outputs} == {"2"}
    assert [float(o["mean"]) for o in outputs] == [3.0, 3.0]
    assert [o["stop_if_rank1_asks"] for o in outputs] == ["True", "True"]
    assert [o["stop_if_nobody_asks"] for o in outputs] == ["False", "False"]
    assert outputs[0]["weights"] == outputs[1]["weights"]  # different data per rank, averaged gradients


def test_the_trainer_draws_its_own_windows_per_rank_and_keeps_the_weights_identical(two_ranks):
    """The real Trainer under two ranks: each rank trains on its own windows (the per-rank seed offset: without it
    both would draw the same ones), and DDP averages the gradients so the weights stay identical on both (without
    the DDP wrapper each rank would follow its own windows)."""
    outputs = two_ranks
    assert outputs[0]["trainer_windows"] != outputs[1]["trainer_windows"]
    assert outputs[0]["trainer_weights"] == outputs[1]["trainer_weights"]
