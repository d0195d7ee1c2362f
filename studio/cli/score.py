"""``python -m studio score``: a model's loss on a corpus split (nats and bits per character, per tune, unknowns);
a run's score is kept in its run.json, where the window's runs table shows it."""

from __future__ import annotations

from studio.cli.common import EXIT_OK, ProgressBar, UserError, resolve_checkpoint


def register(subparsers) -> None:
    from studio.core.configs import SCORE_METHODS, SCORE_SPLITS
    from studio.core.corpus import DEFAULT_CORPUS

    p = subparsers.add_parser("score", help="a model's loss on a corpus's held-out (or any) tunes")
    p.add_argument("--model", dest="checkpoint", metavar="M",
                   help="a checkpoint or model file (default: the shipped model)")
    p.add_argument("--run", help="a run id: its best checkpoint (else its last), scored on the run's stored split")
    p.add_argument("--corpus", default=DEFAULT_CORPUS, help="built-in name or .abc file/folder (default %(default)s)")
    p.add_argument("--split", default="validation", choices=SCORE_SPLITS,
                   help="validation and train: as the model's training divided the corpus; all: every tune")
    p.add_argument("--method", default="tunes", choices=SCORE_METHODS,
                   help="tunes: every tune read whole (the figure to quote); windows: the trainer's validation loss")
    p.add_argument("--top", type=int, default=5, help="how many most and least surprising tunes to list")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    p.set_defaults(func=cmd_score)


def cmd_score(args) -> int:
    import torch

    from studio.core.corpus import load_corpus
    from studio.core.network.checkpoints import CheckpointError, load_checkpoint
    from studio.core.quality.scored_tunes import ScoringError, run_of_checkpoint
    from studio.core.quality.scoring import record_score, score_corpus

    if args.threads:
        torch.set_num_threads(args.threads)
    model = resolve_checkpoint(args)
    corpus = load_corpus(args.corpus)
    try:
        checkpoint = load_checkpoint(model)
    except CheckpointError as exc:
        raise UserError(str(exc)) from exc
    bar: ProgressBar | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = ProgressBar(total, "score")
        bar.update(done, checkpoint.vocabulary.units)  # characters, or a token model's tokens

    try:
        score = score_corpus(model, corpus, args.split, args.method, progress=progress, checkpoint=checkpoint)
    except ScoringError as exc:
        raise UserError(str(exc)) from exc
    print("\n".join(score.summary_lines(args.top)))
    run = run_of_checkpoint(model)
    if run is not None:  # the runs table (window) shows it beside the run's own losses
        record_score(run, score)
        print(f"kept in {run.path / 'run.json'}")
    return EXIT_OK

