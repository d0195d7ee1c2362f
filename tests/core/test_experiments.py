"""Experiments: curve statistics on planted spikes, spec checks, and a real two-run experiment of the tiny preset."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from studio.core.learning.experiment_spec import ExperimentError, ExperimentSpec, parse_values
from studio.core.learning.experiments import load_experiment
from studio.core.quality.curves import curve_stats
from studio.core.runs import LossPoint

from support import oneills_first_file


def _decaying_log(steps=300, noise=0.02, seed=1):
    rng = random.Random(seed)
    return [LossPoint(s, "train", 1.5 + 2.5 * math.exp(-s / 60) + rng.gauss(0, noise), s * 0.1)
            for s in range(1, steps + 1)]


def test_curve_stats_find_the_planted_spike():
    points = _decaying_log()
    points[209] = LossPoint(210, "train", points[209].value + 0.8, points[209].elapsed)
    points.append(LossPoint(300, "validation", 1.7, 30.0))
    points.append(LossPoint(200, "validation", 1.9, 20.0))
    stats = curve_stats(points)
    assert stats.spike_step == 210
    assert stats.spike_height == pytest.approx(0.8, abs=0.1)
    assert stats.best_validation_loss == 1.7
    assert stats.final_loss == pytest.approx(1.5 + 2.5 * math.exp(-275 / 60), abs=0.05)
    assert stats.steps == 300


def test_oscillation_grows_with_noise():
    calm = curve_stats(_decaying_log(noise=0.01)).oscillation
    rough = curve_stats(_decaying_log(noise=0.1)).oscillation
    assert rough > 5 * calm
    assert rough == pytest.approx(0.1, rel=0.3)


def test_parse_values_types_and_mistakes():
    assert parse_values("batch_size", "8, 4") == [8, 4]
    assert parse_values("temperature", "0.8,1") == [0.8, 1.0]
    assert parse_values("lr_schedule", "constant, cosine") == ["constant", "cosine"]
    for variable, text in (("batch_size", "8"), ("batch_size", "8,x"), ("batch_size", "8,8"), ("colour", "1,2")):
        with pytest.raises(ExperimentError):
            parse_values(variable, text)


def test_spec_rejects_values_outside_the_limits():
    with pytest.raises(ExperimentError, match="batch_size"):
        ExperimentSpec("batch_size", [8, 0], preset="tiny").check()
    with pytest.raises(ExperimentError, match="preset"):
        ExperimentSpec("batch_size", [8, 4], preset="huge").check()
    with pytest.raises(ExperimentError, match="lr_schedule"):
        ExperimentSpec("lr_schedule", ["constant", "step"], preset="tiny").check()


def test_experiment_trains_samples_and_scores_each_value(tiny_experiment):
    result, recorder = tiny_experiment
    assert result.status == "finished"
    assert [a.label for a in result.arms] == ["batch_size=8", "batch_size=4"]
    assert [a.train_config["batch_size"] for a in result.arms] == [8, 4]
    assert result.arms[0].train_config["seed"] == result.arms[1].train_config["seed"]
    trained_in = {json.loads((Path(arm.run_path) / "run.json").read_text())["precision"] for arm in result.arms}
    assert len(trained_in) == 1  # auto measures per shape; the arms share the first arm's choice
    for arm in result.arms:
        assert arm.reason == "finished"
        assert arm.curve["steps"] == 20
        assert arm.curve["best_validation_loss"] is not None
        assert len(arm.tune_metrics) == 3
        assert arm.set_metrics["count"] == 3
        assert 0.0 <= arm.set_metrics["mean_overlap"] <= 1.0
    assert [e for e in recorder.events if e[0] == "arm"] == [("arm", 0, 2, "batch_size=8"),
                                                             ("arm", 1, 2, "batch_size=4")]
    assert ("step", 1, 20) in recorder.events
    assert result.baseline["mean_overlap"] > 0.5
    from studio.core.quality.scoring import score_corpus  # the arm's held-out figure is the one `score` reports
    from studio.core.runs import Run

    for arm in result.arms:
        run = Run(Path(arm.run_path))
        assert arm.held_out_per_note == score_corpus(run.best_checkpoint, result.spec.corpus, run=run).nats_per_note
    assert result.arms[0].held_out_per_note != result.arms[1].held_out_per_note


def test_experiment_folder_reloads(tiny_experiment):
    result, _ = tiny_experiment
    again = load_experiment(result.folder)
    assert again.spec == result.spec
    assert [a.curve for a in again.arms] == [a.curve for a in result.arms]
    assert len(again.arms[1].loss_log()) > 20


def test_load_experiment_of_an_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ExperimentError, match="results.json"):
        load_experiment(tmp_path)


def test_temperature_experiment_trains_once_and_samples_at_each_value(tmp_path):
    from studio.core.learning.experiments import run_experiment
    from studio.core.runs import RunStore

    path = oneills_first_file()
    spec = ExperimentSpec("temperature", [0.5, 1.5], preset="tiny", corpus=path, iterations=10, tunes_per_run=2,
                          max_length=300)
    store = RunStore(tmp_path / "runs")
    result = run_experiment(spec, store=store, root=tmp_path / "experiments")
    assert result.status == "finished"
    assert len(store.list()) == 1
    assert result.arms[0].run_id == result.arms[1].run_id
    assert [a.temperature for a in result.arms] == [0.5, 1.5]
    assert "temperature=0.5" in open(result.arms[0].samples_file, encoding="utf-8").read()
    assert result.arms[0].samples_file != result.arms[1].samples_file
