"""``python -m studio export TUNES.abc --midi OUT.mid [--wav OUT.wav] [--tempo BPM] [--program N]``.

When the input holds several tunes, one file per tune is written: ``OUT-01-title.mid``, ``OUT-02-title.mid``...
The writing itself is ``studio.core.export``, which the window's export dialog uses too.
"""

from __future__ import annotations

import sys

from studio.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE


def register(subparsers) -> None:
    p = subparsers.add_parser("export", help="export the tunes of an ABC file to MIDI and/or WAV")
    p.add_argument("tunes", help="an .abc file (one file per tune is written when it holds several)")
    p.add_argument("--midi", help="MIDI file to write")
    p.add_argument("--wav", help="WAV file to write (rendered offline with FluidSynth)")
    p.add_argument("--tempo", type=float, help="quarter notes per minute (default: the tune's Q: or a dance pace)")
    p.add_argument("--program", type=int, help="General MIDI program 0-127 (default 40, violin)")
    p.add_argument("--soundfont", help="SoundFont for --wav (default: the system's General MIDI SoundFont)")
    p.set_defaults(func=cmd_export)


def cmd_export(args) -> int:
    from studio.core.export import ExportError, export_tune_file

    if not args.midi and not args.wav:
        print("error: give --midi OUT.mid and/or --wav OUT.wav", file=sys.stderr)
        return EXIT_USAGE
    try:
        written = export_tune_file(args.tunes, midi=args.midi, wav=args.wav, tempo_bpm=args.tempo,
                                   program=args.program, soundfont=args.soundfont)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for path in written:
        print(path)
    return EXIT_OK
