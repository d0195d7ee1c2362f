"""Fine-tuning (studio.core.learning.fine_tuning): a run that starts from a trained model, on a small real collection."""

from __future__ import annotations

import pytest
import torch

from studio.core.configs import preset
from studio.core.corpus import builtin_corpus_files, load_corpus
from studio.core.learning.fine_tuning import SHIPPED_NAMES, load_base, parent_of
from studio.core.learning.training import Trainer, TrainingError
from studio.core.learning.training_listener import TrainingListener
from studio.core.network.network_inputs import text_inputs
from studio.core.paths import SHIPPED_MODEL
from studio.core.quality.scoring import score_corpus
from studio.core.reports.report_html import _run_as_arm, run_commands
from studio.core.runs import RunStore
from studio.core.text_levels import load_corpus_at_level
from support import oneills_first_file


def _misc_folk(part: str):
    return load_corpus(next(f for f in builtin_corpus_files("miscFolk") if part in str(f)))


@pytest.fixture(scope="module")
def fife():
    """Your own small collection: music21's American fife tunes (52 real tunes, none in O'Neill's)."""
    return _misc_folk("fife")


def _log_probs(model, vocabulary, text: str) -> torch.Tensor:
    codes = torch.tensor([text_inputs(text, vocabulary, model.config.clock)])
    with torch.no_grad():
        logits, _ = model(codes)
    return torch.log_softmax(logits[0], dim=-1)


def test_added_characters_leave_the_shipped_models_predictions_unchanged():
    if not SHIPPED_MODEL.exists():
        pytest.skip("models/default.pt is not in this checkout")
    base = load_base(SHIPPED_NAMES[0])
    text = load_corpus_at_level(oneills_first_file(), "canonical").tunes[0].text
    vocabulary, added = base.vocabulary_for("`@%\u00e9" + text)
    assert added == "%@`\u00e9" and set(base.checkpoint.vocabulary.chars) < set(vocabulary.chars)
    extended = base.checkpoint.build_model()
    extended_config = extended.config.__class__(**{**extended.config.to_dict(), "vocab_size": len(vocabulary)})
    model = type(extended)(extended_config).eval()
    model.load_state_dict(base.weights_for(vocabulary))

    before = _log_probs(base.checkpoint.build_model(), base.checkpoint.vocabulary, text)
    after = _log_probs(model, vocabulary, text)
    old_rows = [vocabulary.chars.index(ch) for ch in base.checkpoint.vocabulary.chars]
    assert torch.allclose(after[:, old_rows], before, atol=1e-5)  # every old character's log-probability, everywhere


def test_a_run_fine_tuned_from_a_run_takes_its_network_and_records_its_parent(trained_run, tmp_path):
    northumbrian = _misc_folk("northumbrian")  # 129 tunes with ';' and '`', which O'Neill's never writes
    store = RunStore(tmp_path / "runs")
    base = load_base(trained_run.path, store)
    model_config, train_config = preset("fine-tune")
    train_config.iterations, train_config.validation_interval = 4, 2
    trainer = Trainer.new(northumbrian, model_config, train_config, store, "northumbrian", base=base)
    base_config = base.checkpoint.model_config
    assert (trainer.model_config.hidden_size, trainer.model_config.embedding_dim) == (base_config.hidden_size,
                                                                                       base_config.embedding_dim)
    assert trainer.config.text_level == "raw" == base.text_level  # the fine-tune preset's canonical gave way
    parent = trainer.run_folder.meta()["parent"]
    assert parent["added_characters"] == ";`" and set(base.checkpoint.vocabulary.chars) < set(trainer.vocabulary.chars)
    assert parent["run"] == trained_run.id
    assert parent["validation_loss"] == pytest.approx(trainer.validation_loss())  # the line to beat, at step 0
    assert trainer.run().reason == "finished"

    reopened = RunStore(tmp_path / "runs").open(trainer.run_folder.id)  # lineage survives a restart
    assert parent_of(reopened).checkpoint.step == base.checkpoint.step
    train_again = run_commands(reopened, _run_as_arm(reopened), sampled=False)[0]  # the report's command
    assert train_again.endswith(f" --from {trained_run.id}") and "--corpus" in train_again
    # forgetting: the fine-tuned run is scored on its base's held-out O'Neill's tunes, the base's split
    forgetting = score_corpus(reopened.best_checkpoint, "oneills1850", run=reopened)
    assert forgetting.characters == score_corpus(trained_run.best_checkpoint, "oneills1850").characters


def test_a_fine_tuned_run_resumes_to_the_same_curve(trained_run, fife, tmp_path):
    class StopAtThree(TrainingListener):
        def on_step(self, step, loss, elapsed, steps_per_second):
            if step == 3:
                trainer.stop()

    def new_trainer(store, listener=None):
        model_config, train_config = preset("fine-tune")  # cosine: the schedule depends on every step's number
        train_config.iterations, train_config.validation_interval, train_config.checkpoint_interval = 6, 3, 3
        return Trainer.new(fife, model_config, train_config, store, "fife", listener, base=load_base(trained_run.path))

    straight = new_trainer(RunStore(tmp_path / "a")).run().run
    trainer = new_trainer(RunStore(tmp_path / "b"), StopAtThree())
    assert trainer.run().reason == "stopped"
    assert Trainer.resume(trainer.run_folder).run().reason == "finished"
    losses = [[(p.step, round(p.value, 5)) for p in run.loss_log() if p.kind == "train"]
              for run in (straight, trainer.run_folder)]
    assert losses[0] == losses[1] and len(losses[0]) == 6


