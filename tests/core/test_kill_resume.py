"""Training killed with SIGKILL at several moments (one held mid-checkpoint-write), a full disk, an unwritable data folder.

A real ``python -m studio train`` subprocess is killed; afterwards the run folder must be readable (listed, status
``interrupted``), the last checkpoint must load, the loss log must parse up to the last step and ``--resume`` must
continue the run to its end, on the curve of a run never killed. A child limited by RLIMIT_FSIZE (a full disk as the kernel reports it: EFBIG on write)
must report a clear warning and keep the previous checkpoint.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio.core.abc.text import split_tunes
from studio.core.corpus import builtin_corpus_files
from studio.core.network.checkpoints import HOLD_WRITE_ENV, load_checkpoint
from studio.core.runs import RunStore

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# the tiny network: the kill inside a checkpoint write is made certain by holding the write (HOLD_WRITE_ENV), so the
# model need not be big enough for the write to take a while. fp32 given: the run never interrupted trains in a data
# folder of its own, where precision auto would measure afresh (a resumed run keeps what it started in)
MODEL_ARGS = ["--preset", "tiny", "--threads", "1", "--checkpoint-interval", "4", "--validation-interval", "50",
              "--precision", "fp32"]
WAIT_S = 120.0  # a guard against a stuck child, not a speed requirement


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Path:
    """Sixty real O'Neill tunes in one file (loads fast, keeps the test short)."""
    path = tmp_path_factory.mktemp("corpus") / "oneill-sixty.abc"
    text = builtin_corpus_files("oneills1850")[0].read_bytes().decode("latin-1")
    path.write_text("\n\n".join(split_tunes(text)[:60]) + "\n", encoding="utf-8")
    return path


def studio(runs: Path, *args, preexec_fn=None, extra_env: dict | None = None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), ABC_STUDIO_HOME=str(runs.parent), **(extra_env or {}))
    return subprocess.Popen([sys.executable, "-m", "studio", "--runs-dir", str(runs), *args], cwd=str(PROJECT_ROOT),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=preexec_fn)


def studio_here(runs: Path, *args, monkeypatch) -> int:
    """``python -m studio --runs-dir RUNS ARGS`` run in this process, for a run whose process is not what is tested
    (the same command without the second or two a child spends importing torch); returns the exit code."""
    from studio.cli.main import main

    monkeypatch.setenv("ABC_STUDIO_HOME", str(runs.parent))
    return main(["--runs-dir", str(runs), *args])


def wait_until(condition, what: str, process: subprocess.Popen, pause_s: float = 0.0005):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process.poll() is not None:
            raise AssertionError(f"the training process ended before {what}: {process.communicate()[1][-2000:]}")
        time.sleep(pause_s)
    raise AssertionError(f"gave up waiting for {what}")


def logged_checkpoint_step(runs: Path) -> int:
    """The step of the last checkpoint the loss log records (0 before any)."""
    steps = [p.step for run in RunStore(runs).list() for p in run.loss_log() if p.kind == "checkpoint"]
    return max(steps, default=0)


def only_run(runs: Path):
    listed = RunStore(runs).list()
    assert len(listed) == 1
    return listed[0]


def tmp_checkpoint_files(runs: Path) -> list[Path]:
    return [p for p in runs.glob("*/checkpoints/.*.tmp")]


def assert_survived(runs: Path, *, min_checkpoint_step: int = 1) -> int:
    """The run folder after a kill: listed, interrupted, checkpoint loads, log parses up to the last step."""
    run = only_run(runs)
    summary = run.summary()
    assert summary["status"] == "interrupted"
    assert summary["has_checkpoint"]
    checkpoint = load_checkpoint(run.last_checkpoint)
    assert checkpoint.step >= min_checkpoint_step
    checkpoint.build_model()
    train_steps = [p.step for p in run.loss_log() if p.kind == "train"]
    assert train_steps and train_steps == list(range(train_steps[0], train_steps[-1] + 1)), "the loss log has holes"
    assert train_steps[-1] >= checkpoint.step
    assert summary["steps_done"] == train_steps[-1]
    return checkpoint.step


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=WAIT_S)
    assert process.returncode == -signal.SIGKILL


