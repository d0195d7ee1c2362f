""""Same seed at 0.5 / 1.0 / 1.5": three tunes from the same random draws, side by side with their metrics.

``TemperatureComparison(checkpoint_path, config, parent)`` is a small non-modal dialog; ``start()`` runs
``studio.core.network.inspection.compare_temperatures`` on a background thread (the form's seed, or a fresh one when the form
draws a random seed; its primer and length) and fills one column per temperature: the tune and its metrics
(valid, bars that add up, repeated bars, pitch range, pitch-class entropy, the model's entropy along the tune).
``succeeded(list[TemperatureTune])`` is emitted when the columns are filled.
"""

from __future__ import annotations

import random

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QPlainTextEdit

from studio.core.configs import SamplingConfig
from studio.core.network.inspection import COMPARED_TEMPERATURES
from studio.ui.widgets.threads import BackgroundCall


def compare_with_checkpoint(checkpoint_path: str, seed: int, config: SamplingConfig):
    from studio.core.network.inspection import compare_temperatures
    from studio.ui.generate.sampling_worker import load_sampler

    return compare_temperatures(load_sampler(checkpoint_path), seed, COMPARED_TEMPERATURES, primer=config.primer,
                                max_length=config.max_length, top_k=config.top_k)


def metrics_text(tune) -> str:
    """The lines under one tune of the comparison."""
    m, v = tune.metrics, tune.validation
    bars = (f"{v.bars_checked - v.bars_failed} of {v.bars_checked} bars add up" if v.bars_checked
            else "no bars checked")
    return "\n".join([
        f"valid ABC: {'yes' if m.valid else 'no'}{'' if tune.complete else ' (cut at the length limit)'}",
        bars,
        f"repeated bars: {m.repeated_bar_share:.0%}",
        f"pitch range: {m.pitch_range} semitones",
        f"pitch-class entropy: {m.pitch_class_entropy:.2f} bits",
        f"model's entropy: {tune.mean_entropy_bits:.2f} bits/char",
        f"surprise at T=1: {tune.mean_surprise_bits:.2f} bits/char",
    ])


class TemperatureComparison(QDialog):
    """The comparison dialog (see the module docstring)."""

    succeeded = Signal(object)

    def __init__(self, checkpoint_path: str, config: SamplingConfig, parent=None):
        super().__init__(parent)
        self.checkpoint_path = checkpoint_path
        self.config = config
        self.seed = config.seed if config.seed is not None else random.randrange(2**31)
        self.setWindowTitle(f"Same seed ({self.seed}) at " + " / ".join(f"{t:g}" for t in COMPARED_TEMPERATURES))
        self.resize(1000, 560)
        font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        layout = QGridLayout(self)
        self.status = QLabel(f"Writing one tune at each temperature from seed {self.seed}...")
        layout.addWidget(self.status, 0, 0, 1, len(COMPARED_TEMPERATURES))
        self.texts, self.metrics = [], []
        for column, temperature in enumerate(COMPARED_TEMPERATURES):
            head = QLabel(f"<b>T = {temperature:g}</b>")
            text = QPlainTextEdit()
            text.setReadOnly(True)
            text.setFont(font)
            text.setLineWrapMode(QPlainTextEdit.NoWrap)
            metrics = QLabel()
            metrics.setStyleSheet("font-family: monospace;")
            layout.addWidget(head, 1, column)
            layout.addWidget(text, 2, column)
            layout.addWidget(metrics, 3, column)
            self.texts.append(text)
            self.metrics.append(metrics)
        layout.setRowStretch(2, 1)
        self.tunes = []
        self._call = None

    def start(self) -> None:
        self._call = BackgroundCall(compare_with_checkpoint, self.checkpoint_path, self.seed, self.config,
                                    parent=self)
        self._call.succeeded.connect(self._show)
        self._call.failed.connect(self._failed)
        self._call.start()

    def _show(self, tunes: list) -> None:
        self.tunes = tunes
        for tune, text, metrics in zip(tunes, self.texts, self.metrics):
            text.setPlainText(tune.text)
            metrics.setText(metrics_text(tune))
        self.status.setText(f"Seed {self.seed}: the same random draws read through a sharper (0.5) or flatter (1.5) "
                            "distribution.")
        self.succeeded.emit(tunes)

    def _failed(self, message: str) -> None:
        self.status.setText(f"The comparison failed: {message}")
