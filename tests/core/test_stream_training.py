"""Stream-context training on real tunes: each step starts from the state the last one ended with, a stream run
validates on whole tunes (the ``score`` command's number), and runs from before contexts existed resume as window
runs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from studio.core.configs import TrainConfig
from studio.core.learning.training import Trainer
from studio.core.network.checkpoints import load_checkpoint
from studio.core.quality.scoring import score_corpus
from test_training import Recorder


class StatesSeen(nn.Module):
    """The model, noting the state each training forward call starts from."""

    def __init__(self, model):
        super().__init__()
        self.model, self.seen = model, []

    def forward(self, codes, state=None):
        self.seen.append(None if state is None else tuple(s.clone() for s in state))
        return self.model(codes, state)


def test_each_stream_step_starts_from_the_state_the_last_one_ended_with(oneills, tiny_configs):
    trainer = Trainer.new(oneills, *tiny_configs(3))
    assert trainer.config.context == "stream"  # the default for new runs
    trainer.forward_model = spy = StatesSeen(trainer.model)
    trainer.train_step()
    after_first = trainer.batches.carried
    trainer.train_step()
    assert spy.seen[0] is None  # a stream starts from a zero state
    assert after_first is not None and after_first[0].abs().sum() > 0
    assert all(torch.equal(seen, kept) for seen, kept in zip(spy.seen[1], after_first))
    assert not spy.seen[1][0].requires_grad  # detached: truncated backpropagation

    windows = Trainer.new(oneills, *tiny_configs(3, context="window"))
    windows.forward_model = spy = StatesSeen(windows.model)
    windows.train_step()
    windows.train_step()
    assert spy.seen == [None, None]


def test_a_stream_run_validates_on_whole_tunes_as_score_reads_them(oneills, store, tiny_configs):
    # a budget that holds every validation tune: the figure is then the score command's on the validation split
    model_config, train_config = tiny_configs(4, validation_windows=10_000, validation_interval=4)
    trainer = Trainer.new(oneills, model_config, train_config, store)
    assert len(trainer.held_out.tunes) == len(trainer.split.validation)
    result = trainer.run()
    scored = score_corpus(result.run.best_checkpoint, oneills, "validation", run=result.run)
    assert result.best_validation_loss == pytest.approx(scored.nats_per_char, rel=1e-5)
    # the default budget: a fixed subset, validation_windows * seq_length characters at most
    small = Trainer.new(oneills, *tiny_configs(4))
    assert 0 < sum(len(t.text) + 2 for t in small.held_out.tunes) <= 64 * 100


def test_runs_from_before_contexts_resume_as_window_runs(oneills, store, tiny_configs):
    assert TrainConfig.from_dict({}).context == "window" and TrainConfig().context == "stream"
    model_config, train_config = tiny_configs(12, context="window", checkpoint_interval=6)
    straight = Trainer.new(oneills, model_config, train_config)
    straight_losses = [straight.train_step() for _ in range(12)]

    holder = {}
    first = Recorder(on_step=lambda step: step == 6 and holder["trainer"].stop())
    holder["trainer"] = Trainer.new(oneills, model_config, train_config, store, listener=first)
    holder["trainer"].run()
    run = store.list()[0]
    # written as an older version wrote it: no context in the settings, no per-rank positions in the checkpoint
    payload = torch.load(run.last_checkpoint, weights_only=True)
    payload["train_config"].pop("context")
    payload["rank_states"] = None
    torch.save(payload, run.last_checkpoint)
    assert load_checkpoint(run.last_checkpoint).train_config.context == "window"  # typed, as it trained
    meta_config = dict(run.meta()["train_config"])
    meta_config.pop("context")
    run.update_meta(train_config=meta_config)

    second = Recorder()
    resumed = Trainer.resume(run, listener=second)
    assert resumed.config.context == "window" and resumed.batches.streams is None
    resumed.run()
    assert [second.losses[step] for step in range(7, 13)] == pytest.approx(straight_losses[6:], rel=1e-5)
