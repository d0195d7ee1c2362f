"""A real two-run experiment shared by the experiment and report tests (tiny preset, batch 8 vs 4)."""

from __future__ import annotations

import pytest

from studio.core.experiments import ExperimentListener, ExperimentSpec, run_experiment
from studio.core.runs import RunStore


class _Recorder(ExperimentListener):
    def __init__(self):
        self.events = []

    def on_arm_started(self, index, total, label):
        self.events.append(("arm", index, total, label))

    def on_phase(self, index, phase):
        self.events.append(("phase", index, phase))

    def on_step(self, index, step, loss, total_steps):
        self.events.append(("step", index, step))


@pytest.fixture(scope="module")
def tiny_experiment(tmp_path_factory):
    """Two real tiny runs (batch 8 vs 4, 20 steps) on one O'Neill's file, 3 tunes each."""
    from music21 import corpus

    path = sorted(str(p) for p in corpus.getCorePaths(fileExtensions=("abc",)) if "oneills1850" in str(p))[0]
    root = tmp_path_factory.mktemp("experiment")
    spec = ExperimentSpec("batch_size", [8, 4], preset="tiny", corpus=path, iterations=20, tunes_per_run=3,
                          max_length=400, overrides={"validation_interval": 10})
    recorder = _Recorder()
    result = run_experiment(spec, store=RunStore(root / "runs"), root=root / "experiments", listener=recorder)
    return result, recorder