def resume(runs: Path, iterations: int) -> subprocess.CompletedProcess:
    run = only_run(runs)
    process = studio(runs, "train", "--resume", run.id, "--iterations", str(iterations))
    out, err = process.communicate(timeout=WAIT_S * 3)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_killed_at_several_moments_the_run_survives_and_resumes(tmp_path, small_corpus, monkeypatch):
    runs = tmp_path / "runs"
    kills = 0

    # 1. killed mid-write: the writer holds the step-8 checkpoint between its complete temporary file and the rename
    held = tmp_path / "holding-the-step-8-write"
    process = studio(runs, "train", "--corpus", str(small_corpus), "--iterations", "100000", *MODEL_ARGS,
                     extra_env={HOLD_WRITE_ENV: f"8:{held}"})
    wait_until(held.exists, "the step-8 checkpoint write to be held", process, pause_s=0.02)
    half_written = tmp_checkpoint_files(runs)
    assert half_written, "the held write has its temporary file"
    kill(process)
    kills += 1
    first = assert_survived(runs)
    assert first == 4, "the step-8 checkpoint must not have replaced the step-4 one"
    assert all(path.exists() for path in half_written)  # the kill left the temporary file behind

    # 2. resumed, then killed at an arbitrary moment between checkpoints
    run = only_run(runs)
    process = studio(runs, "train", "--resume", run.id, "--iterations", "100000")
    wait_until(lambda: logged_checkpoint_step(runs) >= first + 8, "the resumed run to checkpoint again", process,
               pause_s=0.02)
    assert not any(path.exists() for path in half_written), "resuming clears stale temporary files"
    time.sleep(0.05)
    kill(process)
    kills += 1
    second = assert_survived(runs, min_checkpoint_step=first + 8)

    # 3. killed before its first step of the resumed session (while loading)
    process = studio(runs, "train", "--resume", run.id, "--iterations", "100000")
    time.sleep(0.3)
    kill(process)
    kills += 1
    assert assert_survived(runs) >= second

    # finally resumed to the end: it continues from the checkpoint and finishes
    target = second + 12
    done = resume(runs, target)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = only_run(runs).summary()
    assert summary["status"] == "finished"
    assert summary["steps_done"] == target
    assert load_checkpoint(only_run(runs).last_checkpoint).step == target
    steps = [p.step for p in only_run(runs).loss_log() if p.kind == "train"]
    assert steps == list(range(1, target + 1)), "the resumed log must continue the old one without gaps or repeats"
    # a stream run (the default) killed three times reads on where each checkpoint left it: the same curve as a run
    # never interrupted (each resumed session's log starts over from its checkpoint)
    assert load_checkpoint(only_run(runs).last_checkpoint).train_config.context == "stream"
    straight_runs = tmp_path / "straight" / "runs"
    assert studio_here(straight_runs, "train", "--corpus", str(small_corpus), "--iterations", str(target), *MODEL_ARGS,
                       monkeypatch=monkeypatch) == 0
    curves = [[p.value for p in only_run(folder).loss_log() if p.kind == "train"] for folder in (runs, straight_runs)]
    assert curves[0] == pytest.approx(curves[1], abs=2e-6)
    print(f"\nkills survived: {kills} (one mid-checkpoint-write), resumed to step {target}")


def limit_file_size(max_bytes: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return apply


def test_full_disk_keeps_the_previous_checkpoint_with_a_clear_warning(tmp_path, small_corpus, monkeypatch):
    runs = tmp_path / "runs"
    assert studio_here(runs, "train", "--corpus", str(small_corpus), "--iterations", "8", *MODEL_ARGS,
                       monkeypatch=monkeypatch) == 0
    run = only_run(runs)
    before = load_checkpoint(run.last_checkpoint)
    size = run.last_checkpoint.stat().st_size

    # the resumed run may write small files but no checkpoint fits: each write fails with EFBIG
    process = studio(runs, "train", "--resume", run.id, "--iterations", "20",
                     preexec_fn=limit_file_size(size // 2))
    out, err = process.communicate(timeout=WAIT_S * 3)
    assert process.returncode in (0, 1), err[-2000:]
    assert "Traceback" not in err, err[-2000:]
    assert "could not write checkpoint last.pt" in err and "the previous one is kept" in err, err[-2000:]
    after = load_checkpoint(run.last_checkpoint)
    assert after.step == before.step
    assert not tmp_checkpoint_files(runs), "a failed write must not leave its temporary file behind"
    # the run is still listed and can be resumed once there is room again
    assert only_run(runs).summary()["has_checkpoint"]
    assert studio_here(runs, "train", "--resume", only_run(runs).id, "--iterations", "12", monkeypatch=monkeypatch) == 0
    assert load_checkpoint(only_run(runs).last_checkpoint).step == 12


def test_unwritable_data_folder_is_a_clear_error(tmp_path, small_corpus):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    process = studio(blocker / "runs", "train", "--corpus", str(small_corpus), "--iterations", "4", *MODEL_ARGS)
    out, err = process.communicate(timeout=WAIT_S * 3)
    assert process.returncode not in (0, None) and process.returncode > 0, (out, err)
    assert "Traceback" not in err, err[-2000:]
    assert "runs folder" in err and str(blocker) in err, err[-2000:]
