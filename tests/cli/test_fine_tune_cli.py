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
    out = cli("train", "--from", trained_run.best_checkpoint, "--hidden-size", "512", "--text", "canonical")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert ("the run takes model file" in out.stderr
            and "cannot have hidden size 512 (the base has 64); text level canonical (the base reads raw text)"
            in out.stderr)
    out = cli("train", "--from", "nope")
    assert out.returncode == 2 and "nothing to start from at 'nope'" in out.stderr
