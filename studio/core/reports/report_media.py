"""One tune made ready for a self-contained web page: its engraved SVG, its sound as Ogg Vorbis, its metrics.

The score is verovio's SVG (engraved in its child process, see :mod:`studio.core.engraving.notation`) with the XML prolog
dropped, the indentation squeezed out and a ``viewBox`` added so that it scales with the page. The sound is the
offline FluidSynth rendering of the tune's MIDI (:mod:`studio.core.sound.synth`), mixed to mono at 22.05 kHz and encoded
as Ogg Vorbis through libsndfile (``soundfile``), about 5 KB per second, then written into a ``data:`` URI so
that the page needs no other file. Tunes longer than :data:`MAX_AUDIO_SECONDS` are cut (with a short fade), and
shorter still when a page holds so many tunes that their audio would pass :data:`AUDIO_BUDGET_SECONDS`.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field

from studio.core.abc.text import read_headers
from studio.core.formatting import format_value
from studio.core.quality.evaluation import TABLE_FEATURES

AUDIO_SAMPLE_RATE = 22050
#: libsndfile's compression level for Vorbis (0 = best quality, 1 = smallest): 0.6 gives about 38 kbit/s mono.
AUDIO_COMPRESSION = 0.6
MAX_AUDIO_SECONDS = 75.0
#: Seconds of audio on one page at most (about 11 MB as base64): a page with many tunes cuts each one shorter.
AUDIO_BUDGET_SECONDS = 1800.0
_FADE_SECONDS = 1.5
_OUTER_SVG = re.compile(r"<svg\b([^>]*)>")
_SIZE = re.compile(r'\b(width|height)="([\d.]+)px"')


@dataclass
class TuneMedia:
    """A tune on the page: ABC, engraved pages (inline SVG), audio (data URI), metrics beside the corpus range."""

    title: str
    abc: str
    note: str = ""
    score_pages: list[str] = field(default_factory=list)
    score_error: str | None = None
    audio_uri: str | None = None
    audio_seconds: float = 0.0
    audio_cut: bool = False
    audio_error: str | None = None
    metrics: list[tuple[str, str, str, bool]] = field(default_factory=list)  # (feature, value, range, outside)

    @property
    def audio_kilobytes(self) -> float:
        return len(self.audio_uri or "") * 3 / 4 / 1024


def inline_svg(svg: str) -> str:
    """verovio's SVG made fit for inlining in HTML: no prolog or comments, no indentation, a viewBox on the outer
    element (so CSS can scale it) and no fixed pixel size."""
    svg = re.sub(r"<\?xml[^>]*\?>|<!--.*?-->", "", svg, flags=re.DOTALL)
    svg = re.sub(r">\s+<", "><", svg).strip()
    match = _OUTER_SVG.search(svg)
    if match:
        attributes = match.group(1)
        size = dict(_SIZE.findall(attributes))
        if "viewBox" not in attributes and {"width", "height"} <= size.keys():
            attributes = _SIZE.sub("", attributes) + f' viewBox="0 0 {size["width"]} {size["height"]}"'
        svg = svg[:match.start()] + f'<svg class="score-page"{attributes}>' + svg[match.end():]
    return svg


def ogg_data_uri(pcm, sample_rate: int, max_seconds: float = MAX_AUDIO_SECONDS) -> tuple[str, float, bool]:
    """int16 PCM (frames, channels) -> (``data:audio/ogg;base64,...`` of mono Vorbis, seconds, whether it was cut)."""
    import numpy as np
    import soundfile

    mono = np.asarray(pcm, dtype=np.float32).reshape(len(pcm), -1).mean(axis=1) / 32768.0
    cut = len(mono) > max_seconds * sample_rate
    if cut:
        mono = mono[:int(max_seconds * sample_rate)].copy()
        fade = min(len(mono), int(_FADE_SECONDS * sample_rate))
        mono[len(mono) - fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    buffer = io.BytesIO()
    soundfile.write(buffer, mono, sample_rate, format="OGG", subtype="VORBIS", compression_level=AUDIO_COMPRESSION)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:audio/ogg;base64,{encoded}", len(mono) / sample_rate, cut


def tune_metric_rows(metrics: dict, reference_ranges: dict) -> list[tuple[str, str, str, bool]]:
    """(feature, value, corpus range, outside the 5th-95th percentile range) for the features shown in tables."""
    from studio.core.reports.report import corpus_range  # report imports matplotlib: only when a page is written

    rows = []
    for name, _ in TABLE_FEATURES:
        if name not in metrics:
            continue
        value = metrics[name]
        known = name in reference_ranges
        low, _, high = reference_ranges[name] if known else (0, 0, 0)
        outside = known and not isinstance(value, bool) and not low - 1e-9 <= value <= high + 1e-9
        rows.append((name.replace("_", " "), format_value(value), corpus_range(reference_ranges, name) if known
                     else "", outside))
    return rows


def audio_seconds_per_tune(tunes: int) -> float:
    """The longest audio each of ``tunes`` tunes gets on one page (see :data:`AUDIO_BUDGET_SECONDS`)."""
    return min(MAX_AUDIO_SECONDS, AUDIO_BUDGET_SECONDS / max(1, tunes))


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".") + "."


def tune_media(abc_text: str, metrics: dict | None = None, reference_ranges: dict | None = None, note: str = "",
               *, audio: bool = True, soundfont=None, max_seconds: float = MAX_AUDIO_SECONDS) -> TuneMedia:
    """Engraves and renders one tune; problems (no score, no sound) land in the ``*_error`` fields, never raise."""
    from studio.core.engraving.notation import shared_renderer

    tune = TuneMedia(title=read_headers(abc_text).get("T", "").strip() or "(untitled)", abc=abc_text.strip(),
                     note=note, metrics=tune_metric_rows(metrics or {}, reference_ranges or {}))
    rendering = shared_renderer().render(abc_text)
    if rendering.ok:
        tune.score_pages = [inline_svg(page) for page in rendering.pages]
    else:
        tune.score_error = _first_sentence(rendering.error)
    if audio:
        from studio.core.sound.midi import DEFAULT_PROGRAM, MidiExportError, abc_to_midi
        from studio.core.sound.synth import SoundFontError, SynthUnavailable, render_midi_to_pcm

        try:
            midi = abc_to_midi(abc_text, program=DEFAULT_PROGRAM, rendering=rendering if rendering.ok else None)
            if midi.length > 8 * max_seconds:  # rendering all of it would only take time
                raise MidiExportError(f"the tune would last {midi.length / 60:.0f} minutes: not rendered")
            pcm = render_midi_to_pcm(midi, soundfont, AUDIO_SAMPLE_RATE, program=DEFAULT_PROGRAM,
                                     tail_s=1.0)
            tune.audio_uri, tune.audio_seconds, tune.audio_cut = ogg_data_uri(pcm, AUDIO_SAMPLE_RATE, max_seconds)
        except (MidiExportError, SynthUnavailable, SoundFontError) as exc:
            tune.audio_error = _first_sentence(str(exc))
            if "music21 could not" in str(exc):
                tune.audio_error = tune.audio_error[:-1] + "; music21 could not read it either."
    return tune
