"""The Train tab's "Start from" row: train from nothing, or fine-tune the shipped model, a run or a model file.

``StartFromRow`` lists the choices (nothing, the shipped model, every run with a checkpoint, a model file...) and
says what the new run takes from the base. ``lock(form)`` makes the hyperparameter form follow it: with a base the
network's shape and the text level are the base's, shown and locked, and the Fine-tune preset is chosen; with
nothing they are free again. After a fine-tuning run starts, ``show_line_to_beat(chart, run)`` draws the base's
held-out loss on the new corpus across the chart; after it ends, ``score_forgetting(run)`` scores the run and its
base on the new collection and on the base's own held-out tunes (a worker thread) and shows them in the row.
The core does the work (:mod:`studio.core.learning.fine_tuning`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from studio.core.configs import BASE_FIELDS, PRESETS, SHAPE_FIELDS
from studio.core.paths import SHIPPED_MODEL
from studio.core.runs import RunStore
from studio.ui.widgets.threads import Worker, start_worker

NOTHING = "nothing (random weights)"
SHIPPED = "the shipped model"
A_FILE = "a model file..."
#: The form fields a base decides (locked while one is chosen).
LOCKED_FIELDS = BASE_FIELDS + ("tonic",)
FINE_TUNE_PRESET = "fine-tune"


class ForgettingWorker(Worker):
    """Scores a fine-tuned run and its base on the new collection and on the base's home collection."""

    def __init__(self, run):
        super().__init__()
        self.fine_tuned = run

    def work(self):
        from studio.core.quality.scoring import forgetting

        return forgetting(self.fine_tuned)


