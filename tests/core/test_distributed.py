"""``python -m studio train`` under torchrun: two CPU processes with gloo write one run, from rank 0; Ctrl+C stops
both ranks at one step and ``--resume`` finishes the run. One scenario (a run started, stopped with Ctrl+C, resumed
to its end: each torchrun costs three processes that import torch) read by both tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from studio.core.runs import RunStore


def train_steps(run) -> list[int]:
    return [p.step for p in run.loss_log() if p.kind == "train"]


@pytest.fixture(scope="module")
def stopped_and_resumed(tmp_path_factory):
    """Ctrl+C reaches torchrun and both workers mid-run, then ``--resume`` under torchrun finishes the run: the run
    store, the summary and log after the stop, and the resume's completed process."""
    folder = tmp_path_factory.mktemp("ddp")
    env = dict(os.environ, ABC_STUDIO_HOME=str(folder), OMP_NUM_THREADS="1")
    # --standalone: torchrun's own rendezvous on a port it binds itself (no port picked here and released first)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    store = RunStore(folder / "runs")
    first = subprocess.Popen([*torchrun, "-m", "studio", "train", "--preset", "tiny",
                              "--iterations", "100000", "--checkpoint-interval", "5", "--name", "ddp"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not (store.list() and len(train_steps(store.list()[0])) >= 8):  # waits on steps, not on the clock
            assert first.poll() is None and time.monotonic() < deadline, first.stderr.read()[-2000:]
            time.sleep(0.1)
        os.killpg(first.pid, signal.SIGINT)  # what Ctrl+C in the terminal does: the whole process group
        first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    run = store.list()[0]
    error = run.path / "error.txt"
    stopped = (run.summary(), train_steps(run), error.read_text() if error.exists() else "")
    target = stopped[0]["steps_done"] + 10
    resumed = subprocess.run([*torchrun, "-m", "studio", "train", "--resume", run.id,
                              "--iterations", str(target)], capture_output=True, text=True, env=env, timeout=300)
    return store, stopped, resumed, target


def test_two_process_gloo_run_writes_one_run(stopped_and_resumed):
    store, _, resumed, target = stopped_and_resumed
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    runs = store.list()
    assert len(runs) == 1
    summary = runs[0].summary()
    assert summary["world_size"] == 2 and summary["status"] == "finished"
    assert train_steps(runs[0]) == list(range(1, target + 1))
    assert runs[0].last_checkpoint.exists()


def test_ctrl_c_under_torchrun_stops_both_ranks_and_the_run_resumes(stopped_and_resumed):
    """The ranks agree to stop at one step (the run is 'stopped' with its checkpoint, not 'failed' by a rank that
    died mid-collective), and ``--resume`` under torchrun finishes it."""
    store, (summary, steps, error), resumed, target = stopped_and_resumed
    assert summary["status"] == "stopped", (summary, error)
    stopped_at = summary["steps_done"]
    assert stopped_at >= 8 and steps == list(range(1, stopped_at + 1))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    run = store.list()[0]
    assert run.summary()["status"] == "finished"
    assert train_steps(run) == list(range(1, target + 1))  # every step once: nothing lost, nothing repeated
