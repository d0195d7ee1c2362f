"""``python -m studio train --from MODEL|RUN``: what the run takes from its base, what it refuses, what it records."""

from __future__ import annotations

import json

from studio.core.corpus import builtin_corpus_files
from support import copy_run

NORTHUMBRIAN = next(str(f) for f in builtin_corpus_files("miscFolk") if "northumbrian" in str(f))


def test_train_from_a_run_reports_what_it_took_and_records_its_parent(cli, trained_run, home):
    base = copy_run(trained_run, home / "runs")
    out = cli("train", "--from", base.id, "--corpus", NORTHUMBRIAN, "--iterations", "2", "--validation-interval", "1",
              "--name", "my tunes")
    assert out.returncode == 0, out.stderr
    assert f"starting from run fixture ({base.id})" in out.stderr and "its raw text level" in out.stderr
    assert "characters added for this corpus: ';`'" in out.stderr and "(the line to beat)" in out.stderr
    run_id = out.stdout.split("run: ")[1].split()[0]
    meta = json.loads((home / "runs" / run_id / "run.json").read_text())
    assert meta["parent"]["run"] == base.id and meta["train_config"]["learning_rate"] == 1e-3  # the fine-tune preset
    assert meta["model_config"]["hidden_size"] == 64


def test_train_from_refuses_what_the_base_cannot_follow(cli, trained_run):
    out = cli("train", "--from", trained_run.best_checkpoint, "--hidden-size", "512", "--clock", "bar", "--text",
              "canonical")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert ("the run takes model file" in out.stderr
            and "cannot have hidden size 512 (the base has 64); clock bar (the base has none); text level canonical "
                "(the base reads raw text)" in out.stderr)
    out = cli("train", "--from", "nope")
    assert out.returncode == 2 and "nothing to start from at 'nope'" in out.stderr


def test_package_of_a_fine_tuned_run_keeps_its_parent_in_the_model_and_its_card(cli, trained_run, home, tmp_path):
    from studio.core.learning.fine_tuning import file_digest, load_base
    from studio.core.network.checkpoints import load_checkpoint

    base = copy_run(trained_run, home / "runs")
    out = cli("train", "--from", base.id, "--corpus", NORTHUMBRIAN, "--iterations", "2", "--validation-interval", "1")
    assert out.returncode == 0, out.stderr
    run_id = out.stdout.split("run: ")[1].split()[0]
    parent = json.loads((home / "runs" / run_id / "run.json").read_text())["parent"]
    assert parent["digest"] == file_digest(base.best_checkpoint)  # which base exactly, read when training began

    model = tmp_path / "shared" / "my-tunes.pt"
    out = cli("package", "--run", run_id, "--out", model)
    assert out.returncode == 0, out.stderr
    assert f"lineage: fine-tuned from fixture (digest {parent['digest']})" in out.stdout
    packaged = load_checkpoint(model)  # the file alone, away from the run folder
    assert packaged.parent["run"] == base.id and packaged.parent["digest"] == parent["digest"]
    assert packaged.parent["validation_loss"] == parent["validation_loss"] and "runs_dir" not in packaged.parent
    card = (tmp_path / "shared" / "my-tunes.card.md").read_text()
    assert "## Lineage" in card and f"Fine-tuned from fixture (step {parent['step']:,}" in card
    assert f"{parent['validation_loss']:.3f} nats per character (the line to beat)" in card
    assert "Characters added for the new corpus: ';`'" in card

    regrown = load_base(model).record("")  # fine-tuned again from the packaged file: the lineage goes on
    assert regrown["parent"]["run"] == base.id and regrown["digest"] == file_digest(model)
    plain = tmp_path / "plain.pt"  # a run trained from nothing: no lineage, and the card says none
    assert cli("package", "--checkpoint", trained_run.best_checkpoint, "--out", plain).returncode == 0
    assert load_checkpoint(plain).parent == {} and "Lineage" not in (tmp_path / "plain.card.md").read_text()


def test_experiment_from_a_base_refuses_a_variable_the_base_fixes_and_a_missing_base(cli):
    out = cli("experiment", "--from", "shipped", "--vary", "text_level=raw,canonical")
    assert out.returncode == 2 and "takes text level from the model it starts from (shipped)" in out.stderr
    out = cli("experiment", "--from", "nope", "--vary", "learning_rate=1e-3,3e-4", "--iterations", "1")
    assert out.returncode == 2 and "nothing to start from at 'nope'" in out.stderr and "Traceback" not in out.stderr
