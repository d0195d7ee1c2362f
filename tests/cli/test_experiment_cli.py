"""``python -m studio experiment`` as a user runs it: a tiny experiment to its reports (in-process), and Ctrl-C
mid-training (the real process: the smoke test of ``experiment``)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from studio.core.abc.text import split_tunes
from studio.core.learning.experiments import load_experiment
from support import oneills_first_file, start_studio


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "oneill-forty.abc"
    text = Path(oneills_first_file()).read_bytes().decode("latin-1")
    path.write_text("\n\n".join(split_tunes(text)[:40]) + "\n", encoding="utf-8")
    return path


def experiment_args(out: Path, corpus: Path, iterations: int) -> list[str]:
    return ["experiment", "--preset", "tiny", "--vary", "batch_size=8,4", "--iterations", str(iterations), "--tunes",
            "1", "--threads", "1", "--corpus", str(corpus), "--out", str(out)]


def test_ctrl_c_mid_training_exits_130(home, small_corpus):
    process = start_studio(*experiment_args(home / "experiments", small_corpus, 100_000), home=home)
    deadline = time.monotonic() + 240  # a guard against a stuck child, not a speed requirement
    while not any(len(log.read_text().splitlines()) > 3 for log in home.rglob("loss.csv")):
        assert process.poll() is None, process.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the experiment never started training"
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err[-2000:]
    assert "Traceback" not in err


def test_a_tiny_experiment_runs_to_its_reports(cli, home, small_corpus):
    done = cli(*experiment_args(home / "experiments", small_corpus, 6))
    assert done.returncode == 0, done.stderr[-2000:]
    [folder] = [p.parent for p in (home / "experiments").glob("*/results.json")]
    page = folder / "report.html"
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith(f"finished; report: {page} (") and "MB, written in" in last
    result = load_experiment(folder)
    assert result.status == "finished" and [arm.label for arm in result.arms] == ["batch_size=8", "batch_size=4"]
    assert [arm.reason for arm in result.arms] == ["finished", "finished"]
    assert [len(arm.tune_metrics) for arm in result.arms] == [1, 1]  # --tunes 1
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert "| batch_size | 8 | 4 |" in markdown  # the variable, and only it, differs
    rows = {line.split("|")[1].strip(): line for line in markdown.splitlines() if line.startswith("| batch_size=")}
    for arm in result.arms:  # each run's row: its steps and its final loss as results.json has them
        assert f"| {arm.curve['steps']} |" in rows[arm.label] and f"{arm.curve['final_loss']:.3f}" in rows[arm.label]
    assert page.read_text(encoding="utf-8").count('<article class="tune"') == 1 + 1 + 3  # + the three temperatures
