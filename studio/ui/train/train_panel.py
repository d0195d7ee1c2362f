"""The Train tab: pick a corpus, set hyperparameters, Train / Pause / Resume / Stop, and watch the live loss chart.

The left column holds the corpus picker (with a button that shows what the chosen text level changes), the
hyperparameter form (its Text control picks the text level), the run controls and a progress bar (step, steps per
second, time left). A corpus not yet written at the chosen text level is rewritten first on a worker thread (about a
minute for O'Neill's the first time, then cached; the progress bar counts the tunes), and training starts after it.
The right side holds the live chart and the run history (``RunsPanel``). Training runs in a
``TrainingSession`` (a QThread around the core Trainer); the chart pulls per-step points from it on its redraw
timer. ``stop_and_wait()`` is what the window calls when it closes: the run is stopped and kept.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGroupBox, QHBoxLayout, QInputDialog, QLabel, QProgressBar, QPushButton, QScrollArea, QSplitter, QTabWidget,
    QVBoxLayout, QWidget,
)

from studio.core.abc.key_moves import tonic_clause
from studio.core.learning.early_stopping import STOPPED_EARLY
from studio.core.runs import RunStore
from studio.ui.run_history.runs_panel import RunsPanel
from studio.ui.train.corpus_picker import CorpusPicker
from studio.ui.train.hyperparameter_form import HyperparameterForm
from studio.ui.train.run_problem_banner import RunProblemBanner
from studio.ui.train.start_from import attach_start_from, show_line_to_beat
from studio.ui.train.text_level_report import TextLevelDialog, TextLevelWorker
from studio.ui.train.training_worker import TrainingSession
from studio.ui.widgets.deferred import DeferredWidget
from studio.ui.widgets.threads import start_worker


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class TrainPanel(QWidget):
    """Starts, pauses, resumes and stops training runs and shows them live; holds the run history."""

    status_changed = Signal(str)
    training_changed = Signal(bool)  # a run started (True) or its thread ended (False)
    checkpoint_saved = Signal(str, str)  # checkpoint path, label for the Generate tab's model picker
    run_ended = Signal(object)  # core TrainingResult

    def __init__(self, store: RunStore | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store or RunStore()
        self.session: TrainingSession | None = None
        self._run = None
        self._iterations = 0
        self._started_at_step = 0
        self._leveled: dict[tuple[str, str], object] = {}  # (raw corpus identity, level) -> corpus at that level
        self._rewriting = None  # the WorkerThread writing a corpus at a text level

        self.corpus_picker = CorpusPicker()
        self.corpus_picker.corpus_loaded.connect(self._corpus_loaded)
        self.corpus_picker.failed.connect(lambda message: self._say(f"Corpus not loaded: {message}", error=True))
        self.corpus_picker.loading_started.connect(lambda _spec: self._update_controls())
        self.form = HyperparameterForm()
        self.form.validity_changed.connect(lambda _valid: self._update_controls())

        self.train_button = QPushButton("Train")
        self.train_button.setToolTip("Start a new run with these settings (Ctrl+Return)")
        self.train_button.setShortcut("Ctrl+Return")
        self.pause_button = QPushButton("Pause")
        self.resume_button = QPushButton("Resume")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current step; the run and its checkpoint are kept")
        self.train_button.clicked.connect(self.start_training)
        self.pause_button.clicked.connect(self.pause)
        self.resume_button.clicked.connect(self.resume)
        self.stop_button.clicked.connect(self.stop)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("ready to train")  # "step %v of %m" once a run starts
        self.speed_label = QLabel("")
        self.speed_label.setWordWrap(True)
        self.message = QLabel("")
        self.message.setWordWrap(True)

        controls = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.resume_button, self.stop_button):
            controls.addWidget(button)
        self.text_report_button = QPushButton("What the text level changes...")
        self.text_report_button.setToolTip("Characters before and after, per kind of change, and one tune before "
                                           "and after, for the corpus at the Text level chosen below")
        self.text_report_button.clicked.connect(self.show_text_level_report)
        corpus_box = QGroupBox("Corpus")
        corpus_layout = QVBoxLayout(corpus_box)
        corpus_layout.addWidget(self.corpus_picker)
        corpus_layout.addWidget(self.text_report_button)
        form_box = QGroupBox("Hyperparameters")
        QVBoxLayout(form_box).addWidget(self.form)
        run_box = QGroupBox("Run")
        run_layout = QVBoxLayout(run_box)
        run_layout.addLayout(controls)
        run_layout.addWidget(self.progress)
        run_layout.addWidget(self.speed_label)
        run_layout.addWidget(self.message)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        for box in (corpus_box, form_box, run_box):
            left_layout.addWidget(box)
        left_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(max(400, left.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width()))

        self.chart_slot = DeferredWidget(_make_loss_chart, "Loading the loss chart...")
        self.runs_panel = RunsPanel(self.store)
        self.runs_panel.resume_requested.connect(self.resume_run)
        self.runs_panel.status_changed.connect(self.status_changed)
        self.views = QTabWidget()
        self.views.addTab(self.chart_slot, "Live loss")
        self.views.addTab(self.runs_panel, "Runs && comparison")
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(self.views)
        self.splitter.setStretchFactor(1, 1)
        self.banner = RunProblemBanner()  # why a run stopped by itself (a full disk), and its unsaved model
        self.banner.saved.connect(lambda path: self.checkpoint_saved.emit(path, f"{path} (saved elsewhere)"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter)
        self.start_from = attach_start_from(self)
        self._update_controls()

    # --- public ---------------------------------------------------------------------------------------------
    @property
    def chart(self):
        """The live ``LossChart`` (built after the window's first paint, or now if asked for sooner)."""
        return self.chart_slot.widget()

    def load_default_corpus(self) -> None:
        """Starts loading the last used corpus in the background (O'Neill's at first launch)."""
        self.corpus_picker.restore()

    def open_corpus(self, spec: str) -> None:
        self.corpus_picker.choose(spec)

    def is_training(self) -> bool:
        return self.session is not None and self.session.is_active()

    def is_rewriting(self) -> bool:
        """True while a corpus is being written at a text level (before a run starts or for the report)."""
        return self._rewriting is not None

    def show_text_level_report(self) -> None:
        """Opens the report of the corpus at the Text level (rewriting it first, in the background, if needed)."""
        corpus, level = self.corpus_picker.corpus(), self.form.text_level()
        if corpus is None or self.is_rewriting():
            return
        if level == "raw":
            self._say("At the raw level the tunes are trained on as collected: nothing is rewritten.")
            return
        self._with_level(corpus, level, self._open_text_level_dialog)

    def _open_text_level_dialog(self, corpus) -> None:
        self.text_level_dialog = TextLevelDialog(corpus, self)
        self.text_level_dialog.open()

    def current_run(self):
        """The core Run being trained (None before its folder exists)."""
        return self._run

    def start_training(self) -> bool:
        """Starts a new run from the form; False (with the reason shown) when it cannot start."""
        if self.is_training():
            return False
        configs = self.form.configs()
        if configs is None:
            self._say("Fix the values marked in red first.", error=True)
            return False
        corpus = self.corpus_picker.corpus()
        if corpus is None:
            self._say("Wait for the corpus to load, or pick another one.", error=True)
            return False
        if self.is_rewriting():
            self._say("Wait until the corpus is rewritten.", error=True)
            return False
        self.form.remember()
        self._with_level(corpus, configs[1].text_level, lambda leveled: self._start_run(leveled, *configs))
        return True

    def _start_run(self, corpus, model_config, train_config) -> None:
        self._begin(self.start_from.trainer_maker(corpus, model_config, train_config), train_config.iterations, 0)
        self._say(f"Training on {corpus.name} ({corpus.text_level} text{tonic_clause(train_config.tonic)}): "
                  f"{train_config.iterations:,} steps, batch {train_config.batch_size}, "
                  f"sequence {train_config.seq_length}.")

    def _with_level(self, corpus, level: str, then) -> None:
        """Calls ``then(corpus at level)``: now when it is at hand, else after a rewrite on a worker thread."""
        key = (corpus.identity(), level)
        if level == corpus.text_level or key in self._leveled:
            then(self._leveled.get(key, corpus))
            return
        worker = TextLevelWorker(corpus, level)
        worker.progressed.connect(self._rewrite_progressed)
        self._rewriting = thread = start_worker(worker, self)

        def rewritten(leveled) -> None:
            self._leveled[key] = leveled
            self._rewrite_ended()  # what comes next (a dialog, a run) finds the rewrite over
            then(leveled)

        thread.succeeded.connect(rewritten)
        thread.failed.connect(lambda message: self._say(f"Rewriting the corpus failed: {message}", error=True))
        thread.finished.connect(self._rewrite_ended)
        self.progress.setRange(0, len(corpus.tunes))
        self.progress.setValue(0)
        self.progress.setFormat(f"writing the tunes at the {level} level: %v of %m")
        self._say(f"Writing {corpus.name} at the {level} text level (the first time takes up to a minute; "
                  "then it is cached)...")
        self._update_controls()

    def _rewrite_progressed(self, done: int, total: int) -> None:
        self.progress.setValue(done)

    def _rewrite_ended(self) -> None:
        self._rewriting = None
        if not self.is_training():
            self.progress.setFormat("ready to train")
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
        self._update_controls()

    def resume_run(self, run_id: str, iterations: int | None = None) -> bool:
        """Continues a stopped run from its last checkpoint (a finished run asks how many steps in total)."""
        if self.is_training():
            self._say("Stop the current run before resuming another.", error=True)
            return False
        from studio.core.learning.training import Trainer

        run = self.store.open(run_id)
        summary = run.summary()
        target = summary.get("train_config", {}).get("iterations", 0)
        done = summary.get("steps_done", 0)
        if iterations is None and done >= target:
            iterations, ok = QInputDialog.getInt(self, "Resume run", f"{run.name} finished its {target:,} steps.\n"
                                                 "Train until step:", target * 2, done + 1, 1_000_000)
            if not ok:
                return False
        self.chart.load_log(run.loss_log())

        def make_trainer(listener):
            return Trainer.resume(run, listener=listener, iterations=iterations)

        self._begin(make_trainer, iterations or target, done)
        self._say(f"Resuming {run.name} from step {done:,}.")
        return True

    def pause(self) -> None:
        if self.is_training():
            self.session.pause()
            self._update_controls()

    def resume(self) -> None:
        if self.is_training():
            self.session.resume()
            self._update_controls()

    def stop(self) -> None:
        if self.is_training():
            self.session.stop()
            self._say("Stopping after this step; the run is kept.")
            self.stop_button.setEnabled(False)

    def stop_and_wait(self) -> bool:
        """Stops the run and waits until its checkpoint and log are saved (the window is closing)."""
        self.corpus_picker.wait()
        if self._rewriting is not None:
            self._rewriting.stop_and_wait()
        if self.session is None:
            return True
        return self.session.stop_and_wait()

    # --- session wiring ---------------------------------------------------------------------------------------
    def _begin(self, make_trainer, iterations: int, first_step: int) -> None:
        if first_step == 0:
            self.chart.clear()
        self.chart.set_planned_steps(iterations)
        self._iterations = iterations
        self._started_at_step = first_step
        self._run = None
        self.progress.setRange(0, iterations)
        self.progress.setFormat("step %v of %m")
        self.progress.setValue(first_step)
        self.speed_label.setText("Preparing the model...")
        self.banner.clear()
        session = TrainingSession(make_trainer, parent=self)
        session.run_created.connect(self._run_created)
        session.progressed.connect(self._progressed)
        session.validated.connect(self.chart.add_validation)
        session.checkpointed.connect(self._checkpointed)
        session.state_changed.connect(lambda _state: self._update_controls())
        session.warned.connect(self._warned)
        session.succeeded.connect(self._completed)
        session.failed.connect(lambda message: self._say(f"Training failed: {message}", error=True))
        session.finished.connect(self._ended)
        self.chart.set_point_source(session.take_points)
        self.session = session
        session.start()
        self.views.setCurrentWidget(self.chart_slot)
        self._update_controls()
        self.training_changed.emit(True)

    def _run_created(self, run) -> None:
        self._run = run
        self.form.show_auto_precision()  # the Trainer has just measured (or found) what precision auto takes here
        show_line_to_beat(self.chart, run)
        self.runs_panel.refresh()

    def _progressed(self, step: int, loss: float, elapsed: float, steps_per_second: float) -> None:
        self.progress.setValue(step)
        left = (self._iterations - step) / steps_per_second if steps_per_second > 0 else 0
        self.speed_label.setText(f"loss {loss:.3f}   ·   {steps_per_second:.1f} steps/s   ·   "
                                 f"{format_duration(elapsed)} elapsed   ·   {format_duration(left)} left")

    def _checkpointed(self, step: int, path: str) -> None:
        self.chart.flush()
        self.chart.add_checkpoint(step)
        self.checkpoint_saved.emit(path, self._label(step))

    def _label(self, step: int) -> str:
        name = self._run.name if self._run is not None else "run"
        return f"{name} (step {step:,})"

    def _completed(self, result) -> None:
        self.progress.setValue(result.steps_done)  # progress signals are throttled: the last step may be unseen
        if result.stop_reason:  # its last state could not be written: say so where it cannot be missed
            lost = "" if result.run.last_checkpoint.exists() else (" No checkpoint of it could be written: save the "
                                                                   "model elsewhere before closing, or it is lost.")
            self.banner.show_problem(f"Stopped at step {result.steps_done:,}: {result.stop_reason}.{lost}",
                                     result.unsaved)
        if result.reason == "failed":
            return  # the failed signal said why
        words = {"finished": "Finished", "stopped": "Stopped", STOPPED_EARLY: "Stopped early"}
        best = f", best validation loss {result.best_validation_loss:.3f}" if result.best_validation_loss else ""
        final = f", final loss {result.final_loss:.3f}" if result.final_loss is not None else ""
        why = f" ({result.early_stop})" if result.early_stop else ""
        self._say(f"{words.get(result.reason, result.reason)} at step {result.steps_done:,}{final}{best}{why}. "
                  "The run is kept in Runs.")
        if result.run is not None and result.run.last_checkpoint.exists():
            self.checkpoint_saved.emit(str(result.run.last_checkpoint), self._label(result.steps_done))
        self.run_ended.emit(result)

    def _warned(self, message: str) -> None:
        self._say(message, error=True)
        self.banner.show_problem(message[:1].upper() + message[1:])

    def _ended(self) -> None:
        self.chart.flush()
        self.chart.set_point_source(None)
        self.session = None
        self.runs_panel.refresh()
        self._update_controls()
        self.training_changed.emit(False)

    # --- helpers ----------------------------------------------------------------------------------------------
    def _corpus_loaded(self, corpus) -> None:
        self._update_controls()
        self.status_changed.emit(f"Corpus ready: {corpus.report.summary().splitlines()[0]}")

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #c0392b;" if error else "")
        self.message.setText(text)
        self.status_changed.emit(text)

    def _update_controls(self) -> None:
        training = self.is_training()
        paused = training and self.session.paused
        ready = self.corpus_picker.corpus() is not None and not self.is_rewriting()
        self.train_button.setEnabled(not training and ready and self.form.is_valid())
        self.text_report_button.setEnabled(ready)
        self.train_button.setToolTip("Start a new run with these settings (Ctrl+Return)" if self.form.is_valid()
                                     else "Some values are out of range: see the reasons in red")
        self.pause_button.setEnabled(training and not paused)
        self.resume_button.setEnabled(paused)
        self.stop_button.setEnabled(training)
        self.form.setEnabled(not training and not self.is_rewriting())
        self.corpus_picker.setEnabled(not training and not self.is_rewriting())


def _make_loss_chart():
    from studio.ui.train.loss_chart import LossChart  # pyqtgraph and numpy: after the window is shown

    return LossChart()
