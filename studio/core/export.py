"""Exporting tunes to files: default file names, MIDI/WAV/ABC writers and sheet music (PDF, MusicXML; the window's
export dialog and ``python -m studio export`` both use them). MIDI and WAV are the arrangement the window plays
(:mod:`studio.core.sound.arrangement`: melody, chords, bass and clicks with the playback options).

When the input holds several tunes, one file per tune is written: ``OUT-01-title.mid``, ``OUT-02-title.mid``...
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import mido

from studio.core.abc.text import tune_title
from studio.core.abc.validate import MAX_TUNE_CHARS
from studio.core.paths import file_name_part
from studio.core.sound.arrangement import Arrangement, ArrangementError, PlaybackOptions, arrange
from studio.core.tune_book import TuneBookError, read_tune_book

SAMPLE_RATE = 44100
MAX_NAME_CHARS = 60
#: Longest audio written to WAV (a tune with absurd note lengths would otherwise fill the memory).
MAX_WAV_SECONDS = 20 * 60


class ExportError(Exception):
    """An export that cannot be done (no notes, unwritable path, no FluidSynth...); the message is for users."""


def slug(text: str, fallback: str = "tune") -> str:
    """A file-name-safe version of ``text``: ASCII letters, digits and dashes, at most 60 characters."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    cleaned = file_name_part(ascii_text).lower()
    return cleaned[:MAX_NAME_CHARS].strip("-") or fallback


def default_file_name(title: str, extension: str, temperature: float | None = None, seed: int | None = None) -> str:
    """``the-kesh-jig-t0.8-seed42.mid``: the title, then the generation settings when known."""
    parts = [slug(title)]
    if temperature is not None:
        parts.append(f"t{temperature:g}")
    if seed is not None:
        parts.append(f"seed{seed}")
    return "-".join(parts) + "." + extension.lstrip(".")


def tune_midi(abc_text: str, *, tempo_bpm: float | None = None, program: int | None = None,
              options: PlaybackOptions | None = None) -> mido.MidiFile:
    """The tune as it plays: the arrangement (tracks per part, ``options``: accompaniment, swing, count-in,
    transposition...), or verovio/music21's melody when the arrangement refuses the text. Raises ExportError."""
    arranged = _arranged(abc_text, tempo_bpm, program, options)
    return arranged.to_midi() if isinstance(arranged, Arrangement) else arranged


def _arranged(abc_text: str, tempo_bpm: float | None, program: int | None,
              options: PlaybackOptions | None) -> Arrangement | mido.MidiFile:
    from studio.core.sound.midi import DEFAULT_PROGRAM, MidiExportError, abc_to_midi

    program = DEFAULT_PROGRAM if program is None else program
    options = options or PlaybackOptions()
    options = replace(options, melody_program=program, tempo_qpm=tempo_bpm or options.tempo_qpm)
    try:
        options.check()
    except ArrangementError as exc:
        raise ExportError(str(exc)) from exc
    if len(abc_text) > MAX_TUNE_CHARS:  # one tune is never this long; reading 10 MB would take minutes
        raise ExportError(f"This ABC is too long to play or export ({len(abc_text):,} characters; the limit is "
                          f"{MAX_TUNE_CHARS:,}). Is it one tune?")
    try:
        return arrange(abc_text, options)
    except ArrangementError as refused:
        try:
            return abc_to_midi(abc_text, tempo_bpm=tempo_bpm, program=program)
        except MidiExportError as exc:
            raise ExportError(f"{exc} ({refused})") from exc


def export_midi(abc_text: str, path: str | Path, *, tempo_bpm: float | None = None, program: int | None = None,
                options: PlaybackOptions | None = None) -> Path:
    """Writes the tune as a MIDI file (see :func:`tune_midi`): one named track per part with its program, and the
    tempo, meter and key. Raises ExportError."""
    arranged = _arranged(abc_text, tempo_bpm, program, options)
    try:
        if isinstance(arranged, Arrangement):
            return arranged.write_midi(path)
        arranged.save(str(path))
    except OSError as exc:
        raise ExportError(f"Could not write the MIDI file {path}: {exc.strerror or exc}") from exc
    return Path(path)


def export_wav(abc_text: str, path: str | Path, *, tempo_bpm: float | None = None, program: int | None = None,
               soundfont: str | Path | None = None, options: PlaybackOptions | None = None) -> Path:
    """Renders the same mix as :func:`export_midi` offline with FluidSynth to a 44.1 kHz stereo WAV file.
    Raises ExportError."""
    from studio.core.sound.synth import SoundFontError, SynthUnavailable, render_midi_to_pcm, write_wav

    midi = tune_midi(abc_text, tempo_bpm=tempo_bpm, program=program, options=options)
    if midi.length > MAX_WAV_SECONDS:
        raise ExportError(f"This tune would last {midi.length / 60:.0f} minutes; WAV export stops at "
                          f"{MAX_WAV_SECONDS // 60} minutes (check the note lengths).")
    try:
        pcm = render_midi_to_pcm(midi, soundfont, SAMPLE_RATE)
        return write_wav(pcm, path, SAMPLE_RATE)
    except (SynthUnavailable, SoundFontError) as exc:
        raise ExportError(str(exc)) from exc
    except OSError as exc:
        raise ExportError(f"Could not write the WAV file {path}: {exc.strerror or exc}") from exc


