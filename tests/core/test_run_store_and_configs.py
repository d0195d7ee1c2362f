"""The run store on real folders (delete, rename, torn log lines, name clashes) and the settings' range checks."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from studio.core.configs import ModelConfig, SamplingConfig, TrainConfig, settings_of
from studio.core.runs import LossPoint, RunStore, RunStoreError


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs")


def new_run(store, name="jigs"):
    return store.create(name, {"status": "created"}, {"corpus": "test"})


def mark_training(run, pid: int) -> None:
    """What a training process leaves while it runs: status running and its pid in run.lock."""
    run.update_meta(status="running")
    (run.path / "run.lock").write_text(str(pid))


def test_delete_refuses_a_run_that_is_training(store):
    run = new_run(store)
    trainer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        mark_training(run, trainer.pid)
        with pytest.raises(RunStoreError, match="still training: stop it first"):
            store.delete(run.id)
        assert run.path.is_dir()
    finally:
        trainer.kill()
        trainer.wait()
    assert run.status() == "interrupted"  # its process is gone: the lock no longer protects it
    store.delete(run.id)
    assert not run.path.exists() and store.list() == []


def test_rename_refuses_an_empty_name_and_trims_a_real_one(store):
    run = new_run(store, "first name")
    for empty in ("", "   ", "\t\n"):
        with pytest.raises(RunStoreError, match="non-empty name"):
            store.rename(run.id, empty)
    assert store.open(run.id).name == "first name"
    assert store.rename(run.id, "  reels, take 2 ").name == "reels, take 2"
    assert store.open(run.id).name == "reels, take 2"


def test_a_torn_last_line_of_the_loss_log_is_skipped(store):
    run = new_run(store)
    for step in (1, 2, 3):
        run.append_loss(LossPoint(step, "train", 3.0 - step / 10, step * 0.5))
    run.close_log()
    with open(run.path / "loss.csv", "a", encoding="utf-8") as log:
        log.write("4,train,2.6")  # the process was killed while writing step 4
    assert [p.step for p in run.loss_log()] == [1, 2, 3]
    assert run.summary()["steps_done"] == 3 and run.summary()["last_loss"] == pytest.approx(2.7)
    with open(run.path / "loss.csv", "a", encoding="utf-8") as log:
        log.write("4,tr")
    assert [p.step for p in run.loss_log()] == [1, 2, 3]


def test_runs_with_the_same_name_in_the_same_second_get_a_suffix(store, monkeypatch):
    import datetime as real

    class Frozen(real.datetime):  # the clock stands still: all three runs are made in the same second
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 12, 3, 15, 4, 5, tzinfo=tz)

    monkeypatch.setattr("studio.core.runs.datetime", Frozen)
    runs = [new_run(store, "same name") for _ in range(3)]
    base = "20261203-150405-same-name"
    assert [r.id for r in runs] == [base, f"{base}-2", f"{base}-3"]
    assert all(r.name == "same name" for r in store.list())


# --- settings ---------------------------------------------------------------------------------------------------

def test_from_dict_ignores_keys_it_does_not_know():
    model = ModelConfig.from_dict({**ModelConfig(hidden_size=64).to_dict(), "from_a_newer_version": 1})
    assert model == ModelConfig(hidden_size=64)
    train = TrainConfig.from_dict({"batch_size": 4, "unknown": "x", "iterations": 7})
    assert (train.batch_size, train.iterations) == (4, 7)
    assert train.text_level == "raw"  # a file from before text levels trained on the raw text


def out_of_range(low, high):
    """Values just outside a (low, high) range, of the field's own type."""
    step = 1 if isinstance(low, int) and isinstance(high, int) else max(abs(high - low) * 1e-3, 1e-9)
    return low - step, high + step


@pytest.mark.parametrize("config_class", [ModelConfig, TrainConfig])
def test_each_limit_accepts_its_ends_and_rejects_what_lies_outside(config_class):
    base = config_class()
    assert base.problems() == {}
    for name, (low, high) in ((s.name, s.about.limits) for s in settings_of(config_class) if s.about.limits):
        for inside in (low, high):
            assert dataclasses.replace(base, **{name: inside}).problems() == {}, (name, inside)
        for outside in out_of_range(low, high):
            problems = dataclasses.replace(base, **{name: outside}).problems()
            assert list(problems) == [name], (name, outside)
            assert problems[name] == f"must be between {low:g} and {high:g}"


@pytest.mark.parametrize("config_class", [ModelConfig, TrainConfig])
def test_each_choice_rejects_an_unknown_value_naming_the_allowed_ones(config_class):
    for name, allowed in ((s.name, s.about.choices) for s in settings_of(config_class) if s.about.choices):
        problems = dataclasses.replace(config_class(), **{name: "nonsense"}).problems()
        assert list(problems) == [name] and all(choice in problems[name] for choice in allowed)


@pytest.mark.parametrize("field, value, message", [
    ("temperature", 0.0, "between 0.01 and 10"), ("temperature", 10.5, "between 0.01 and 10"),
    ("top_k", 0, "at least 1"), ("max_length", 0, "between 1 and 100000"), ("max_length", 100_001, "100000"),
    ("count", 0, "between 1 and 256"), ("count", 257, "between 1 and 256"), ("bars", "loose", "strict"),
    ("form", "ABA", "AABB"), ("strain_bars", 12, "8"),
])
def test_sampling_settings_reject_out_of_range_values_with_a_message(field, value, message):
    assert SamplingConfig().problems() == {}
    problems = SamplingConfig(**{field: value}).problems()
    assert list(problems) == [field] and message in problems[field]


def test_an_unwritable_runs_folder_is_a_clear_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("running as root: permissions do not stop root from writing")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(RunStoreError, match="not writable"):
            RunStore(locked).create("x", {}, {})
    finally:
        locked.chmod(0o700)