class StartFromRow(QWidget):
    """A combo of what to start from and a line saying what the run takes from it; ``base()`` loads it."""

    base_changed = Signal(object)  # the chosen Base, or None for nothing

    def __init__(self, store: RunStore, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self._base = None
        self._thread = None
        self.combo = QComboBox()
        self.combo.setToolTip("Train from random weights, or teach a trained model your own tunes: the new run "
                              "takes its network, text level and characters, and adds the characters it lacks")
        self.combo.activated.connect(self._chosen)
        self.info = QLabel("")  # what the run takes from the base
        self.info.setWordWrap(True)
        self.scores = QLabel("")  # after a fine-tuning run: it and its base, on the new and on the base's tunes
        self.scores.setWordWrap(True)
        choice = QHBoxLayout()
        choice.addWidget(QLabel("Start from"))
        choice.addWidget(self.combo, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(choice)
        layout.addWidget(self.info)
        layout.addWidget(self.scores)
        self.refresh()

    def refresh(self) -> None:
        """Lists the choices again (new runs), keeping the current one when it is still there."""
        current = self.combo.currentData()
        self.combo.clear()
        self.combo.addItem(NOTHING, "")
        if SHIPPED_MODEL.is_file():
            self.combo.addItem(SHIPPED, "shipped")
        for run in self.store.list():
            try:
                if run.best_checkpoint.exists() or run.last_checkpoint.exists():
                    self.combo.addItem(f"run: {run.name}", run.id)
            except Exception:  # noqa: BLE001 - an unreadable run is left out of the list, not the list
                continue
        self.combo.addItem(A_FILE, None)
        index = self.combo.findData(current) if current is not None else 0
        self.combo.setCurrentIndex(max(index, 0))

    def trainer_maker(self, corpus, model_config, train_config):
        """``make_trainer(listener)`` for a TrainingSession: a new run on ``corpus``, from the chosen base if any."""
        store, base = self.store, self._base

        def make_trainer(listener):
            from studio.core.learning.training import Trainer

            return Trainer.new(corpus, model_config, fine_tune_settings(train_config, base), store, None, listener,
                               base)

        return make_trainer

    def base(self):
        """The chosen base (studio.core.learning.fine_tuning.Base), or None to train from nothing."""
        return self._base

    def choose(self, spec: str) -> bool:
        """Chooses ``spec`` ('' for nothing, 'shipped', a run id or a model file path) as a user would."""
        index = self.combo.findData(spec)
        if index < 0:
            self.combo.insertItem(self.combo.count() - 1, f"file: {Path(spec).name}", spec)
            index = self.combo.findData(spec)
        self.combo.setCurrentIndex(index)
        return self._load(spec)

    def lock(self, form) -> None:
        """Makes ``form`` (a HyperparameterForm) show and lock what the base decides, from now on."""
        self.base_changed.connect(lambda base: _lock_form(form, base))

    def _chosen(self, _index: int) -> None:
        spec = self.combo.currentData()
        if spec is None:  # a model file...
            path, _ = QFileDialog.getOpenFileName(self, "Start from a model file", "", "Models (*.pt)")
            if not path:
                self.combo.setCurrentIndex(0)
                spec = ""
            else:
                self.choose(path)
                return
        self._load(spec)

    def _load(self, spec: str) -> bool:
        from studio.core.learning.fine_tuning import FineTuningError, describe_start, load_base

        if not spec:
            self._base = None
            self.info.setText("")
        else:
            try:
                self._base = load_base(spec, self.store)
            except FineTuningError as exc:
                self._base = None
                self.info.setText(str(exc))
                self.combo.setCurrentIndex(0)
                self.base_changed.emit(None)
                return False
            config = self._base.checkpoint.model_config
            self.info.setText(f"{describe_start(self._base.record('')).splitlines()[0]}: embedding "
                              f"{config.embedding_dim}, hidden {config.hidden_size}, {config.num_layers} layer(s), "
                              f"{config.clock + ' clock, ' if config.clock != 'none' else ''}"
                              f"{len(self._base.checkpoint.vocabulary)} characters (locked below)")
        self.base_changed.emit(self._base)
        return True

    # --- after a run -------------------------------------------------------------------------------------------

    def score_forgetting(self, run) -> None:
        """Scores a fine-tuned run beside its base (in the background) and shows it here; nothing for other runs."""
        if run is None or not run.meta().get("parent"):
            return
        self.scores.setText("Scoring the run and its base on your tunes and on the base's own held-out tunes...")
        self._thread = thread = start_worker(ForgettingWorker(run), self)
        thread.succeeded.connect(self._forgetting_scored)
        thread.failed.connect(lambda message: self.scores.setText(f"Could not score the run: {message}"))

    def _forgetting_scored(self, figures) -> None:
        from studio.core.learning.fine_tuning import describe_forgetting

        if figures:
            self.scores.setText(f"After fine-tuning, {describe_forgetting(figures)}")


def _lock_form(form, base) -> None:
    if base is not None:
        form.set_preset(FINE_TUNE_PRESET)
        taken = {name: getattr(base.checkpoint.model_config, name) for name in SHAPE_FIELDS}
        taken.update(text_level=base.text_level, tonic=base.checkpoint.train_config.tonic)
        for name, value in taken.items():
            form.set_value(name, str(value))
        form.preset_box.setCurrentText(next(k for k, v in _preset_labels().items() if v == FINE_TUNE_PRESET))
    for name in LOCKED_FIELDS:
        form.editors[name].setEnabled(base is None)
        form.editors[name].setToolTip("Taken from the model the run starts from" if base is not None else "")


def _preset_labels() -> dict:
    from studio.ui.train.hyperparameter_form import PRESET_LABELS

    return PRESET_LABELS


def fine_tune_settings(train_config, base):
    """The run's settings for a base: the Fine-tune preset's held-out share (the form has no field for it)."""
    if base is None:
        return train_config
    share = PRESETS[FINE_TUNE_PRESET][1].validation_fraction
    return replace(train_config, validation_fraction=max(train_config.validation_fraction, share))


def attach_start_from(panel) -> StartFromRow:
    """A Start-from row above ``panel``'s hyperparameter form (a TrainPanel), locking the form to the base, listing
    new runs when a run ends and scoring a fine-tuned run beside its base once it has."""
    row = StartFromRow(panel.store)
    panel.form.parentWidget().layout().insertWidget(0, row)
    row.lock(panel.form)
    panel.training_changed.connect(lambda training: None if training else row.refresh())
    panel.run_ended.connect(lambda result: row.score_forgetting(result.run))
    return row


def show_line_to_beat(chart, run) -> None:
    """Draws the base's held-out loss on the run's corpus across ``chart`` (a LossChart) for a fine-tuning run, and
    takes away the previous run's."""
    if getattr(chart, "line_to_beat", None) is not None:
        chart.plot.removeItem(chart.line_to_beat)
        chart.line_to_beat = None
    loss = (run.meta().get("parent") or {}).get("validation_loss") if run is not None else None
    if loss is None:
        return
    import pyqtgraph as pg
    from PySide6.QtCore import Qt

    line = pg.InfiniteLine(pos=loss, angle=0, movable=False, pen=pg.mkPen("#2ca25f", width=2, style=Qt.DashLine),
                           label=f"base, held out: {loss:.3f}", labelOpts={"position": 0.15, "color": "#2ca25f"})
    chart.plot.addItem(line)
    chart.line_to_beat = line
