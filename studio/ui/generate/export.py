"""Export from the Generate tab: the job, the save dialog (MIDI / WAV / ABC / tune book / PDF / MusicXML) and the
``Exporter``, which also prints (File > Print...).

The file name comes from the tune's title, temperature and seed (``studio.core.export.default_file_name``);
the folder and the format are the last ones used (QSettings ``export/folder``, ``export/format``). Sheet music
(PDF of this tune, the selected tunes or every tune; MusicXML) is written off the GUI thread by
:class:`studio.ui.generate.sheet_music.SheetMusicRunner`, with a progress dialog that can stop a long book. Writing is done by ``write_export`` with the core
exporters, which raise ``ExportError`` with a readable message. ``Exporter`` asks, writes and reports: a failure
comes back as ``problem_found(message)`` and ``status_changed(message)``, never as an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QApplication, QFileDialog

from studio.core.engraving.notation import MAX_ENGRAVED_CHARS
from studio.core.export import ExportError, default_file_name, export_abc, export_midi, export_wav
from studio.core.sound.arrangement import PlaybackOptions
from studio.ui.generate.sheet_music import SheetMusicRunner

#: kind -> (dialog filter, extension)
FORMATS = {
    "midi": ("MIDI file (*.mid)", "mid"),
    "wav": ("WAV audio, rendered with FluidSynth (*.wav)", "wav"),
    "abc": ("ABC, this tune (*.abc)", "abc"),
    "book": ("ABC tune book, every tune in the list (*.abc)", "abc"),
    "pdf": ("PDF sheet music, this tune (*.pdf)", "pdf"),
    "pdf_selected": ("PDF sheet music, the selected tunes (*.pdf)", "pdf"),
    "pdf_book": ("PDF sheet music, every tune in the list, with a contents page (*.pdf)", "pdf"),
    "musicxml": ("MusicXML, this tune: MuseScore, Finale, Sibelius... (*.musicxml)", "musicxml"),
    "mxl": ("MusicXML compressed, this tune (*.mxl)", "mxl"),
}
#: Sheet-music kinds -> which tunes of the job they write.
SHEET_KINDS = {"pdf": "current", "pdf_selected": "selected", "pdf_book": "every", "musicxml": "current",
               "mxl": "current"}


@dataclass
class ExportJob:
    """What to export: the current tune's text and settings, and the whole list as a tune book."""

    text: str
    title: str
    temperature: float | None = None
    seed: int | None = None
    tempo_bpm: float | None = None
    program: int | None = None
    soundfont: str | None = None
    book_text: str = ""
    options: PlaybackOptions | None = None  # chords, swing, count-in, transposition as the window plays them
    current: object = None  # the current tune with its generation settings (a TuneEntry), for sheet music
    selected: list = field(default_factory=list)  # the selected tunes
    every: list = field(default_factory=list)  # every tune of the list

    def tunes(self, which: str) -> list:
        """The tunes a sheet-music kind writes: ``current``, ``selected`` (the current one when none) or ``every``."""
        current = [self.current if self.current is not None else self.text]
        return {"current": current, "selected": self.selected or current, "every": self.every or current}[which]

    def default_name(self, kind: str) -> str:
        if kind in ("book", "pdf_book"):
            return default_file_name("generated tunes", FORMATS[kind][1])
        if kind == "pdf_selected":
            return default_file_name("selected tunes", "pdf")
        return default_file_name(self.title, FORMATS[kind][1], self.temperature, self.seed)


def write_export(job: ExportJob, kind: str, path: str | Path) -> Path:
    """Writes one export; raises ExportError with a readable message."""
    if kind == "midi":
        return export_midi(job.text, path, tempo_bpm=job.tempo_bpm, program=job.program, options=job.options)
    if kind == "wav":
        return export_wav(job.text, path, tempo_bpm=job.tempo_bpm, program=job.program, soundfont=job.soundfont,
                          options=job.options)
    if kind == "abc":
        return export_abc(job.text, path)
    if kind == "book":
        return export_abc(job.book_text or job.text, path)
    raise ExportError(f"Unknown export format {kind!r}.")


def ask_export_path(parent, job: ExportJob, kind: str = "midi") -> tuple[str, Path] | None:
    """Asks where to save; returns (kind, path) or None when cancelled. The kind follows the chosen filter."""
    settings = QSettings()
    folder = Path(settings.value("export/folder", str(Path.home()), type=str))
    remembered = settings.value("export/format", "", type=str)
    kind = remembered if remembered in FORMATS else kind
    kinds = [kind] + [k for k in FORMATS if k != kind]
    filters = ";;".join(FORMATS[k][0] for k in kinds)
    path, chosen = QFileDialog.getSaveFileName(parent, "Export", str(folder / job.default_name(kind)), filters,
                                               FORMATS[kind][0])
    if not path:
        return None
    chosen_kind = next((k for k in kinds if FORMATS[k][0] == chosen), kind)
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix("." + FORMATS[chosen_kind][1])
    settings.setValue("export/folder", str(path.parent))
    settings.setValue("export/format", chosen_kind)
    return chosen_kind, path


class Exporter(QObject):
    """Writes export jobs for the Generate tab and says how it went through its signals."""

    status_changed = Signal(str)
    problem_found = Signal(str)

    def __init__(self, dialog_parent):
        super().__init__(dialog_parent)
        self._dialog_parent = dialog_parent
        self.sheets = SheetMusicRunner(dialog_parent)
        self.sheets.status_changed.connect(self.status_changed)
        self.sheets.problem_found.connect(self.problem_found)

    def print_job(self, job: ExportJob | None) -> None:
        """Opens the print preview of the selected tunes (the current one when one or none is selected)."""
        if job is None:
            self.status_changed.emit("Nothing to print: generate or type a tune first")
            return
        self.sheets.print_tunes(job.tunes("selected"), "Selected tunes")

    def ask_and_export(self, job: ExportJob | None) -> None:
        """Asks for a file and format, then writes ``job`` (the current tune, or every tune as a tune book)."""
        if job is None:
            self.status_changed.emit("Nothing to export: generate or type a tune first")
            return
        chosen = ask_export_path(self._dialog_parent, job, "midi")
        if chosen is not None:
            self.export_to(job, *chosen)

    def export_to(self, job: ExportJob, kind: str, path) -> bool:
        """Writes one export; a failure is reported (returns False), never raised."""
        if kind in ("midi", "wav") and len(job.text) > MAX_ENGRAVED_CHARS:
            return self._fail(f"Export failed: this tune is too long to convert in the window ({len(job.text):,} "
                              f"characters, limit {MAX_ENGRAVED_CHARS:,}); use `python -m studio export` instead.")
        if kind in SHEET_KINDS:
            which = SHEET_KINDS[kind]
            target = {"pdf": path} if kind.startswith("pdf") else {"musicxml": path}
            return self.sheets.export(job.tunes(which), book_title="Generated tunes" if which == "every" else
                                      "Selected tunes", **target)
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            written = write_export(job, kind, path)
        except ExportError as exc:
            return self._fail(f"Export failed: {exc}")
        finally:
            QApplication.restoreOverrideCursor()
        self.status_changed.emit(f"Exported {written}")
        return True

    def _fail(self, message: str) -> bool:
        self.status_changed.emit(message)
        self.problem_found.emit(message)
        return False
