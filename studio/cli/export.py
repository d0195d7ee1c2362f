"""``python -m studio export TUNES.abc --midi OUT.mid [--wav OUT.wav] [--accompaniment none|symbols|auto]
[--transpose N] [--swing PCT] [--count-in BARS] [--metronome] [--tempo BPM] [--program N]``, and sheet music:
``--pdf BOOK.pdf [--paper a4|letter]`` (one PDF, a title page with the contents when there are several tunes) and
``--musicxml DIR|FILE.musicxml|FILE.mxl``.

When the input holds several tunes, one file per tune is written: ``OUT-01-title.mid``, ``OUT-02-title.mid``...
The writing itself is ``studio.core.export``, which the window's export dialog uses too.
"""

from __future__ import annotations

import sys

from studio.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE

ACCOMPANIMENTS = ("none", "symbols", "auto")  # studio.core.sound.arrangement.ACCOMPANIMENTS (not imported at start-up)


def register(subparsers) -> None:
    p = subparsers.add_parser("export", help="export the tunes of an ABC file to MIDI, WAV, PDF or MusicXML")
    p.add_argument("tunes", help="an .abc file (one file per tune is written when it holds several)")
    p.add_argument("--midi", help="MIDI file to write")
    p.add_argument("--wav", help="WAV file to write (rendered offline with FluidSynth)")
    p.add_argument("--pdf", help="PDF sheet music of every tune (a book: title page with the contents)")
    p.add_argument("--musicxml", metavar="DIR|FILE", help="MusicXML: a folder (one file per tune) or a .musicxml or "
                   ".mxl file (numbered beside it when there are several tunes)")
    p.add_argument("--paper", choices=("a4", "letter"), default="a4", help="paper size of the PDF (default a4)")
    p.add_argument("--tempo", type=float, help="quarter notes per minute (default: the tune's Q: or a dance pace)")
    p.add_argument("--program", type=int, help="General MIDI program 0-127 (default 40, violin)")
    p.add_argument("--soundfont", help="SoundFont for --wav (default: the system's General MIDI SoundFont)")
    p.add_argument("--accompaniment", choices=ACCOMPANIMENTS, default="none",
                   help="chords and bass: none, from the tune's chord symbols, or chords chosen for it (auto)")
    p.add_argument("--transpose", type=int, default=0, help="semitones up (negative: down), -24 to 24")
    p.add_argument("--swing", type=float, help="percent of a beat for the first of two eighths (50 straight, 66 = "
                   "2:1; default: swung for hornpipes, straight otherwise)")
    p.add_argument("--count-in", type=int, default=0, metavar="BARS", help="bars of clicks before the tune (0-4)")
    p.add_argument("--metronome", action="store_true", help="a click on every beat (MIDI channel 10)")
    p.set_defaults(func=cmd_export)


def cmd_export(args) -> int:
    from studio.core.export import ExportError, export_sheet_file, export_tune_file
    from studio.core.sound.arrangement import PlaybackOptions

    if not (args.midi or args.wav or args.pdf or args.musicxml):
        print("error: give --midi OUT.mid, --wav OUT.wav, --pdf OUT.pdf and/or --musicxml DIR|FILE", file=sys.stderr)
        return EXIT_USAGE
    try:
        written = [] if not (args.midi or args.wav) else export_tune_file(args.tunes, midi=args.midi, wav=args.wav, tempo_bpm=args.tempo,
                                   program=args.program, soundfont=args.soundfont,
                                   options=PlaybackOptions(accompaniment=args.accompaniment, transpose=args.transpose,
                                                           swing=args.swing, count_in_bars=args.count_in,
                                                           metronome=args.metronome))
        if args.pdf or args.musicxml:
            sheets = export_sheet_file(args.tunes, pdf=args.pdf, musicxml=args.musicxml, paper=args.paper,
                                       progress=_progress if sys.stderr.isatty() else None)
            written += sheets.written
            for title, reason in sheets.skipped:
                print(f"skipped “{title}”: {reason}", file=sys.stderr)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for path in written:
        print(path)
    return EXIT_OK


def _progress(done: int, total: int, title: str) -> None:
    print(f"\r{done}/{total} {title[:50]:<50}", end="\n" if done == total else "", file=sys.stderr, flush=True)
