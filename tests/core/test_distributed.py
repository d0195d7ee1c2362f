"""``python -m studio train`` under torchrun: two CPU processes with gloo write one run, from rank 0; Ctrl+C stops
both ranks at one step and ``--resume`` finishes the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from studio.core.runs import RunStore


def test_two_process_gloo_run_writes_one_run(tmp_path):
    env = dict(os.environ, ABC_STUDIO_HOME=str(tmp_path), OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "studio", "train", "--preset", "tiny", "--iterations", "20", "--name", "ddp"]
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    runs = RunStore(tmp_path / "runs").list()
    assert len(runs) == 1
    summary = runs[0].summary()
    assert summary["world_size"] == 2 and summary["status"] == "finished"
    steps = [p.step for p in runs[0].loss_log() if p.kind == "train"]
    assert steps == list(range(1, 21))
    assert runs[0].last_checkpoint.exists()


def train_steps(run) -> list[int]:
    return [p.step for p in run.loss_log() if p.kind == "train"]


def test_ctrl_c_under_torchrun_stops_both_ranks_and_the_run_resumes(tmp_path):
    """Ctrl+C reaches torchrun and both workers: the ranks agree to stop at one step (the run is 'stopped' with its
    checkpoint, not 'failed' by a rank that died mid-collective), and ``--resume`` under torchrun finishes it."""
    env = dict(os.environ, ABC_STUDIO_HOME=str(tmp_path), OMP_NUM_THREADS="1")
    # --standalone: torchrun's own rendezvous on a port it binds itself (no port picked here and released first)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    store = RunStore(tmp_path / "runs")
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
    summary = run.summary()
    error = run.path / "error.txt"
    assert summary["status"] == "stopped", (summary, error.read_text() if error.exists() else "")
    stopped_at = summary["steps_done"]
    assert stopped_at >= 8 and train_steps(run) == list(range(1, stopped_at + 1))
    target = stopped_at + 10
    resumed = subprocess.run([*torchrun, "-m", "studio", "train", "--resume", run.id,
                              "--iterations", str(target)], capture_output=True, text=True, env=env, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert run.summary()["status"] == "finished"
    assert train_steps(run) == list(range(1, target + 1))  # every step once: nothing lost, nothing repeated
