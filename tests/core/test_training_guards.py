"""The training loop's guards, each checked by its effect: gradients are clipped to ``grad_clip``, and a run whose
loss turns NaN ends as failed with its reason (not as a finished run of NaN losses)."""

from __future__ import annotations

import pytest
import torch

from studio.core.configs import preset
from studio.core.corpus import load_corpus
from studio.core.learning.training import Trainer
from studio.core.learning.training_listener import TrainingListener
from support import oneills_first_file


@pytest.fixture(scope="module")
def small_corpus():
    return load_corpus(oneills_first_file())


def _gradient_norm(model) -> float:
    return float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()
                                                       if p.grad is not None])))


def test_each_step_clips_the_gradient_to_grad_clip(small_corpus):
    model_config, train_config = preset("tiny")
    train_config.grad_clip = 0.0  # first the unclipped norm, as the loss gives it
    unclipped = Trainer.new(small_corpus, model_config, train_config)
    unclipped.train_step()
    raw_norm = _gradient_norm(unclipped.model)
    assert raw_norm > 0.1

    train_config.grad_clip = raw_norm / 10
    clipped = Trainer.new(small_corpus, model_config, train_config)  # same seed: the same model and windows
    clipped.train_step()
    assert _gradient_norm(clipped.model) == pytest.approx(raw_norm / 10, rel=1e-3)  # the grads the step used


class _Poisoner(TrainingListener):
    """After step 2 the weights become NaN, as after an exploding step: the next loss is NaN."""

    def __init__(self, trainer_box: list):
        self.trainer_box = trainer_box
        self.states: list[str] = []

    def on_step(self, step, loss, elapsed, steps_per_second):
        if step == 2:
            with torch.no_grad():
                for parameter in self.trainer_box[0].model.parameters():
                    parameter.fill_(float("nan"))

    def on_state_changed(self, state):
        self.states.append(state)


def test_a_run_whose_loss_turns_nan_ends_as_failed_with_its_reason(small_corpus, tmp_path):
    from studio.core.runs import RunStore

    model_config, train_config = preset("tiny")
    train_config.iterations, train_config.checkpoint_interval = 10, 1
    box: list = []
    listener = _Poisoner(box)
    trainer = Trainer.new(small_corpus, model_config, train_config, RunStore(tmp_path / "runs"), "diverges",
                          listener=listener)
    box.append(trainer)
    result = trainer.run()
    assert result.reason == "failed"
    assert result.error == "the loss became NaN at step 3: try a lower learning rate"
    assert result.steps_done == 2 and listener.states[-1] == "failed"
    run = result.run
    assert run.summary()["status"] == "failed" and run.meta()["error"] == result.error
    assert [p.step for p in run.loss_log() if p.kind == "train"] == [1, 2]  # no NaN point in the log
    # the weights turned NaN after step 2: the last checkpoint stays step 1's, which resumes
    from studio.core.network.checkpoints import load_checkpoint

    last = load_checkpoint(run.last_checkpoint)
    assert last.step == 1
    assert all(bool(torch.isfinite(v.float()).all()) for v in last.model_state.values())
