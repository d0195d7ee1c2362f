"""Shared helpers for the Generate panel tests: real O'Neill tunes, a really trained tiny checkpoint, isolation."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from studio.core.abc.text import clean_tune, decode_abc_bytes, split_tunes  # noqa: E402


def oneill_tunes() -> list[str]:
    """The cleaned tunes of O'Neill's first file (music21's bundled corpus)."""
    from music21 import corpus

    path = next(p for p in corpus.getCorePaths(fileExtensions=("abc",)) if "oneills1850" in str(p))
    with open(path, "rb") as handle:
        return [clean_tune(t) for t in split_tunes(decode_abc_bytes(handle.read()))]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Runs and settings go to tmp_path, never to the user's folders."""
    monkeypatch.setenv("ABC_STUDIO_HOME", str(tmp_path / "home"))
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    yield


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> str:
    """A real checkpoint: the 'tiny' preset trained 30 steps on 60 O'Neill tunes."""
    from studio.core.corpus import load_corpus
    from studio.core.runs import RunStore
    from studio.core.training import Trainer, preset

    folder = tmp_path_factory.mktemp("tiny-model")
    book = folder / "tunes.abc"
    book.write_text("\n\n".join(oneill_tunes()[:60]) + "\n", encoding="utf-8")
    model_config, train_config = preset("tiny")
    train_config.iterations = 30
    train_config.validation_interval = 10
    train_config.checkpoint_interval = 10
    result = Trainer.new(load_corpus(str(book)), model_config, train_config, RunStore(folder / "runs"), "tiny").run()
    assert result.reason == "finished", result.error
    return str(result.run.last_checkpoint)


@pytest.fixture()
def panel(qtbot):
    """A Generate panel at a usual size that plays to the silent clock (the same on machines without sound)."""
    from studio.ui.generate.panel import GeneratePanel
    from studio.ui.generate.playback import CLOCK

    widget = GeneratePanel()
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.output_combo.setCurrentIndex(widget.output_combo.findData(CLOCK))
    yield widget
    widget.shutdown()
