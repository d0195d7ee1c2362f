"""Bulk MIDI export of a 3,000-tune book, and how well chosen chords fit the tunes.

* A tune book of O'Neill's + Ryan's (about 3,000 tunes) is written to one file and exported to one MIDI file per tune:
  the arrangement writer (:mod:`studio.core.sound.arrangement`, no verovio) against the current ``abc_to_midi`` path
  (verovio in its child process) on the same subset, with the ratio; then the arrangement writer's total time on the
  whole book, melody only and with chosen chords (``auto``) and a count-in.
* The share of stressed melody notes that are tones of the chord ``auto`` chose, on 200 O'Neill tunes.

Run: ``PYTHONPATH=. .venv/bin/python bench/bulk_export.py [subset size, default 100]`` (``--smoke``: a few tunes).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from studio.core.abc.text import decode_abc_bytes, split_tunes
from studio.core.abc.timeline import read_bars
from studio.core.abc.tokenizer import scan_tune
from studio.core.corpus import join_tunes, load_corpus
from studio.core.engraving.notation import NotationRenderer
from studio.core.sound.accompaniment import choose_chords, stressed_chord_tone_share, tune_meter
from studio.core.sound.arrangement import PlaybackOptions, arrange
from studio.core.sound.midi import MidiExportError, write_midi


def export_with_arrangement(tunes: list[str], folder: Path, options: PlaybackOptions) -> int:
    written = 0
    for number, tune in enumerate(tunes):
        arrange(tune, options).write_midi(folder / f"{number:05d}.mid")
        written += 1
    return written


def export_with_abc_to_midi(tunes: list[str], folder: Path, renderer: NotationRenderer) -> int:
    written = 0
    for number, tune in enumerate(tunes):
        try:
            write_midi(tune, folder / f"v{number:05d}.mid", renderer=renderer)
            written += 1
        except MidiExportError:
            pass
    return written


def seconds(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def wall_and_cpu(action) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds (the CPU figure is what a free core would take: on a machine
    shared with other work the wall clock also counts the time others held the cores)."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def main(subset: int = 100, book_size: int | None = None) -> None:
    oneills, ryans = load_corpus("oneills1850"), load_corpus("ryansMammoth")
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        book = folder / "book.abc"
        book.write_text(join_tunes(oneills.tunes + ryans.tunes), encoding="utf-8")
        tunes = split_tunes(decode_abc_bytes(book.read_bytes()))[:book_size]
        print(f"tune book: {len(tunes):,} tunes, {book.stat().st_size / 1e6:.2f} MB")

        sample = tunes[:: max(1, len(tunes) // subset)][:subset]
        with NotationRenderer() as renderer:
            renderer.render(sample[0])  # start the child process outside the timing
            old = seconds(lambda: export_with_abc_to_midi(sample, folder, renderer))
        new = seconds(lambda: export_with_arrangement(sample, folder, PlaybackOptions()))
        print(f"subset of {len(sample)} tunes: abc_to_midi (verovio) {old:.2f} s, arrangement {new:.2f} s, "
              f"ratio {old / new:.1f}x")

        total, cpu = wall_and_cpu(lambda: export_with_arrangement(tunes, folder, PlaybackOptions()))
        print(f"whole book, melody only: {total:.1f} s wall, {cpu:.1f} s CPU ({1000 * cpu / len(tunes):.1f} ms a "
              f"tune); abc_to_midi at its subset rate would take {old / len(sample) * len(tunes):.0f} s")
        full = PlaybackOptions(accompaniment="auto", count_in_bars=1)
        total_full, cpu_full = wall_and_cpu(lambda: export_with_arrangement(tunes, folder, full))
        print(f"whole book, auto chords + bass + count-in: {total_full:.1f} s wall, {cpu_full:.1f} s CPU")
        scan, scan_cpu = wall_and_cpu(lambda: [scan_tune(t) for t in tunes])
        print(f"the tokenizer alone (scan_tune, part of both): {scan:.1f} s wall, {scan_cpu:.1f} s CPU")

    shares = []
    for tune in oneills.tunes[:book_size or 200]:
        scanned = scan_tune(tune.text)
        bars = read_bars(scanned)
        shares.append(stressed_chord_tone_share(bars, choose_chords(scanned, bars), tune_meter(scanned)))
    print(f"auto chords on {len(shares)} O'Neill tunes: {statistics.mean(shares):.1%} of stressed notes are "
          f"chord tones "
          f"(median tune {statistics.median(shares):.1%}, worst {min(shares):.1%}, "
          f"tunes at 60% or more: {sum(s >= 0.6 for s in shares)}/{len(shares)})")


if __name__ == "__main__":
    if sys.argv[1:] == ["--smoke"]:
        main(subset=3, book_size=12)
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
