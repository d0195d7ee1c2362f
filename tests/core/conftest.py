"""Fixtures for the headless core tests (the real corpus, the tiny trained run and experiment and the shipped model
are the session's, in tests/conftest.py)."""

from __future__ import annotations

import pytest

from studio.core.notation import NotationRenderer
from studio.core.runs import RunStore
from studio.core.training import preset


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


@pytest.fixture()
def store(tmp_path):
    return RunStore(tmp_path / "runs")


@pytest.fixture(scope="session")
def renderer():
    """One crash-safe verovio child process shared by the notation and MIDI tests."""
    with NotationRenderer() as r:
        yield r
