"""The command line as users run it: train, runs, package, generate and corpus, exit codes, messages without
tracebacks. Each command runs in-process (``cli``); one smoke test runs train, runs and generate as real processes."""

from __future__ import annotations

import json
import os

import pytest

from support import oneills_first_file, run_studio


def test_train_runs_and_generate_as_real_processes(home):
    """The smoke test: the entry point, its exit codes and its output, in child processes."""
    out = run_studio("train", "--preset", "tiny", "--iterations", "8", "--name", "cli run", home=home)
    assert out.returncode == 0, out.stderr
    assert "finished after 8 steps" in out.stdout
    [run] = list((home / "runs").iterdir())
    listing = run_studio("runs", home=home)
    assert listing.returncode == 0 and "cli run" in listing.stdout and "finished" in listing.stdout
    gen = run_studio("generate", "--run", run.name, "--count", "2", "--seed", "4", "--max-length", "100",
                     "--quiet", home=home)
    assert gen.returncode == 0, gen.stderr
    assert [line for line in gen.stdout.splitlines() if line.startswith("X:")] == ["X:1", "X:2"]


def test_train_then_generate_rename_and_delete(cli, home):
    out = cli("train", "--preset", "tiny", "--iterations", "30", "--name", "cli run")
    assert out.returncode == 0, out.stderr
    assert "finished after 30 steps" in out.stdout
    runs = list((home / "runs").iterdir())
    assert len(runs) == 1 and (runs[0] / "checkpoints" / "last.pt").exists()
    measured = json.loads((runs[0] / "run.json").read_text())["precision_auto"]  # precision auto, and what it saw
    assert f"precision auto: {measured['precision']}: " in out.stderr and "ms a step under bf16 autocast" in out.stderr
    listing = cli("runs")
    assert "cli run" in listing.stdout and "finished" in listing.stdout

    gen = cli("generate", "--run", runs[0].name, "--count", "3", "--temperature", "0.8", "--seed", "4",
              "--max-length", "150", "--quiet")
    assert gen.returncode == 0, gen.stderr
    assert [line for line in gen.stdout.splitlines() if line.startswith("X:")] == ["X:1", "X:2", "X:3"]
    assert list((runs[0] / "samples").glob("*.abc"))

    renamed = cli("runs", "rename", runs[0].name, "Better name")
    assert renamed.returncode == 0 and "Better name" in cli("runs").stdout
    assert cli("runs", "delete", runs[0].name).returncode == 0
    assert "no runs yet" in cli("runs").stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--batch-size", "0"], "--batch-size must be between"),
        (["train", "--preset", "huge"], "unknown preset 'huge'"),
        (["corpus", "/no/such/file.abc"], "no such file or folder"),
        (["generate", "--checkpoint", __file__], "not a readable checkpoint"),
        (["generate", "--run", "nope"], "no run 'nope'"),
        (["train", "--resume", "nope"], "no run 'nope'"),
        (["package", "--run", "nope", "--out", "model.pt"], "no run 'nope'"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(cli, args, message):
    out = cli(*args)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith("error: ") and message in out.stderr
    assert "Traceback" not in out.stderr


def test_package_writes_a_compact_model_that_samples(cli, trained_run, tmp_path):
    """``package``: the run's best checkpoint in half precision, without the optimizer's state, still a model."""
    from studio.core.network.checkpoints import load_checkpoint

    out = tmp_path / "model.pt"
    done = cli("--runs-dir", trained_run.path.parent, "package", "--run", trained_run.id, "--out", out)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out} (") and f"step {load_checkpoint(trained_run.best_checkpoint).step}" \
        in done.stdout
    packaged = load_checkpoint(out)
    assert packaged.optimizer_state is None and packaged.rng_state is None
    assert {str(t.dtype) for t in packaged.model_state.values() if t.is_floating_point()} == {"torch.float16"}
    full = tmp_path / "full.pt"
    assert cli("--runs-dir", trained_run.path.parent, "package", "--run", trained_run.id, "--out", full,
               "--full-precision").returncode == 0
    assert {str(t.dtype) for t in load_checkpoint(full).model_state.values() if t.is_floating_point()} == \
        {"torch.float32"}
    assert out.stat().st_size < 0.6 * full.stat().st_size  # half the bytes per weight
    gen = cli("generate", "--checkpoint", out, "--count", "1", "--seed", "1", "--max-length", "80", "--quiet")
    assert gen.returncode == 0 and gen.stdout.startswith("X:1"), gen.stderr


def test_corpus_report(cli):
    out = cli("corpus", "oneills1850")
    assert out.returncode == 0
    assert "oneills1850: 2,00" in out.stdout and "dropped" in out.stdout


def test_generate_out_adds_to_a_tune_book_the_window_can_open(cli, tmp_path):
    from studio.core.tune_book import read_book_tunes, read_tune_book

    book = tmp_path / "book.abc"
    two = "\r\n\r\n".join(read_tune_book(oneills_first_file())[:2]).replace("\n", "\r\n")  # CRLF, as Windows tools
    book.write_bytes(two.replace("\r\r\n", "\r\n").encode("latin-1"))
    out = cli("generate", "--count", "2", "--seed", "9", "--max-length", "120", "--quiet", "--out", book)
    assert out.returncode == 0, out.stderr
    assert "added 2 tune(s)" in out.stderr and "(now 4)" in out.stderr
    tunes = read_book_tunes(book)
    assert [t.text.split("\n")[0] for t in tunes] == ["X:1", "X:2", "X:3", "X:4"]
    assert [t.seed for t in tunes] == [None, None, 9, 10]
    binary = tmp_path / "photo.abc"
    binary.write_bytes(os.urandom(4000))
    refused = cli("generate", "--max-length", "50", "--quiet", "--out", binary)
    assert refused.returncode == 2 and "not a text file" in refused.stderr and "Traceback" not in refused.stderr
    early = cli("generate", "--checkpoint", tmp_path / "no-such-model.pt", "--quiet", "--out", binary)
    assert early.returncode == 2 and "not a text file" in early.stderr  # refused before a model is even looked for


def _small_oneills_file(oneills, tmp_path, count=30):
    """The first ``count`` tunes of O'Neill's as a user's .abc file (rewritten in seconds, not a minute)."""
    path = tmp_path / "oneills-small.abc"
    path.write_text("\n\n".join(t.text for t in oneills.tunes[:count]) + "\n", encoding="utf-8")
    return path


def test_corpus_text_level_shows_what_changed_and_one_tune(cli, oneills, tmp_path):
    path = _small_oneills_file(oneills, tmp_path)
    out = cli("corpus", path, "--text", "canonical")
    assert out.returncode == 0, out.stderr
    assert "text level canonical:" in out.stdout and "changed: " in out.stdout and "spaces" in out.stdout
    before, _, after = out.stdout.partition("after (canonical):")
    assert " before:\nX:" in before and after.strip().startswith("X:")
    raw = cli("corpus", path)
    assert "text level" not in raw.stdout
    plain = cli("corpus", path, "--text", "plain")
    assert plain.returncode == 2 and "invalid choice: 'plain'" in plain.stderr


def test_corpus_of_a_file_as_a_real_process(oneills, tmp_path, home):
    """The smoke test of ``corpus``: the report of a user's file from a child process."""
    out = run_studio("corpus", _small_oneills_file(oneills, tmp_path), home=home)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("oneills-small.abc: 30 tunes, "), out.stdout


def test_train_at_a_text_level(cli, oneills, tmp_path, home):
    path = _small_oneills_file(oneills, tmp_path)
    out = cli("train", "--preset", "tiny", "--iterations", "5", "--corpus", path, "--text", "melody")
    assert out.returncode == 0, out.stderr
    assert "text level melody:" in out.stderr
    meta = json.loads(next((home / "runs").iterdir()).joinpath("run.json").read_text())
    assert meta["corpus"]["text_level"] == "melody" and meta["train_config"]["text_level"] == "melody"


def test_the_reports_train_command_trains_the_same_run_again():
    """The report's 'train this again' line, read back by the real parser, gives the run's settings, text level and
    key augmentation included (so a flag dropped from train_command is a setting lost)."""
    import shlex
    from dataclasses import replace

    from studio.cli.main import build_parser
    from studio.cli.train import _configs_from_args
    from studio.core.configs import preset
    from studio.core.reports.report_html import train_command

    model_config, train_config = preset("tiny")
    model_config = replace(model_config, hidden_size=96, dropout=0.1)
    train_config = replace(train_config, iterations=77, batch_size=4, seq_length=50, learning_rate=0.003,
                           lr_schedule="cosine", seed=9, validation_interval=11, checkpoint_interval=22,
                           text_level="melody", augment_keys=(-2, 5))
    line = train_command("oneills1850", "again", train_config.to_dict(), model_config.to_dict())
    words = shlex.split(line)
    assert words[:4] == ["python", "-m", "studio", "train"]
    args = build_parser().parse_args(words[3:])
    model_again, train_again = _configs_from_args(args)
    assert (args.corpus, args.name) == ("oneills1850", "again")
    assert train_again.to_dict() == train_config.to_dict()
    for field in ("embedding_dim", "hidden_size", "num_layers", "dropout"):
        assert getattr(model_again, field) == getattr(model_config, field), field


@pytest.mark.parametrize("context", ["window", "stream", None])
def test_the_context_flag_and_the_train_again_command_give_back_the_settings(context):
    """``report_html.train_command`` parsed by the real parser rebuilds the configs; None: a run saved before
    contexts existed, which read random windows."""
    import shlex

    from studio.cli.main import build_parser
    from studio.cli.train import _configs_from_args
    from studio.core.configs import TrainConfig, preset
    from studio.core.reports.report_html import train_command

    model_config, train_config = preset("tiny")
    train_config.augment_keys, train_config.text_level = (-2, 5), "melody"
    saved = train_config.to_dict()
    if context is None:
        saved.pop("context")
    else:
        train_config.context = saved["context"] = context
    command = train_command("oneills1850", "again", saved, model_config.to_dict())
    args = build_parser().parse_args(shlex.split(command)[3:])
    again_model, again_train = _configs_from_args(args)
    assert again_train == TrainConfig.from_dict(saved) and again_model == model_config
    assert again_train.context == (context or "window")
    assert build_parser().parse_args(["train"]).context is None  # the preset's (stream for the lab presets)


def test_bf16_asked_for_where_its_gradients_strayed_trains_with_a_warning(cli, tmp_path, monkeypatch):
    """bf16 given by hand is obeyed, with a warning where ``auto`` found its gradients too far from fp32's (a data
    folder of the test's own: the session's shared cache must not learn this made-up measurement)."""
    import torch

    from studio.core.configs import preset
    from studio.core.network.precision import ProbeKey, decide, remember

    monkeypatch.setenv("ABC_STUDIO_HOME", str(tmp_path / "own"))
    model_config, train_config = preset("tiny")
    remember(ProbeKey.here(model_config, train_config, torch.get_num_threads()), decide(10.0, 4.0, 0.9))  # as AMX
    out = cli("train", "--preset", "tiny", "--iterations", "4", "--precision", "bf16")
    assert out.returncode == 0, out.stderr
    assert "warning: bf16 trains worse on this CPU: its gradients were 90% away" in out.stderr
    assert "bf16" in out.stdout + out.stderr and "finished after 4 steps" in out.stdout
