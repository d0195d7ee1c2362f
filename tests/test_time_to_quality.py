"""bench/time_to_quality.py: the lab's recipe and the shipped model's trained side by side at the smoke scale, its
points.csv and result.json read back; and how it finds the time a curve reaches a score."""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "time_to_quality.py"


def _bench():
    spec = importlib.util.spec_from_file_location("time_to_quality", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


DEFAULT_UNTIL = 4


@pytest.fixture(scope="module")
def time_to_quality_smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("time-to-quality")
    # the default stops after step 4 of its 6 (the shipped model's 3,400 / 500)
    result = subprocess.run([sys.executable, str(SCRIPT), "--scale", "smoke", "--out", str(out), "--default-until",
                             str(DEFAULT_UNTIL)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    with open(out / "points.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return out, rows, json.loads((out / "result.json").read_text()), result.stdout


def test_both_recipes_leave_a_curve_of_held_out_scores_against_training_seconds(time_to_quality_smoke):
    out, rows, result, printed = time_to_quality_smoke
    assert {row["recipe"] for row in rows} == {"lab", "default"}
    lines = printed.splitlines()
    curves = lines[lines.index("| recipe | step | train wall s | train CPU s | nats/char | nats/note |") + 2:]
    table = [line.strip("| ").split(" | ") for line in curves[:curves.index("")]]
    assert [(cells[0], cells[1]) for cells in table] == [(row["recipe"], row["step"]) for row in rows]
    for cells, row in zip(table, rows):
        assert [float(c) for c in cells[2:]] == pytest.approx(
            [float(row[k]) for k in ("train_wall_s", "train_cpu_s", "nats_per_char", "nats_per_note")], abs=0.051)
    for name in ("lab", "default"):
        curve = [row for row in rows if row["recipe"] == name]
        last = {"lab": result["recipes"][name]["train_config"]["iterations"], "default": DEFAULT_UNTIL}[name]
        assert [int(row["step"]) for row in curve] == [last // 2, last]  # two points at the smoke scale
        assert result["recipes"][name]["stopped_at_step"] == (DEFAULT_UNTIL if name == "default" else None)
        for clock in ("train_wall_s", "train_cpu_s"):
            seconds = [float(row[clock]) for row in curve]
            assert 0 < seconds[0] < seconds[1]
        for row in curve:
            per_char, per_note = float(row["nats_per_char"]), float(row["nats_per_note"])
            assert math.isfinite(per_note) and per_note > per_char > 0  # a melody note takes more than a character
        assert not list((out / f"snapshots-{name}").glob("*.pt"))  # scored, then deleted
    assert result["same_validation_tunes"]


def test_the_recipes_are_the_labs_and_the_shipped_models(time_to_quality_smoke):
    from studio.core.network.checkpoints import load_checkpoint
    from studio.core.paths import SHIPPED_MODEL

    _, _, result, _ = time_to_quality_smoke
    lab, default = result["recipes"]["lab"], result["recipes"]["default"]
    assert (lab["precision"], lab["threads"]) == ("fp32", 1)
    lab_settings = {k: lab["train_config"][k] for k in ("text_level", "context", "batch_size", "seq_length",
                                                         "learning_rate", "lr_schedule", "augment_keys")}
    assert lab_settings == {"text_level": "raw", "context": "window", "batch_size": 8, "seq_length": 100,
                            "learning_rate": 5e-3, "lr_schedule": "constant", "augment_keys": []}
    assert lab["model_config"]["dropout"] == 0.0
    shipped = load_checkpoint(SHIPPED_MODEL)
    kept = ("text_level", "context", "batch_size", "seq_length", "learning_rate", "lr_schedule", "seed", "tonic")
    assert {k: default["train_config"][k] for k in kept} == {k: getattr(shipped.train_config, k) for k in kept}
    assert default["train_config"]["precision"] == "auto"  # what a new run of the recipe gets on this machine
    assert default["precision"] in ("fp32", "bf16")
    assert tuple(default["train_config"]["augment_keys"]) == shipped.train_config.augment_keys
    assert default["model_config"]["dropout"] == shipped.model_config.dropout
    # the smoke scale shrinks the steps by the same factor for both (the default's schedule too, stopped early)
    assert lab["train_config"]["iterations"] == 3000 // 500
    assert default["train_config"]["iterations"] == shipped.train_config.iterations // 500


def test_the_comparison_is_read_off_the_curves(time_to_quality_smoke):
    _, rows, result, printed = time_to_quality_smoke
    lab = [row for row in rows if row["recipe"] == "lab"]
    target = result["target_nats_per_note"]
    assert target == pytest.approx(float(lab[-1]["nats_per_note"]), abs=1e-5)  # the lab's final score
    assert result["lab_train_wall_s"] == pytest.approx(float(lab[-1]["train_wall_s"]), abs=1e-3)
    assert result["lab_train_cpu_s"] == pytest.approx(float(lab[-1]["train_cpu_s"]), abs=1e-3)
    for name, reached in result["reached"].items():
        curve = [row for row in rows if row["recipe"] == name]
        if reached["seconds"] is None:
            assert all(float(row["nats_per_note"]) > target + 1e-5 for row in curve)
            assert reached["cpu_seconds"] is None
            continue
        first = next(row for row in curve if float(row["nats_per_note"]) <= target + 1e-5)
        assert int(first["step"]) == reached["first_step_at_or_under"]
        for clock, key, lab_total, share in (("train_wall_s", "seconds", "lab_train_wall_s", "share_of_lab_wall"),
                                             ("train_cpu_s", "cpu_seconds", "lab_train_cpu_s", "share_of_lab_cpu")):
            assert reached[key] <= float(first[clock]) + 1e-3
            assert reached[share] == pytest.approx(reached[key] / result[lab_total])
    assert result["ratio_default_to_lab"] == result["reached"]["default"]["share_of_lab_wall"]
    assert result["ratio_default_to_lab_cpu"] == result["reached"]["default"]["share_of_lab_cpu"]
    assert f"the lab's final score: {target:.4f} nats per melody note" in printed


def test_time_to_reach_is_linear_between_the_points_around_the_crossing():
    time_to_reach = _bench().time_to_reach
    curve = [{"step": 100, "train_wall_s": 10.0, "nats_per_note": 4.0},
             {"step": 200, "train_wall_s": 20.0, "nats_per_note": 3.0},
             {"step": 300, "train_wall_s": 40.0, "nats_per_note": 2.0},
             {"step": 400, "train_wall_s": 50.0, "nats_per_note": 2.5}]
    assert time_to_reach(curve, 2.5) == (30.0, 300)  # halfway from 3.0 at 20 s to 2.0 at 40 s
    assert time_to_reach(curve, 3.0) == (20.0, 200)
    assert time_to_reach(curve, 5.0) == (10.0, 100)  # the first point already: its own time
    assert time_to_reach(curve, 1.9) == (None, None)
    assert time_to_reach(list(reversed(curve)), 2.5) == (30.0, 300)  # taken by step, whatever the order
    on_cpu = [dict(point, train_cpu_s=point["train_wall_s"] / 2) for point in curve]
    assert time_to_reach(on_cpu, 2.5, "train_cpu_s") == (15.0, 300)


def test_snapshot_steps_end_at_the_last_step():
    snapshot_steps = _bench().snapshot_steps
    assert snapshot_steps(3000, 30)[:3] == [100, 200, 300] and snapshot_steps(3000, 30)[-1] == 3000
    assert snapshot_steps(3400, 30)[-1] == 3400 and len(snapshot_steps(3400, 30)) == 30
    assert snapshot_steps(3, 30) == [1, 2, 3]
