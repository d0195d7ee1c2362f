"""``python -m studio inspect TUNE.abc``: what the model expected at a point of a tune, and where it was surprised.

Prints the model's next-character distribution at ``--at LINE:COL`` (default: the tune's most surprising character)
at temperature 1 and at ``--temperature``, with the written character marked, the entropy at both and the share of
the probability the strict-bars rule forbids there; then the tune's surprise summary (mean bits per character and
the most surprising places). Lines and columns are 1-based and count within the inspected tune (``--tune N`` picks
one tune of a tune book; a file holding one tune keeps its own line numbers).
"""

from __future__ import annotations

from pathlib import Path

from studio.cli.common import EXIT_OK, UserError, resolve_checkpoint


def register(subparsers) -> None:
    p = subparsers.add_parser("inspect", help="the model's next-character distribution and surprise along a tune")
    p.add_argument("tune_file", metavar="TUNE.abc")
    p.add_argument("--model", "--checkpoint", dest="checkpoint", help="a checkpoint or model file")
    p.add_argument("--run", help="a run id (its best checkpoint)")
    p.add_argument("--at", metavar="LINE:COL", help="where to show the distribution (default: the most surprising "
                                                     "character)")
    p.add_argument("--temperature", type=float, default=1.0, help="shown beside temperature 1 (default 1)")
    p.add_argument("--tune", type=int, default=1, metavar="N", help="which tune of a tune book (1-based)")
    p.add_argument("--places", type=int, default=5, help="how many surprising places to list")
    p.set_defaults(func=cmd_inspect)


def read_tune(path: str, number: int) -> tuple[str, int]:
    """The ``number``-th tune (1-based) of the file and how many tunes it holds; a one-tune file is read whole."""
    from studio.core.abc.text import decode_abc_bytes, split_tunes

    try:
        text = decode_abc_bytes(Path(path).read_bytes())
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from exc
    tunes = split_tunes(text)
    if len(tunes) <= 1:
        if number != 1:
            raise UserError(f"{path} holds one tune; --tune {number} is not there")
        if not text.strip():
            raise UserError(f"{path} is empty")
        return text, 1
    if not 1 <= number <= len(tunes):
        raise UserError(f"{path} holds {len(tunes)} tunes; --tune must be 1 to {len(tunes)}")
    return tunes[number - 1] + "\n", len(tunes)


def parse_position(at: str, text: str) -> int:
    """The offset of ``LINE:COL`` in ``text`` (UserError when malformed or outside)."""
    from studio.core.network.inspection import offset_of

    try:
        line, column = (int(part) for part in at.split(":"))
        return offset_of(text, line, column)
    except ValueError as exc:
        raise UserError(f"--at: {exc}" if "outside" in str(exc)
                        else f"--at wants LINE:COL, e.g. 7:12 (got {at!r})") from exc


def cmd_inspect(args) -> int:
    from studio.core.generation.model_key import inspect_as_written
    from studio.core.generation.sampling import Sampler

    if args.temperature <= 0:
        raise UserError("--temperature must be above 0")
    text, count = read_tune(args.tune_file, args.tune)
    sampler = Sampler.from_checkpoint(resolve_checkpoint(args))
    seen = inspect_as_written(sampler, text)
    if seen.note:
        print(seen.note)
    if seen.predicted_count == 0:
        raise UserError("the model knows fewer than two characters of this tune: nothing to inspect")
    if args.at:
        offset = parse_position(args.at, text)
    else:
        offset = seen.most_surprising(1)[0].offset
    if count > 1:
        print(f"tune {args.tune} of {count}")
    temperatures = (1.0,) if args.temperature == 1.0 else (1.0, args.temperature)
    for line in seen.distribution_lines(offset, temperatures):
        print(line)
    shares = [seen.strict_forbidden_share(offset, t) for t in temperatures]
    if shares[0] is not None:
        print("strict bars forbid " + ", ".join(f"{share:.1%} at T={t:g}" for share, t in zip(shares, temperatures))
              + " of the probability here")
    print()
    for line in seen.summary_lines(args.places):
        print(line)
    return EXIT_OK