def export_abc(text: str, path: str | Path) -> Path:
    """Writes ABC text (one tune or a tune book) as UTF-8. Raises ExportError."""
    path = Path(path)
    try:
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"Could not write the ABC file {path}: {exc.strerror or exc}") from exc
    return path


def numbered_paths(target: str | Path, titles: list[str]) -> list[Path]:
    """One path per tune: ``target`` itself for a single tune, else ``stem-01-title.ext`` beside it."""
    target = Path(target)
    if len(titles) == 1:
        return [target]
    width = max(2, len(str(len(titles))))
    return [target.with_name(f"{target.stem}-{i + 1:0{width}d}-{slug(title)}{target.suffix}")
            for i, title in enumerate(titles)]


def export_tune_file(source: str | Path, *, midi: str | Path | None = None, wav: str | Path | None = None,
                     tempo_bpm: float | None = None, program: int | None = None,
                     soundfont: str | Path | None = None, options: PlaybackOptions | None = None) -> list[Path]:
    """Exports every tune of an ABC file to MIDI and/or WAV with the playback ``options``; returns the written
    paths. Raises ExportError."""
    try:
        tunes = read_tune_book(source)
    except TuneBookError as exc:
        raise ExportError(str(exc)) from exc
    titles = [tune_title(t, f"tune-{i + 1}") for i, t in enumerate(tunes)]
    written: list[Path] = []
    if midi:
        for tune, path in zip(tunes, numbered_paths(midi, titles)):
            written.append(export_midi(tune, path, tempo_bpm=tempo_bpm, program=program, options=options))
    if wav:
        for tune, path in zip(tunes, numbered_paths(wav, titles)):
            written.append(export_wav(tune, path, tempo_bpm=tempo_bpm, program=program, soundfont=soundfont,
                                          options=options))
    return written



# --------------------------------------------------------------------------- sheet music: PDF and MusicXML

MUSICXML_SUFFIXES = (".musicxml", ".mxl", ".xml")


@dataclass
class SheetExport:
    """What a sheet music export wrote, and the tunes it skipped with why (``(title, reason)``)."""

    written: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False


def musicxml_paths(target: str | Path, titles: list[str]) -> list[Path]:
    """One path per tune: in the folder ``target`` (``01-title.musicxml``...) when it is one or has no MusicXML
    suffix, else ``target`` itself for one tune and ``stem-01-title.ext`` beside it for several."""
    target = Path(target)
    if target.is_dir() or target.suffix.lower() not in MUSICXML_SUFFIXES:
        width = max(2, len(str(len(titles))))
        if len(titles) == 1:
            return [target / f"{slug(titles[0])}.musicxml"]
        return [target / f"{i + 1:0{width}d}-{slug(title)}.musicxml" for i, title in enumerate(titles)]
    return numbered_paths(target, titles)


def export_sheet_music(tunes: list, *, pdf: str | Path | None = None, musicxml: str | Path | None = None,
                       paper: str = "a4", book_title: str = "", progress=None, cancelled=None) -> SheetExport:
    """Writes ``tunes`` (ABC texts or objects with ``text`` and generation settings) as one PDF (a title page with
    the contents when there are several) and/or MusicXML files (see :func:`musicxml_paths`). ``progress(done,
    total, title)`` and ``cancelled()`` as in :func:`studio.core.engraving.sheet_music.lay_out`. Raises ExportError."""
    from studio.core.engraving.musicxml import MusicXmlError, write_musicxml
    from studio.core.engraving.sheet_music import PdfError, SheetTune, lay_out, write_pdf

    sheets = [SheetTune.of(tune, number) for number, tune in enumerate(tunes, 1)]
    result = SheetExport()
    if musicxml:
        paths = musicxml_paths(musicxml, [sheet.title for sheet in sheets])
        if paths and not paths[0].parent.exists():
            paths[0].parent.mkdir(parents=True, exist_ok=True)
        for done, (sheet, path) in enumerate(zip(sheets, paths), 1):
            if cancelled is not None and cancelled():
                result.cancelled = True
                return result
            try:
                result.written.append(write_musicxml(sheet.text, path, sheet.subtitle))
            except MusicXmlError as exc:
                result.skipped.append((sheet.title, str(exc)))
            except OSError as exc:
                raise ExportError(f"Could not write the MusicXML file {path}: {exc.strerror or exc}") from exc
            if progress is not None and not pdf:
                progress(done, len(sheets), sheet.title)
    if pdf:
        music = lay_out(sheets, paper, book_title, progress=progress, cancelled=cancelled)
        result.skipped += music.skipped
        if music.cancelled:
            result.cancelled = True
            return result
        if not music.contents:
            raise ExportError("No tune could be engraved, so no PDF was written: " +
                              "; ".join(f"{title}: {reason}" for title, reason in music.skipped))
        try:
            result.written.append(write_pdf(music, pdf, cancelled))
        except PdfError as exc:
            raise ExportError(str(exc)) from exc
    return result


def export_sheet_file(source: str | Path, **options) -> SheetExport:
    """:func:`export_sheet_music` for the tunes of an ABC file (the book's title: the file's name)."""
    from studio.core.tune_book import read_book_tunes

    try:
        tunes = read_book_tunes(source)
    except TuneBookError as exc:
        raise ExportError(str(exc)) from exc
    options.setdefault("book_title", Path(source).stem.replace("-", " ").replace("_", " "))
    return export_sheet_music(tunes, **options)
