"""Training on real tunes: loss falls, same seed same curve, pause/stop within a step, resume continues the curve."""

from __future__ import annotations

import threading

import pytest

from studio.core.configs import TrainConfig, preset
from studio.core.learning.training import Trainer, TrainingError
from studio.core.learning.training_listener import TrainingListener


class Recorder(TrainingListener):
    def __init__(self, on_step=None):
        self.losses: dict[int, float] = {}
        self.validations: dict[int, float] = {}
        self.states: list[str] = []
        self.checkpoints: list[int] = []
        self._on_step = on_step

    def on_step(self, step, loss, elapsed, steps_per_second):
        self.losses[step] = loss
        if self._on_step:
            self._on_step(step)

    def on_validation(self, step, loss):
        self.validations[step] = loss

    def on_checkpoint(self, step, path):
        self.checkpoints.append(step)

    def on_state_changed(self, state):
        self.states.append(state)


def test_tiny_model_learns_on_real_tunes(trained_run):
    log = trained_run.loss_log()
    train = [p.value for p in log if p.kind == "train"]
    val = [p.value for p in log if p.kind == "validation"]
    assert len(train) == 150
    assert sum(train[-10:]) / 10 < sum(train[:10]) / 10 - 1.0
    assert val[-1] < val[0]
    assert trained_run.summary()["status"] == "finished"
    assert trained_run.last_checkpoint.exists() and trained_run.best_checkpoint.exists()


def test_same_seed_gives_the_same_curve(oneills, tiny_configs):
    curves = []
    for _ in range(2):
        recorder = Recorder()
        model_config, train_config = tiny_configs(12, seed=3)
        Trainer.new(oneills, model_config, train_config, None, listener=recorder).run()
        curves.append(recorder.losses)
    assert curves[0] == curves[1]
    model_config, train_config = tiny_configs(12, seed=4)
    other = Recorder()
    Trainer.new(oneills, model_config, train_config, None, listener=other).run()
    assert other.losses != curves[0]


def test_stop_takes_effect_within_one_step_and_keeps_the_run(oneills, store, tiny_configs):
    holder = {}
    recorder = Recorder(on_step=lambda step: step == 7 and holder["trainer"].stop())
    model_config, train_config = tiny_configs(500)
    trainer = holder["trainer"] = Trainer.new(oneills, model_config, train_config, store, listener=recorder)
    result = trainer.run()
    assert result.reason == "stopped" and result.steps_done == 7
    run = store.list()[0]
    assert run.summary()["status"] == "stopped"
    assert [p.step for p in run.loss_log() if p.kind == "train"] == list(range(1, 8))
    assert run.last_checkpoint.exists()


def test_pause_holds_and_resume_continues(oneills, tiny_configs):
    paused_at = threading.Event()
    holder = {}

    def on_step(step):
        if step == 3:
            holder["trainer"].pause()
            paused_at.set()

    recorder = Recorder(on_step=on_step)
    model_config, train_config = tiny_configs(6)
    trainer = holder["trainer"] = Trainer.new(oneills, model_config, train_config, None, listener=recorder)
    thread = threading.Thread(target=trainer.run)
    thread.start()
    assert paused_at.wait(30)
    thread.join(0.5)
    assert thread.is_alive() and trainer.step == 3 and trainer.paused
    trainer.resume_training()
    thread.join(30)
    assert not thread.is_alive() and trainer.step == 6
    assert recorder.states == ["running", "paused", "running", "finished"]


@pytest.mark.parametrize("schedule, context, dropout", [("constant", "window", 0.0), ("constant", "stream", 0.0),
                                                      ("cosine", "stream", 0.3)])
def test_resume_continues_the_same_loss_curve(oneills, store, tiny_configs, schedule, context, dropout):
    """Stream runs too: the checkpoint keeps the stream position, the carried LSTM state and the dropout draws."""
    # 12 steps, stopped at 7 (between checkpoints and validations): what resumes is the stop's own checkpoint, and two
    # validations (8, 12) and five steps come after it
    model_config, train_config = tiny_configs(12, checkpoint_interval=4, validation_interval=4,
                                              lr_schedule=schedule, context=context)
    model_config.dropout = dropout
    straight = Recorder()
    Trainer.new(oneills, model_config, train_config, None, listener=straight).run()

    holder = {}
    first = Recorder(on_step=lambda step: step == 7 and holder["trainer"].stop())
    trainer = holder["trainer"] = Trainer.new(oneills, model_config, train_config, store, listener=first)
    trainer.run()
    run = store.list()[0]
    assert run.summary()["steps_done"] == 7
    second = Recorder()
    resumed = Trainer.resume(run, listener=second)
    assert resumed.step == 7
    result = resumed.run()
    assert result.reason == "finished" and result.steps_done == 12
    for step in range(8, 13):
        assert second.losses[step] == pytest.approx(straight.losses[step], rel=1e-5, abs=1e-6)
    assert sorted(second.validations) == [8, 12]
    assert second.validations == pytest.approx({k: v for k, v in straight.validations.items() if k > 7})
    steps = [p.step for p in run.loss_log() if p.kind == "train"]
    assert steps == list(range(1, 13))


