"""Fixtures for the headless core tests: the real O'Neill corpus and a tiny model trained on it."""

from __future__ import annotations

import pytest

from studio.core.corpus import load_corpus
from studio.core.notation import NotationRenderer
from studio.core.runs import RunStore
from studio.core.training import Trainer, preset


@pytest.fixture(scope="session")
def oneills():
    return load_corpus("oneills1850")


def tiny_configs(iterations=60, **train_overrides):
    model_config, train_config = preset("tiny")
    train_config.iterations = iterations
    for key, value in train_overrides.items():
        setattr(train_config, key, value)
    return model_config, train_config


@pytest.fixture(name="tiny_configs")
def tiny_configs_fixture():
    """The tiny preset with overrides: ``tiny_configs(iterations, **train_config_fields)``."""
    return tiny_configs


@pytest.fixture(scope="session")
def trained_run(oneills, tmp_path_factory):
    """A real run: the tiny preset trained for 150 steps on O'Neill's, with checkpoints on disk. On random windows:
    the tests that read it compare the trainer's window validation with ``score --method windows``, and sample from
    it at seeds chosen for what that model writes (stream runs: test_stream_training.py)."""
    store = RunStore(tmp_path_factory.mktemp("runs"))
    model_config, train_config = tiny_configs(150, learning_rate=1e-2, context="window")
    result = Trainer.new(oneills, model_config, train_config, store, "fixture").run()
    assert result.reason == "finished", result.error
    return result.run


@pytest.fixture()
def store(tmp_path):
    return RunStore(tmp_path / "runs")


@pytest.fixture(scope="session")
def renderer():
    """One crash-safe verovio child process shared by the notation and MIDI tests."""
    with NotationRenderer() as r:
        yield r
