"""``python -m studio corpus [NAME|PATH] [--list] [--text LEVEL]``: what a corpus holds, what is dropped and why,
and what writing it at a text level changes."""

from __future__ import annotations

from studio.cli.common import EXIT_OK


def register(subparsers) -> None:
    from studio.core.abc.canonical import TEXT_LEVELS
    from studio.core.corpus import DEFAULT_CORPUS

    p = subparsers.add_parser("corpus", help="report on a corpus")
    p.add_argument("spec", nargs="?", default=DEFAULT_CORPUS, help="built-in name or .abc file/folder")
    p.add_argument("--list", action="store_true", help="list the built-in collections")
    p.add_argument("--text", choices=TEXT_LEVELS, default="raw",
                   help="also show what writing the tunes at this text level changes (characters before and "
                        "after, per kind of change) and one tune before and after")
    p.set_defaults(func=cmd_corpus)


def cmd_corpus(args) -> int:
    from studio.core.corpus import BUILTIN_CORPORA, load_corpus
    from studio.core.text_levels import corpus_at_level

    if args.list:
        for name, description in BUILTIN_CORPORA.items():
            print(f"{name:15} {description}")
        return EXIT_OK
    corpus = load_corpus(args.spec)
    print(corpus.report.summary())
    print(f"identity {corpus.identity()}")
    print(f"vocabulary {corpus.report.vocabulary!r}")
    if args.text != "raw":
        leveled = corpus_at_level(corpus, args.text)
        print()
        print(leveled.normalisation.summary())
        print()
        print(leveled.normalisation.example())
    return EXIT_OK