def test_cosine_schedule_falls_from_the_rate_to_nothing():
    config = TrainConfig(iterations=100, learning_rate=0.01, lr_schedule="cosine")
    rates = [config.learning_rate_at(step) for step in range(1, 101)]
    assert rates[0] == pytest.approx(0.01)
    assert rates[50] == pytest.approx(0.005)  # step 51: half way
    assert rates[-1] < 0.01 * 0.001 and all(a > b for a, b in zip(rates, rates[1:]))
    constant = TrainConfig(iterations=100, learning_rate=0.01)
    assert {constant.learning_rate_at(step) for step in (1, 50, 100)} == {0.01}
    assert TrainConfig(lr_schedule="linear").problems() == {"lr_schedule": "must be one of constant, cosine"}


def test_the_optimizer_follows_the_schedule(oneills, tiny_configs):
    model_config, train_config = tiny_configs(20, lr_schedule="cosine", learning_rate=0.01)
    trainer = Trainer.new(oneills, model_config, train_config)
    seen = []
    trainer.listener = Recorder(on_step=lambda step: seen.append(trainer.optimizer.param_groups[0]["lr"]))
    trainer.run()
    assert seen == pytest.approx([train_config.learning_rate_at(step) for step in range(1, 21)])
    assert seen[0] == pytest.approx(0.01) and seen[-1] < 1e-4


def test_invalid_configs_are_refused(oneills):
    model_config, train_config = preset("tiny")
    train_config.batch_size = 0
    with pytest.raises(TrainingError, match="batch_size must be between"):
        Trainer.new(oneills, model_config, train_config)
    assert TrainConfig(precision="fp64").problems() == {"precision": "must be one of auto, fp32, bf16"}


def test_presets_are_the_lab_and_its_controlled_variants():
    lab_model, lab = preset("lab")
    assert (lab_model.embedding_dim, lab_model.hidden_size, lab_model.num_layers) == (256, 1024, 1)
    assert (lab.iterations, lab.batch_size, lab.seq_length, lab.learning_rate) == (3000, 8, 100, 5e-3)
    # a controlled experiment changes one thing: each variant differs from the lab in exactly the setting it names
    lab_settings = {**lab_model.to_dict(), **lab.to_dict()}
    for name, changed in (("lab-batch4", {"batch_size": 4}), ("lab-seq200", {"seq_length": 200}),
                          ("lab-window", {"context": "window"})):
        model_config, train_config = preset(name)
        settings = {**model_config.to_dict(), **train_config.to_dict()}
        assert {k: v for k, v in settings.items() if lab_settings[k] != v} == changed, name


def test_auto_precision_is_the_default_measured_and_recorded_in_the_run(oneills, tiny_configs, tmp_path):
    from studio.core.network.precision import MARGIN
    from studio.core.runs import RunStore

    assert TrainConfig().precision == "auto" and preset("lab")[1].precision == "auto"
    model_config, train_config = tiny_configs(3)
    train_config.precision = "auto"
    store = RunStore(tmp_path / "runs")
    trainer = Trainer.new(oneills, model_config, train_config, store=store)
    trainer.run()
    measured = trainer.auto_precision
    used = "bf16" if measured.fp32_ms / measured.bf16_ms >= MARGIN else "fp32"
    assert measured.precision == used and trainer.use_bf16 == (used == "bf16")
    meta = trainer.run_folder.meta()
    assert meta["precision"] == used
    assert meta["precision_auto"]["fp32_ms"] == measured.fp32_ms and meta["precision_auto"]["precision"] == used
    again = Trainer.new(oneills, model_config, train_config, store=store)  # same machine and shapes: not measured
    assert again.auto_precision.cached and again.auto_precision.fp32_ms == measured.fp32_ms
    train_config.precision = "fp32"
    given = Trainer.new(oneills, model_config, train_config, store=store)
    given.run()
    assert given.auto_precision is None and given.run_folder.meta()["precision_auto"] is None
