"""A full disk never costs a training run: the real trainer and the real CLI with their run folder on a small tmpfs
that fills up mid-run; the run stops with the reason, keeps its last good checkpoint, and resumes to the same curve."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli.main import main
from studio.core.configs import preset
from studio.core.disk_space import DISK_FULL_ADVICE, write_failure
from studio.core.learning.run_writer import RunWriter
from studio.core.learning.training import Trainer
from studio.core.learning.training_listener import TrainingListener
from studio.core.network.checkpoints import load_checkpoint
from studio.core.runs import LossPoint, RunStore

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ITERATIONS, INTERVAL = 60, 20
TINY_ARGS = ["--preset", "tiny", "--iterations", str(ITERATIONS), "--checkpoint-interval", str(INTERVAL),
             "--validation-interval", str(INTERVAL), "--threads", "1",
             "--precision", "fp32"]  # one precision: the curves are compared


class Warnings(TrainingListener):
    def __init__(self, on_checkpoint=None):
        self.messages: list[str] = []
        self._on_checkpoint = on_checkpoint

    def on_warning(self, message):
        self.messages.append(message)

    def on_checkpoint(self, step, path):
        if self._on_checkpoint:
            self._on_checkpoint(step)


def tiny_run_configs():
    model_config, train_config = preset("tiny")
    train_config.iterations, train_config.precision = ITERATIONS, "fp32"  # auto could measure differently per run
    train_config.checkpoint_interval = train_config.validation_interval = INTERVAL
    return model_config, train_config


def curve(run) -> list[tuple[int, float]]:
    return [(p.step, p.value) for p in run.loss_log() if p.kind == "train"]


@pytest.fixture(scope="module")
def reference(oneills, tmp_path_factory):
    """The run that never stopped: the tiny preset as the CLI trains it, on a roomy disk."""
    store = RunStore(tmp_path_factory.mktemp("reference"))
    model_config, train_config = tiny_run_configs()
    result = Trainer.new(oneills, model_config, train_config, store).run()
    assert result.reason == "finished"
    return result.run


def studio(*args, timeout=600):
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "studio", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def test_the_trainer_stops_with_the_reason_when_the_disk_fills_and_resumes_to_the_same_curve(
        oneills, small_disk, reference):
    disk = small_disk(8 << 20)
    store = RunStore(disk.path / "runs")
    # the disk fills up completely right after the first checkpoint: every later write fails
    listener = Warnings(on_checkpoint=lambda step: step == INTERVAL and disk.fill())
    model_config, train_config = tiny_run_configs()
    result = Trainer.new(oneills, model_config, train_config, store, listener=listener).run()

    assert result.reason == "stopped" and result.stop_reason == DISK_FULL_ADVICE
    assert result.steps_done == ITERATIONS and result.unsaved is not None
    full = [m for m in listener.messages if "the disk is full (" in m and " KB free in " in m]
    assert any(m.startswith("could not write checkpoint last.pt") and "trying again" in m for m in full)
    run = result.run
    assert run.summary()["status"] == "stopped"  # written in the room the run held in reserve
    assert run.meta()["stop_reason"] == DISK_FULL_ADVICE
    assert load_checkpoint(run.last_checkpoint).step == INTERVAL

    disk.empty()
    resumed = Trainer.resume(run).run()
    assert resumed.reason == "finished" and resumed.stop_reason is None
    assert curve(run) == curve(reference)
    assert not list(run.path.glob(".*.tmp")), "the reserve is let go when the run ends"


def test_the_cli_exits_non_zero_on_a_full_disk_and_resume_continues_to_the_end(small_disk, reference, tmp_path):
    last = reference.last_checkpoint.stat().st_size
    best = reference.best_checkpoint.stat().st_size
    disk = small_disk(16 << 20)
    # room for the run folder, one last.pt and best.pt with its replacement, not for a second last.pt
    disk.fill(leave=last + 2 * best + 256 * 1024)
    runs = disk.path / "runs"
    out = studio("--runs-dir", str(runs), "train", *TINY_ARGS)
    assert out.returncode not in (0, None), out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    assert "the disk is full (" in out.stderr and f"KB free in {runs}" in out.stderr, out.stderr[-2000:]
    assert f"stopped: {DISK_FULL_ADVICE}" in out.stderr and "--resume" in out.stderr
    run = RunStore(runs).list()[0]
    assert run.summary()["status"] == "stopped" and run.meta()["stop_reason"] == DISK_FULL_ADVICE
    assert load_checkpoint(run.last_checkpoint).step == INTERVAL

    disk.empty()  # the resume as a person would type it, run in this process (its process is not the point here)
    assert main(["--runs-dir", str(runs), "train", "--resume", run.id, "--threads", "1"]) == 0
    assert run.summary()["status"] == "finished"
    assert curve(run) == curve(reference)


def test_generate_prints_the_tunes_when_the_book_cannot_be_written(small_disk, reference):
    disk = small_disk(1 << 20)
    book = disk.path / "book.abc"
    disk.fill()
    out = studio("generate", "--checkpoint", str(reference.best_checkpoint), "--count", "2", "--seed", "3",
                 "--max-length", "120", "--bars", "free", "--out", str(book), "--quiet")
    assert out.returncode != 0
    assert "the disk is full (" in out.stderr and f"KB free in {disk.path})" in out.stderr, out.stderr[-2000:]
    assert [line for line in out.stdout.splitlines() if line.startswith("X:")] == ["X:1", "X:2"]
    assert not book.exists()


def test_a_short_write_is_called_a_full_disk_only_when_the_disk_is_full(small_disk, tmp_path):
    disk = small_disk(1 << 20)
    short_write = RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 46656 vs 46608")
    disk.fill()
    assert write_failure(short_write, disk.path, needed=50_000).disk_full
    assert not write_failure(short_write, tmp_path, needed=50_000).disk_full
    assert write_failure(short_write, tmp_path, needed=50_000).words.startswith("[enforce fail")


def test_loss_rows_wait_in_memory_while_the_disk_is_full_and_never_tear(small_disk):
    disk = small_disk(1 << 20)
    run = RunStore(disk.path / "runs").create("rows", {}, {})
    warnings: list[str] = []
    writer = RunWriter(run, warnings.append)
    disk.fill()
    for step in range(1, 400):  # more than the page the log already holds
        writer.log(LossPoint(step, "train", 1.5, 0.1 * step))
    assert len(warnings) == 1 and "loss.csv: the disk is full (" in warnings[0], warnings
    written = [p.step for p in run.loss_log()]
    assert written == list(range(1, len(written) + 1)) and len(written) < 399
    assert (run.path / "loss.csv").read_text().endswith("\n"), "no half row"
    disk.empty()
    writer.log(LossPoint(400, "train", 1.5, 40.0))
    assert [p.step for p in run.loss_log()] == list(range(1, 401))
