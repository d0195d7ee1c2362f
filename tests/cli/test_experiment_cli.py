"""``python -m studio experiment`` as a user runs it: a tiny experiment to its report, and Ctrl-C mid-training."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio.core.abc.text import split_tunes
from studio.core.corpus import builtin_corpus_files

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "oneill-forty.abc"
    text = builtin_corpus_files("oneills1850")[0].read_bytes().decode("latin-1")
    path.write_text("\n\n".join(split_tunes(text)[:40]) + "\n", encoding="utf-8")
    return path


def experiment(home: Path, corpus: Path, iterations: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), ABC_STUDIO_HOME=str(home))
    return subprocess.Popen([sys.executable, "-m", "studio", "experiment", "--preset", "tiny", "--vary",
                             "batch_size=8,4", "--iterations", str(iterations), "--tunes", "1", "--threads", "1",
                             "--corpus", str(corpus), "--out", str(home / "experiments")],
                            env=env, cwd=str(PROJECT_ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_ctrl_c_mid_training_exits_130(tmp_path, small_corpus):
    process = experiment(tmp_path, small_corpus, 100_000)
    deadline = time.monotonic() + 240  # a guard against a stuck child, not a speed requirement
    while not any(len(log.read_text().splitlines()) > 3 for log in tmp_path.rglob("loss.csv")):
        assert process.poll() is None, process.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the experiment never started training"
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err[-2000:]
    assert "Traceback" not in err


def test_a_tiny_experiment_runs_to_its_report(tmp_path, small_corpus):
    process = experiment(tmp_path, small_corpus, 6)
    out, err = process.communicate(timeout=500)
    assert process.returncode == 0, err[-2000:]
    reports = list((tmp_path / "experiments").rglob("report.md"))
    assert len(reports) == 1
    text = reports[0].read_text(encoding="utf-8")
    assert "batch_size" in text
