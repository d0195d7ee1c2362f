"""``python -m studio generate``: sample tunes from a run, a checkpoint or the shipped model into a tune book."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio.cli.common import EXIT_FAILED, EXIT_OK, ProgressBar, UserError, resolve_checkpoint, run_store
from studio.core.configs import BARS_MODES, CADENCES, FORMS, STRAIN_BARS


def register(subparsers) -> None:
    p = subparsers.add_parser("generate", help="sample tunes")
    p.add_argument("--run", help="a run id (its best checkpoint)")
    p.add_argument("--checkpoint", help="a checkpoint file")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--top-k", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--primer", help=r"start of the tune, e.g. 'X:1\nM:6/8\nK:D\n' (default X:1)")
    p.add_argument("--max-length", type=int, default=1000)
    p.add_argument("--bars", choices=BARS_MODES, default="strict",
                   help="strict: every bar adds up to the meter (default); free: plain sampling")
    p.add_argument("--form", choices=FORMS, default="AABB",
                   help="strains with repeats (strict bars only; default AABB); free: the model decides")
    p.add_argument("--strain-bars", type=int, choices=STRAIN_BARS, default=8, help="bars per strain (default 8)")
    p.add_argument("--phrase-repeats", action=argparse.BooleanOptionalAction, default=True,
                   help="with a form, let bars repeat earlier ones as folk tunes do (bar 5 as bar 1, ...; default on)")
    p.add_argument("--cadence", choices=CADENCES, default="home",
                   help="with a form, home: every strain ends on a note of the tonic triad and the tune on its tonic "
                        "(default); free: where the model ends them")
    p.add_argument("--best-of", type=int, default=1, metavar="N",
                   help="sample N candidates per tune and keep the one the critic scores best (against O'Neill's)")
    p.add_argument("--out", help="add the tunes to this .abc tune book (made when missing; X: renumbered) "
                                 "instead of printing them")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_generate)


def cmd_generate(args) -> int:
    from studio.core.configs import SamplingConfig
    from studio.core.disk_space import write_failure
    from studio.core.generation.primer import primer_from_argument
    from studio.core.generation.sampling import Sampler
    from studio.core.tune_book import TuneBookError, append_to_tune_book, read_tune_book, write_tune_book

    if args.out and Path(args.out).is_file():  # a file that is no tune book is refused before any sampling
        try:
            read_tune_book(args.out)
        except TuneBookError as exc:
            raise UserError(f"cannot add the tunes to {args.out}: {exc}") from None
    checkpoint = resolve_checkpoint(args)
    sampler = Sampler.from_checkpoint(checkpoint)
    config = SamplingConfig(temperature=args.temperature, top_k=args.top_k, seed=args.seed,
                            primer=primer_from_argument(args.primer),
                            max_length=args.max_length, count=args.count, bars=args.bars, form=args.form,
                            strain_bars=args.strain_bars, phrase_repeats=args.phrase_repeats,
                            cadence=args.cadence)
    if args.best_of < 1:
        raise UserError("--best-of must be at least 1")
    bar = ProgressBar(args.max_length, "generate") if not args.quiet else None
    steps = [0]

    def on_text(index, chunk):
        if index == 0 and bar:
            steps[0] += 1
            bar.update(steps[0])

    if args.best_of > 1:
        tunes = _best_of(sampler, config, args.best_of, on_text)
    else:
        tunes = sampler.sample(config, on_text=on_text)
    if bar:
        bar.close()
    text = write_tune_book(tunes)
    if args.out:
        try:
            total = append_to_tune_book(args.out, tunes)
        except TuneBookError as exc:
            raise UserError(f"cannot add the tunes to {args.out}: {exc}") from None
        except OSError as exc:  # e.g. a full disk: the tunes sampled are not lost, they go to standard output
            words = write_failure(exc, Path(args.out).absolute().parent).words
            print(f"error: cannot add the tunes to {args.out}: {words}; the book is left as it was and the "
                  f"{len(tunes)} tune(s) follow here", file=sys.stderr)
            sys.stdout.write(text)
            return EXIT_FAILED
        print(f"added {len(tunes)} tune(s) to {args.out} (now {total})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    if getattr(args, "run", None):
        run = run_store(args).open(args.run)
        run.save_samples(text, f"t{args.temperature:g}-seed{tunes[0].seed}-n{len(tunes)}")
    return EXIT_OK


def _best_of(sampler, config, n: int, on_text) -> list:
    """The kept tunes of best-of-``n`` sampling; each one's critic summary goes to stderr."""
    from studio.core.corpus import DEFAULT_CORPUS
    from studio.core.generation.best_of import best_of
    from studio.core.quality.evaluation import corpus_reference

    result = best_of(sampler, config, n, corpus_reference(DEFAULT_CORPUS), on_text=on_text)
    for tune, scores, chosen in zip(result.tunes, result.scores, result.chosen):
        others = ", ".join(f"{score.total:.0f}" for j, score in enumerate(scores) if j != chosen)
        print(f"tune {tune.index + 1} (seed {tune.seed}, best of {n}; the others scored {others}): "
              f"{scores[chosen].summary()}", file=sys.stderr)
    return result.tunes
