"""``python -m studio report``: the self-contained HTML lab report of an experiment, a run or a tune book.

    python -m studio report EXPERIMENT|RUN|BOOK.abc [--out FILE] [--no-audio]

EXPERIMENT and RUN are folders or names (an experiment folder's name in the data folder's ``experiments``, a run's
id in the run store). The page is written beside its source unless ``--out`` says where.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from studio.cli.common import EXIT_OK, UserError, run_store


def register(subparsers) -> None:
    p = subparsers.add_parser("report", help="the HTML lab report of an experiment, a run or an .abc tune book")
    p.add_argument("source", metavar="EXPERIMENT|RUN|BOOK.abc",
                   help="an experiment folder or name, a run folder or id, or an .abc file of tunes")
    p.add_argument("--out", metavar="FILE", help="where to write the page (default: report.html in the experiment "
                                                 "or run folder, NAME.html beside a tune book)")
    p.add_argument("--no-audio", action="store_true", help="leave the audio players out (much faster)")
    p.set_defaults(func=cmd_report)


def resolve_report_source(text: str, args=None):
    """The folder, :class:`Run` or file that ``text`` names; UserError when it names nothing readable."""
    from studio.core.learning.experiments import experiments_home
    from studio.core.runs import RunStoreError

    path = Path(text).expanduser()
    if path.is_dir():
        if (path / "results.json").is_file() or (path / "run.json").is_file():
            return path
        raise UserError(f"{text} is neither an experiment folder (no results.json) nor a run folder (no run.json)")
    if path.is_file():
        if path.suffix.lower() != ".abc":
            raise UserError(f"{text} is not an .abc tune book")
        return path  # an unreadable or empty book: read_tune_book raises a readable EvaluationError
    if path.suffix.lower() == ".abc" or len(path.parts) > 1:
        raise UserError(f"{text} does not exist")
    experiment = experiments_home() / text
    if (experiment / "results.json").is_file():
        return experiment
    try:
        return run_store(args).open(text)
    except RunStoreError:
        raise UserError(f"no experiment, run or .abc file named {text!r}") from None


def cmd_report(args) -> int:
    from studio.core.reports.report_html import write_html_report

    source = resolve_report_source(args.source, args)
    out = Path(args.out).expanduser() if args.out else None
    if out is not None and not out.parent.is_dir():
        raise UserError(f"cannot write {out}: the folder {out.parent} does not exist")
    what = "without audio" if args.no_audio else "engraving and rendering every tune; this takes a while"
    print(f"writing the report of {args.source} ({what}) ...", file=sys.stderr)
    started = time.monotonic()
    try:
        path = write_html_report(source, out, audio=not args.no_audio)
    except OSError as exc:
        raise UserError(f"cannot write the report: {exc}") from None
    seconds = time.monotonic() - started
    print(path)
    print(f"{path.stat().st_size / 1e6:.1f} MB in {seconds:.0f} s", file=sys.stderr)
    return EXIT_OK
