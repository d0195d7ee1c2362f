"""``python -m studio regenerate TUNE.abc --bars 5-6``: other bars in place of chosen ones, ranked by what follows.

Samples ``--candidates`` candidates for the chosen bars with strict bars from the model's state after the bars before
them, reads the rest of the tune after each, and prints them best first: rank, the log-likelihood of the bars and of
the rest of the tune after them (nats), the score they are ranked by (for bars: how much likelier the rest of the tune
reads after them than after the written bars, :func:`~studio.core.generation.regenerate.lead_in`), the bars, and a
reason; the written bars are scored the same way, for comparison. ``--out FILE`` writes the tune with the best candidate in place. Bars are numbered as musicians count
them (a pickup is bar 0); ``--strain N`` chooses every bar of strain N. ``--new-strain`` writes a strain after the
last one instead, in its form (bars, lengths, repeat signs; the tune's ending on the tonic moves to it), ranked by its
own likelihood plus the tune's ending after it (:mod:`studio.core.generation.new_strain`).
"""

from __future__ import annotations

from pathlib import Path

from studio.cli.common import EXIT_OK, UserError, resolve_checkpoint
from studio.cli.inspect import read_tune


def register(subparsers) -> None:
    p = subparsers.add_parser("regenerate", help="other bars in place of chosen bars, ranked by what follows them")
    p.add_argument("tune_file", metavar="TUNE.abc")
    p.add_argument("--bars", metavar="FIRST[-LAST]", help="the bars to regenerate, e.g. 5-6 (a pickup is bar 0)")
    p.add_argument("--strain", type=int, metavar="N", help="regenerate every bar of strain N instead (1-based)")
    p.add_argument("--new-strain", action="store_true",
                   help="write a new strain after the last one (a C strain after the B) instead")
    p.add_argument("--tune", type=int, default=1, metavar="N", help="which tune of a tune book (1-based)")
    p.add_argument("--candidates", type=int, default=16, help="how many candidates to sample (default 16)")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (default 1)")
    p.add_argument("--seed", type=int, default=0, help="candidate i uses seed + i (default 0)")
    p.add_argument("--out", metavar="FILE", help="write the tune with the best candidate in place")
    p.add_argument("--model", "--checkpoint", dest="checkpoint", help="a checkpoint or model file")
    p.add_argument("--run", help="a run id (its best checkpoint)")
    p.set_defaults(func=cmd_regenerate)


def _selection(args, text: str):
    from studio.core.generation.regenerate import select_bars, tune_strains

    if args.strain is not None:
        strains = [[bar.number for bar in strain if not bar.pickup] for strain in tune_strains(text)]
        strains = [numbers for numbers in strains if numbers]
        if not 1 <= args.strain <= len(strains):
            raise UserError(f"the tune has {len(strains)} strain(s); --strain must be 1 to {len(strains)}")
        return select_bars(text, strains[args.strain - 1][0], strains[args.strain - 1][-1])
    first, _, last = args.bars.partition("-")
    if not first.isdigit() or not (last or first).isdigit():
        raise UserError(f"--bars wants FIRST-LAST, e.g. 5-6 (got {args.bars!r})")
    return select_bars(text, int(first), int(last or first))


def cmd_regenerate(args) -> int:
    from studio.core.generation.new_strain import new_strain
    from studio.core.generation.regenerate import RegenerationError, regenerate
    from studio.core.generation.sampling import Sampler

    if not 1 <= args.candidates <= 256:
        raise UserError("--candidates must be between 1 and 256")
    if (args.bars is not None) + (args.strain is not None) + args.new_strain != 1:
        raise UserError("choose the bars with --bars FIRST-LAST (e.g. --bars 5-6), a strain with --strain N, "
                        "or --new-strain")
    text, count = read_tune(args.tune_file, args.tune)
    try:
        selection = None if args.new_strain else _selection(args, text)
        sampler = Sampler.from_checkpoint(resolve_checkpoint(args))
        if selection is None:
            result = new_strain(sampler, text, args.candidates, args.temperature, args.seed)
        else:
            result = regenerate(sampler, text, selection, args.candidates, args.temperature, args.seed)
    except RegenerationError as exc:
        raise UserError(str(exc)) from exc
    if count > 1:
        print(f"tune {args.tune} of {count}")
    for note in result.notes:
        print(f"note: {note}")
    after, scored = (("the rest of the tune after them", "score: the rest against after the written bars")
                     if result.original else ("the tune's ending after them", "score: the two added"))
    print(f"{result.selection.label()}: {len(result.candidates)} candidate(s), best first "
          f"(log-likelihood in nats: the bars, {after}; {scored})")
    for candidate in ([result.original] if result.original else []) + result.candidates:
        rank = "as written" if candidate.original else f"{candidate.rank:>10}"
        print(f"{rank:>10}  {candidate.own:8.1f} {candidate.after:8.1f} {candidate.score:+8.1f}  {candidate.bars!r}")
        print(f"{'':>10}  {candidate.reason}")
    if args.out:
        if not result.candidates:
            raise UserError("no candidate differed from the written bars: nothing written")
        try:
            Path(args.out).write_text(result.candidates[0].text)
        except OSError as exc:
            raise UserError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
        print(f"wrote the tune with candidate 1 in place to {args.out}")
    return EXIT_OK