def test_a_collection_too_small_to_hold_tunes_out_is_refused_clearly(trained_run, tmp_path):
    small = _misc_folk("fife")
    small.tunes = small.tunes[:8]  # 20% of 8: 2 tunes held out
    model_config, train_config = preset("fine-tune")
    with pytest.raises(TrainingError, match="keeps 2 of its 8 tunes apart .* at least 3"):
        Trainer.new(small, model_config, train_config, RunStore(tmp_path / "runs"), base=load_base(trained_run.path))


def test_a_shape_or_text_level_the_base_cannot_follow_is_named(trained_run):
    base = load_base(trained_run.path)
    assert base.conflicts({"hidden_size": 64, "embedding_dim": None, "text_level": "raw"}) == []
    assert base.conflicts({"hidden_size": 512, "text_level": "canonical"}) == [
        "hidden size 512 (the base has 64)", "text level canonical (the base reads raw text)"]


def test_an_experiment_varies_a_fine_tuning_setting_with_every_arm_started_from_the_base(trained_run, fife, tmp_path):
    from studio.core.learning.experiment_spec import ExperimentSpec
    from studio.core.learning.experiments import run_experiment
    from support import copy_run

    store = RunStore(tmp_path / "runs")
    base = copy_run(trained_run, tmp_path / "runs")
    spec = ExperimentSpec(variable="learning_rate", values=[1e-3, 3e-4], preset="fine-tune", corpus=fife.source,
                          iterations=2, tunes_per_run=1, base=base.id)
    result = run_experiment(spec, store=store, root=tmp_path / "experiments", corpus=fife)
    assert result.status == "finished" and [arm.reason for arm in result.arms] == ["finished", "finished"]
    for arm, rate in zip(result.arms, (1e-3, 3e-4)):
        meta = store.open(arm.run_id).meta()
        assert meta["parent"]["run"] == base.id and meta["train_config"]["learning_rate"] == rate
        assert meta["model_config"]["hidden_size"] == 64 and arm.train_config["text_level"] == "raw"  # the base's
        assert len(arm.tune_metrics) == 1
    assert "from " + base.id in result.spec.title()


def test_an_experiment_varies_what_its_arms_start_from_with_the_same_network_and_tunes(trained_run, fife, tmp_path):
    """``--vary start_from=BASE,nothing``: does the base help with these tunes? The arm from nothing takes the base's
    network and text level (the preset's would be the lab's 1024 units and canonical text) and the same split."""
    from studio.core.learning.experiment_spec import ExperimentError, ExperimentSpec, parse_values
    from studio.core.learning.experiments import run_experiment
    from support import copy_run

    store = RunStore(tmp_path / "runs")
    base = copy_run(trained_run, tmp_path / "runs")
    spec = ExperimentSpec(variable="start_from", values=parse_values("start_from", f"{base.id},nothing"),
                          preset="fine-tune", corpus=fife.source, iterations=2, tunes_per_run=1)
    result = run_experiment(spec, store=store, root=tmp_path / "experiments", corpus=fife)
    assert result.status == "finished" and [arm.label for arm in result.arms] == [f"start_from={base.id}",
                                                                                  "start_from=nothing"]
    fine_tuned, from_nothing = (store.open(arm.run_id) for arm in result.arms)
    assert fine_tuned.meta()["parent"]["run"] == base.id and "parent" not in from_nothing.meta()
    for run in (fine_tuned, from_nothing):
        assert run.meta()["model_config"]["hidden_size"] == 64 and run.meta()["train_config"]["text_level"] == "raw"
        assert run.meta()["train_config"]["learning_rate"] == 1e-3  # the fine-tune preset's, for both
    assert fine_tuned.split_identity()["validation_ids"] == from_nothing.split_identity()["validation_ids"]
    assert "start from" in spec.title()
    both = ExperimentSpec(variable="start_from", values=["shipped", "nothing"], base="shipped")
    assert "each arm starts from its value of start_from" in both.problems()["variable"]
    with pytest.raises(ExperimentError, match="e.g. start_from=shipped,nothing"):
        parse_values("start_from", "nothing")


def test_an_experiment_from_a_base_cannot_vary_what_the_base_fixes():
    from studio.core.learning.experiment_spec import ExperimentSpec

    spec = ExperimentSpec(variable="hidden_size", values=[64, 128], preset="fine-tune", base="shipped")
    assert "takes hidden size from the model it starts from" in spec.problems()["variable"]
    assert "variable" not in ExperimentSpec(variable="dropout", values=[0.0, 0.2], base="shipped").problems()
