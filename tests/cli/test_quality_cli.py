"""``python -m studio evaluate`` and ``experiment``: real tunes score, user mistakes exit with code 2."""

from __future__ import annotations

import pytest

from studio.cli.main import main

import support


@pytest.fixture(scope="module")
def oneills_files():
    return support.oneills_files()


def test_evaluate_real_tunes_exits_0(oneills_files, capsys):
    assert main(["evaluate", oneills_files[1], "--corpus", oneills_files[0]]) == 0
    out = capsys.readouterr().out
    assert "real-vs-real baseline" in out
    assert "validity rate" in out and "mean overlap" in out
    rows = [line for line in out.splitlines() if line.strip().split("  ")[0].strip().isdigit()]
    assert len(rows) >= 40


def test_evaluate_marks_a_broken_tune(tmp_path, oneills_files, capsys):
    broken = tmp_path / "broken.abc"
    broken.write_text("X:1\nT:Leaps\nM:4/4\nL:1/8\nK:C\nC c C c C c C c|C c' C c' C c' C c'|\n", encoding="utf-8")
    assert main(["evaluate", str(broken), "--corpus", oneills_files[0]]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.lstrip().startswith("1  "))
    assert row.count("*") >= 3  # mean interval, leap rate, octave leaps...


@pytest.mark.parametrize("argv, reason", [
    (["evaluate", "/no/such/file.abc"], "no such file: /no/such/file.abc"),
    (["evaluate"], "give either an .abc file or --run RUN"),
    (["evaluate", "--run", "no-such-run"], "no run 'no-such-run' in "),
    (["experiment", "--preset", "tiny", "--vary", "batch_size=8"], "give at least two values to compare"),
    (["experiment", "--preset", "tiny", "--vary", "batch_size"], "--vary needs NAME=V1,V2"),
    (["experiment", "--preset", "tiny", "--vary", "colour=1,2"], "unknown variable 'colour'; choose one of"),
    (["experiment", "--preset", "nope", "--vary", "batch_size=8,4"], "unknown preset 'nope'; known: lab"),
])
def test_user_mistakes_exit_2_with_their_reason(argv, reason, capsys):
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and reason in error, error  # the reason: a bug's KeyError would not say it


def test_evaluate_a_real_runs_saved_samples(trained_run, tmp_path, capsys):
    """``evaluate --run RUN`` scores the tunes a real run sampled (a copy of the tiny trained run, so the shared one
    is left as it was)."""
    import shutil

    from studio.core.configs import SamplingConfig
    from studio.core.generation.sampling import Sampler
    from studio.core.runs import RunStore
    from studio.core.tune_book import write_tune_book

    runs = tmp_path / "runs"
    shutil.copytree(trained_run.path, runs / trained_run.id)
    run = RunStore(runs).open(trained_run.id)
    tunes = Sampler.from_checkpoint(run.best_checkpoint).sample(SamplingConfig(count=3, seed=2, max_length=300))
    run.save_samples(write_tune_book(tunes), "T1.0")
    assert main(["--runs-dir", str(runs), "evaluate", "--run", run.id, "--corpus", "oneills1850"]) == 0
    out = capsys.readouterr().out
    assert f"3 tune(s) from samples of run {run.name!r} vs oneills1850" in out
    table = out.split("marked *", 1)[1].strip("\n").split("\n\n", 1)[0].splitlines()
    assert [row.split()[0] for row in table] == ["#", "1", "2", "3"]  # the header, then one row per sampled tune
