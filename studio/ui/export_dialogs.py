"""Export from the window: a save dialog with MIDI / WAV / ABC / tune book formats and a default file name.

The file name comes from the tune's title, temperature and seed (``studio.core.export.default_file_name``);
the folder is the last one used (QSettings ``export/folder``). Writing is done by ``write_export`` with the core
exporters, which raise ``ExportError`` with a readable message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog

from studio.core.export import ExportError, default_file_name, export_abc, export_midi, export_wav

#: kind -> (dialog filter, extension)
FORMATS = {
    "midi": ("MIDI file (*.mid)", "mid"),
    "wav": ("WAV audio, rendered with FluidSynth (*.wav)", "wav"),
    "abc": ("ABC, this tune (*.abc)", "abc"),
    "book": ("ABC tune book, every tune in the list (*.abc)", "abc"),
}


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

    def default_name(self, kind: str) -> str:
        if kind == "book":
            return default_file_name("generated tunes", "abc")
        return default_file_name(self.title, FORMATS[kind][1], self.temperature, self.seed)


def write_export(job: ExportJob, kind: str, path: str | Path) -> Path:
    """Writes one export; raises ExportError with a readable message."""
    if kind == "midi":
        return export_midi(job.text, path, tempo_bpm=job.tempo_bpm, program=job.program)
    if kind == "wav":
        return export_wav(job.text, path, tempo_bpm=job.tempo_bpm, program=job.program, soundfont=job.soundfont)
    if kind == "abc":
        return export_abc(job.text, path)
    if kind == "book":
        return export_abc(job.book_text or job.text, path)
    raise ExportError(f"Unknown export format {kind!r}.")


def ask_export_path(parent, job: ExportJob, kind: str = "midi") -> tuple[str, Path] | None:
    """Asks where to save; returns (kind, path) or None when cancelled. The kind follows the chosen filter."""
    settings = QSettings()
    folder = Path(settings.value("export/folder", str(Path.home()), type=str))
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
    return chosen_kind, path
