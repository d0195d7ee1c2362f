"""The Generate tab: pick a model, set the temperature, generate tunes, see them engraved, play them, export them.

The panel is a coordinator over widgets with one job each: the ``SamplingForm`` and the ``TuneList`` on the left; on
the right the ``PlaybackBar``, the ``ScoreView`` (with the playing note highlighted and followed) and the
``TuneEditor`` (the editable ABC with its problems). They report through signals; the panel runs the slow work off
the GUI thread (sampling on a ``SamplingWorker``, checking + engraving + MIDI on the ``PreviewService``, verovio
itself in a child process, so no ABC can crash the window), shows problems in its banner and status messages in the
window's status bar.

Contract with the main window: ``GeneratePanel(parent=None)``, ``open_checkpoint(path)``, ``export_current()``,
``add_model(path, label)``, the ``status_changed(str)`` signal; ``shutdown()`` stops threads and playback.
The default instrument is General MIDI program 40 (violin: the fiddle sound of a General MIDI SoundFont; program
110 "Fiddle" is offered too).
"""

from __future__ import annotations

import atexit
import weakref

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QSizePolicy, QSplitter, QVBoxLayout, QWidget

from studio.core.configs import SamplingConfig
from studio.ui.generate.export import Exporter, ExportJob
from studio.ui.generate.model_inspector import ModelInspector
from studio.ui.generate.playback_bar import PlaybackBar
from studio.ui.generate.tune_playing import TunePlaying
from studio.ui.generate.regenerate_panel import RegeneratePanel
from studio.ui.generate.sampling_form import SamplingForm
from studio.ui.generate.sampling_worker import SamplingWorker
from studio.ui.generate.score_view import ScoreView
from studio.ui.generate.tune_books import TuneBooks, continue_from
from studio.ui.generate.tune_list import TuneEditor, TuneEntry, TuneList
from studio.ui.generate.tune_preview import PreviewService, TunePreview
from studio.ui.widgets.threads import start_worker

AUDIO_PROBE_DELAY_MS = 1000  # the sound card is probed this long after the panel is built


