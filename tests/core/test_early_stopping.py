"""Early stopping (studio.core.learning.early_stopping, honoured by the Trainer): a run ends once its held-out loss
has not improved for ``early_stop_patience`` validations, keeps its best checkpoint, and counts on when resumed."""

from __future__ import annotations

import textwrap

import pytest

from studio.core.configs import preset
from studio.core.corpus import builtin_corpus_files, load_corpus
from studio.core.learning.early_stopping import STOPPED_EARLY, EarlyStopping
from studio.core.learning.fine_tuning import load_base
from studio.core.learning.training import Trainer
from studio.core.learning.training_listener import TrainingListener
from studio.core.network.checkpoints import load_checkpoint
from studio.core.runs import RunStore
from support import run_two_ranks, studio_env


@pytest.fixture(scope="module")
def fife():
    """A small real collection: music21's 52 American fife tunes."""
    return load_corpus(next(f for f in builtin_corpus_files("miscFolk") if "fife" in str(f)))


def _trainer(trained_run, fife, store, context: str, patience: int, listener=None) -> Trainer:
    """The tiny session run fine-tuned on the fife tunes at a high learning rate, validated every step."""
    model_config, train_config = preset("fine-tune")
    train_config.iterations, train_config.learning_rate, train_config.context = 40, 3e-2, context
    train_config.validation_interval, train_config.checkpoint_interval = 1, 5
    train_config.early_stop_patience, train_config.precision = patience, "fp32"
    return Trainer.new(fife, model_config, train_config, store, "fife", listener, base=load_base(trained_run.path))


def _expected_stop(validations: list[float], patience: int) -> int | None:
    """The 1-based index of the validation where the rule must end the run (None: never)."""
    best, since = float("inf"), 0
    for index, value in enumerate(validations, start=1):
        best, since = (value, 0) if value < best else (best, since + 1)
        if since >= patience:
            return index
    return None


@pytest.mark.parametrize("context", ["stream", "window"])
def test_a_run_stops_when_the_held_out_loss_stops_improving_and_keeps_its_best(trained_run, fife, tmp_path, context):
    patience = 2
    result = _trainer(trained_run, fife, RunStore(tmp_path / "runs"), context, patience).run()
    run = result.run
    validations = [p for p in run.loss_log() if p.kind == "validation"]
    stop = _expected_stop([p.value for p in validations], patience)
    assert stop is not None, "the high learning rate was meant to make the held-out loss stall"
    assert result.reason == STOPPED_EARLY and result.steps_done == validations[stop - 1].step == len(validations)
    best = min(validations, key=lambda p: p.value)
    assert load_checkpoint(run.best_checkpoint).step == best.step < result.steps_done  # the best is what is kept
    meta = run.meta()
    assert meta["status"] == STOPPED_EARLY and meta["train_config"]["early_stop_patience"] == patience
    assert f"did not improve for {patience} validations in a row" in meta["early_stop"]
    assert f"at step {best.step:,}" in meta["early_stop"] and "best checkpoint is kept" in meta["early_stop"]


def test_without_patience_the_same_run_trains_to_its_last_step(trained_run, fife, tmp_path):
    result = _trainer(trained_run, fife, RunStore(tmp_path / "runs"), "stream", 0).run()
    assert result.reason == "finished" and result.steps_done == 40 and result.early_stop is None


def test_a_resumed_run_keeps_counting(trained_run, fife, tmp_path):
    patience = 2
    straight = _trainer(trained_run, fife, RunStore(tmp_path / "a"), "stream", patience).run()
    assert straight.reason == STOPPED_EARLY
    stop_at = straight.steps_done - 1  # its validation is the rule's patience minus one since the best

    class StopThere(TrainingListener):
        def on_step(self, step, loss, elapsed, steps_per_second):
            if step == stop_at:
                interrupted.stop()

    interrupted = _trainer(trained_run, fife, RunStore(tmp_path / "b"), "stream", patience, StopThere())
    assert interrupted.run().reason == "stopped"
    assert load_checkpoint(interrupted.run_folder.last_checkpoint).metrics["validations_since_best"] == patience - 1
    resumed = Trainer.resume(interrupted.run_folder).run()  # counting from zero again would train on past the stop
    assert resumed.reason == STOPPED_EARLY and resumed.steps_done == straight.steps_done
    curves = [[(p.step, round(p.value, 5)) for p in run.loss_log() if p.kind == "validation"]
              for run in (straight.run, resumed.run)]
    assert curves[0] == curves[1]


def test_the_rule_counts_validations_since_the_best():
    rule = EarlyStopping(2)
    for step, improved in ((10, True), (20, False), (30, True), (40, False)):
        rule.observe(step, improved)
        assert not rule.exhausted
    rule.observe(50, False)
    assert rule.exhausted and rule.best_step == 30
    assert EarlyStopping.from_metrics(2, rule.to_metrics()) == rule
    assert not EarlyStopping.from_metrics(0, rule.to_metrics()).exhausted  # 0: never
    assert EarlyStopping.from_metrics(2, {"loss": 1.0}).since_best == 0  # a checkpoint from before the rule


DDP_CHILD = textwrap.dedent("""
    import sys, torch
    torch.set_num_threads(1)
    from studio.core.configs import preset
    from studio.core.corpus import load_corpus
    from studio.core.learning.training import Trainer
    Trainer.validation_loss = lambda self: 5.0  # never better than the first: the rule ends the run at step 4
    model_config, train_config = preset("tiny")
    train_config.iterations, train_config.validation_interval, train_config.checkpoint_interval = 30, 2, 1000
    train_config.early_stop_patience = 1
    result = Trainer.new(load_corpus(sys.argv[1]), model_config, train_config).run()
    print("reason", result.reason)
    print("why", result.early_stop)
""")


def test_under_ddp_every_rank_says_why_as_rank_0_counted(tmp_path):
    """Only rank 0 validates: the other rank's own count stays 0, so it reports rank 0's reason."""
    corpus = next(f for f in builtin_corpus_files("miscFolk") if "fife" in str(f))
    script = tmp_path / "child.py"
    script.write_text(DDP_CHILD)
    env = studio_env(tmp_path)
    env.pop("WORLD_SIZE", None)
    rank0, rank1 = run_two_ranks(script, str(corpus), env=env)
    assert rank0["reason"] == rank1["reason"] == STOPPED_EARLY
    assert rank0["why"] == rank1["why"] and "for 1 validation in a row" in rank0["why"]
