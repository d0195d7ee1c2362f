"""Fixtures for the headless core tests (the real corpus, the tiny trained run and experiment and the shipped model
are the session's, in tests/conftest.py)."""

from __future__ import annotations

import pytest
import torch

from studio.core.configs import ModelConfig, preset
from studio.core.engraving.notation import NotationRenderer
from studio.core.generation.sampling import Sampler
from studio.core.network.model import CharLSTM
from studio.core.network.vocabulary import Vocabulary
from studio.core.runs import RunStore

#: The shipped model's characters; the pinned random model uses them.
CHARS = '\n !"#\'()*+,-./0123456789:<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_abcdefghijklmnopqrstuvwxyz{|}~'


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
def random_sampler():
    """A tiny untrained model with fixed weights: it writes pure noise, the hardest case for the masks."""
    torch.manual_seed(1234)
    vocabulary = Vocabulary(CHARS)
    model = CharLSTM(ModelConfig(vocab_size=len(vocabulary), embedding_dim=16, hidden_size=32))
    with torch.no_grad():
        model.head.weight.mul_(8.0)
    return Sampler(model, vocabulary)


@pytest.fixture()
def store(tmp_path):
    return RunStore(tmp_path / "runs")


@pytest.fixture(scope="session")
def renderer():
    """One crash-safe verovio child process shared by the notation and MIDI tests."""
    with NotationRenderer() as r:
        yield r


@pytest.fixture(scope="session")
def forty_oneills(oneills, tmp_path_factory):
    """Every 50th of O'Neill's tunes (41 tunes in many keys) as a corpus file of its own: a small real corpus."""
    from studio.core.corpus import load_corpus

    path = tmp_path_factory.mktemp("forty") / "forty.abc"
    path.write_text("\n\n".join(t.text for t in oneills.tunes[::50]) + "\n", encoding="utf-8")
    return load_corpus(path)