class GeneratePanel(TunePlaying, QWidget):
    """The Generate tab (see the module docstring)."""

    status_changed = Signal(str)
    tunes_generated = Signal(int)
    preview_ready = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.settings = QSettings()
        self.preview: TunePreview | None = None
        self._worker: SamplingWorker | None = None
        self._thread = None
        self._play_when_ready = False
        self._highlighted: list[str] = []
        self._fit_next = True
        self._closed = False
        self.previews = PreviewService(self)
        self._build()
        self._connect()
        self.regenerate_panel = RegeneratePanel(self)  # click the score, regenerate bars: ui/generate/regenerate_panel
        self.books.restore()  # the tunes of the last session, kept in the data folder
        self.sampling_form.restore_settings(self.settings)
        self.playback.restore_settings(self.settings)
        self.playback.refresh_ports()
        # after the window has painted: the probe's imports would compete with start-up for the interpreter
        QTimer.singleShot(AUDIO_PROBE_DELAY_MS, self, self._start_audio_probe)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        panel = weakref.ref(self)
        atexit.register(lambda: panel() is not None and panel().shutdown())  # scripts that never run app.exec()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.sampling_form = SamplingForm()
        self.tunes = TuneList()
        self.playback = PlaybackBar()
        self.score = ScoreView()
        self.score.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.tune_editor = TuneEditor()
        self.exporter = Exporter(self)
        self.books = TuneBooks(self.tunes, self, self)

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.banner.setStyleSheet("background: #fff4c2; border: 1px solid #e0c060; padding: 4px;")
        self.banner.hide()

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.sampling_form)
        left_layout.addWidget(self.tunes, 1)
        left.setMinimumWidth(340)
        left.setMaximumWidth(460)

        self.inspector = ModelInspector(self.tune_editor.editor, self.sampling_form)  # what the model expects, surprise
        score_split = QSplitter(Qt.Horizontal)
        score_split.addWidget(self.score)
        score_split.addWidget(self.inspector)
        score_split.setStretchFactor(0, 3)
        score_split.setStretchFactor(1, 2)
        score_split.setSizes([520, 400])
        right_split = QSplitter(Qt.Vertical)
        right_split.addWidget(score_split)
        right_split.addWidget(self.tune_editor)
        right_split.setStretchFactor(0, 3)
        right_split.setStretchFactor(1, 1)
        right_split.setSizes([560, 220])
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.playback)
        right_layout.addWidget(self.banner)
        right_layout.addWidget(right_split, 1)

        layout = QHBoxLayout(self)
        layout.addWidget(left)
        layout.addWidget(right, 1)

        self.space_shortcut = QShortcut(QKeySequence(Qt.Key_Space), self)
        self.space_shortcut.setContext(Qt.WidgetWithChildrenShortcut)

    def _connect(self) -> None:
        self.sampling_form.generate_requested.connect(self.generate)
        self.sampling_form.stop_requested.connect(self.stop_generation)
        self.tunes.current_changed.connect(self._show_entry)
        self.tunes.created.connect(self.tune_editor.editor.setFocus)
        self.tunes.removed.connect(self._on_tune_removed)
        self.tune_editor.text_settled.connect(self._on_text_edited)
        self.tune_editor.left_behind.connect(self.tunes.set_entry_text)
        self.tunes.continue_requested.connect(self._continue_from)
        self.previews.succeeded.connect(self._on_prepared)
        self.playback.toggle_requested.connect(self.toggle_play)
        self.space_shortcut.activated.connect(self.toggle_play)
        self.playback.stop_requested.connect(self.stop)
        self.playback.export_requested.connect(self.export_current)
        self.playback.zoom_requested.connect(self.score.zoom_by)
        self.playback.position_changed.connect(self._highlight_at)
        self.playback.problem_solved.connect(self.banner.hide)
        self.inspector.status_changed.connect(self._status)
        self.playback.text_rewrite_requested.connect(self._rewrite_text)
        for part in (self.playback, self.tune_editor, self.exporter, self.books):
            part.status_changed.connect(self._status)
            part.problem_found.connect(self._show_banner)

    # ------------------------------------------------------------------ main window contract
    def open_checkpoint(self, path: str) -> None:
        self.add_model(path, f"File {path.rsplit('/', 1)[-1]}")

    def add_model(self, path: str, label: str) -> None:
        self.sampling_form.model_picker.add_model(str(path), label)
        self._status(f"Model ready: {label}")

    def _status(self, message: str) -> None:
        self.status_changed.emit(message)

    def _show_banner(self, message: str, details: str = "") -> None:
        self.banner.setText(message)
        self.banner.setToolTip(details or message)
        self.banner.show()

    def _save_settings(self) -> None:
        self.sampling_form.save_settings(self.settings)
        self.playback.save_settings(self.settings)

    # ------------------------------------------------------------------ sampling
    @property
    def entries(self) -> list[TuneEntry]:
        return self.tunes.entries

    @property
    def temperature(self) -> float:
        return self.sampling_form.temperature

    def set_temperature(self, value: float) -> None:
        self.sampling_form.set_temperature(value)

    def sampling_config(self) -> SamplingConfig:
        return self.sampling_form.sampling_config()

    @property
    def is_generating(self) -> bool:
        return self._worker is not None

    def generate(self) -> bool:
        """Starts sampling with the current settings; False (with a message) when it cannot start."""
        if self.is_generating:
            return False
        path = self.sampling_form.model_picker.current_path()
        if not path:
            self._show_banner("There is no model yet. Train one in the Train tab, open a checkpoint "
                              "(File > Open checkpoint...), or paste a tune into the ABC editor to play it.")
            self._status("No model to generate with")
            return False
        self._save_settings()
        config = self.sampling_config()
        first_row = self.tunes.start_generating(config.count, path, config.temperature, config.primer)
        self._worker = SamplingWorker(path, config, self.sampling_form.best_of)
        self._worker.progressed.connect(self._on_text_arrived)
        self._worker.succeeded.connect(self._on_tunes_ready)
        self._worker.failed.connect(self._on_generation_failed)
        self._worker.finished.connect(self._on_generation_finished)
        self.sampling_form.set_generating(True)
        self.tune_editor.editor.setReadOnly(True)
        self.tunes.list.setCurrentRow(first_row)
        self._thread = start_worker(self._worker, self)
        self._status(f"Generating {config.count} tune(s) at temperature {config.temperature:g}...")
        return True

    def stop_generation(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    def _on_text_arrived(self, index: int, chunk: str) -> None:
        if self.tunes.append_chunk(index, chunk):
            self.tune_editor.editor.append_text(chunk)

    def _on_tunes_ready(self, tunes: list) -> None:
        self.tunes.finish_generating(tunes)
        from studio.core.tune_store import keep_in_run

        try:
            keep_in_run(tunes[0].model or self.sampling_form.model_picker.current_path(), tunes) if tunes else None
        except OSError as exc:
            self._status(f"Could not keep the tunes in the run's samples folder: {exc}")
        self.tunes_generated.emit(len(tunes))
        self._status(f"{len(tunes)} tune(s) written (seed {tunes[0].seed if tunes else '-'})")

    def _on_generation_failed(self, message: str) -> None:
        self.tunes.drop_generating()
        self._play_when_ready = False
        self._show_banner(f"Generation failed: {message}")
        self._status("Generation failed")

    def _on_generation_finished(self) -> None:
        self._worker = None
        self._thread = None
        self.sampling_form.set_generating(False)
        self.tune_editor.editor.setReadOnly(False)
        self._show_entry(self.tunes.list.currentRow())

    # ------------------------------------------------------------------ tunes, editing, preview
    @property
    def current_entry(self) -> TuneEntry | None:
        return self.tunes.current_entry

    def add_tune(self, text: str, title: str = "") -> int:
        """Adds a typed or pasted tune to the list and shows it; returns its row."""
        return self.tunes.add_tune(text, title)

    def new_tune(self) -> None:
        self.tunes.new_tune()

    def remove_current_tune(self) -> None:
        self.tunes.remove_current_tune()

    def _on_tune_removed(self, _row: int) -> None:
        self.playback.stop()
        if not self.entries:
            self.preview = None
            self.score.clear_score()
            self.tune_editor.clear()

    def tune_book(self) -> str:
        """Every tune of the list as one ABC tune book, with the generation settings in % comment lines."""
        return self.tunes.tune_book()

    def repair_current(self) -> None:
        self.tune_editor.repair_current()

    def _show_entry(self, row: int) -> None:
        if not 0 <= row < len(self.entries):
            return
        entry = self.entries[row]
        self.tune_editor.show_tune(entry)
        if entry.generating:
            self.score.clear_score("The model is writing this tune...")
            return
        self._fit_next = True
        self.request_preview(entry.text)

    def _on_text_edited(self, text: str) -> None:
        entry = self.current_entry
        if entry is None:
            self.add_tune(text)
            return
        if entry.generating:
            return
        self.tunes.set_entry_text(entry, text)
        self.request_preview(text)

    def _continue_from(self, text: str) -> None:
        continue_from(self.sampling_form, text)
        self._status("The primer is this tune's opening: press Generate to continue it")

    def request_preview(self, text: str) -> int:
        self.playback.stop()
        return self.previews.request(text, self.playback.program)

    def _on_prepared(self, number: int, preview: TunePreview) -> None:
        if self._closed or not self.previews.is_latest(number):
            return
        self.preview = preview
        self.tune_editor.show_report(preview.text, preview.report)
        if preview.engraved:
            self.score.set_pages(preview.rendering.pages)
            if self._fit_next:
                self._fit_next = False
                self.score.fit_width()
        else:
            self.score.clear_score(f"No score: {preview.rendering.error or 'nothing to engrave'}")
        self._highlighted = []
        self.playback.load_tune(preview)
        if preview.midi is not None:
            self._status(f"Engraved in {preview.rendering.elapsed_ms:.0f} ms; ready to play" if preview.engraved
                         else "No score for this tune, but it plays")
        else:
            self._status(f"Cannot play this tune: {preview.midi_error}")
        self.preview_ready.emit(preview)
        if self._play_when_ready:  # asked to play this text (an audition too): play it, never another one
            self._play_when_ready = False
            if self.can_play():
                self.playback.play()

    def _rewrite_text(self, rewrite) -> None:
        """Applies a playback-bar edit (write chords, transpose) to the editor, as one step Ctrl+Z undoes."""
        text = self.tune_editor.editor.toPlainText()
        if text.strip():
            self.tune_editor.editor.replace_text_undoably(rewrite(text))

    # ------------------------------------------------------------------ export
    def export_job(self) -> ExportJob | None:
        entry = self.current_entry
        text = entry.text if entry else self.tune_editor.editor.toPlainText()
        if not text.strip():
            return None
        from studio.core.abc.text import tune_title

        return ExportJob(
            text=text, title=tune_title(text, entry.title if entry else "tune"),
            temperature=entry.temperature if entry else None, seed=entry.seed if entry else None,
            tempo_bpm=self.playback.tempo_spin.value(), program=self.program, soundfont=self.playback.soundfont or None,
            book_text=self.tune_book(), options=self.playback.export_options(), current=entry,
            selected=self.tunes.selected_entries(), every=[e for e in self.entries if not e.generating])

    def export_current(self) -> None:
        """Asks for a file and format, then writes the current tune (or every tune as a tune book)."""
        self.exporter.ask_and_export(self.export_job())

    def print_current(self) -> None:
        """File > Print...: the print preview of the selected tunes (or the current one)."""
        self.exporter.print_job(self.export_job())

    def export_to(self, job: ExportJob, kind: str, path) -> bool:
        """Writes one export; a failure is shown in the banner and the status bar (returns False), never raised."""
        return self.exporter.export_to(job, kind, path)

    # ------------------------------------------------------------------ closing
    def shutdown(self) -> None:
        """Stops generation, playback and the preview thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._save_settings()
        self.books.save_now()
        if self._thread is not None:
            self._thread.stop_and_wait(10_000)
        self.playback.close_player()
        self.exporter.sheets.shutdown()
        self.previews.shutdown()
        self.inspector.shutdown()

    def closeEvent(self, event):
        self.shutdown()
        super().closeEvent(event)
