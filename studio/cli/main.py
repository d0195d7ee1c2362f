"""The command line's entry point: everything the window does, for scripts and bigger machines.

    python -m studio corpus [NAME|PATH]          report on a corpus (tunes, characters, vocabulary, dropped)
    python -m studio train --preset lab ...      train a run (Ctrl-C stops and keeps it; --resume RUN continues)
    python -m studio runs [list|rename|delete]   the run store
    python -m studio package --run RUN --out F   a run's best checkpoint as a compact model file
    python -m studio generate --count 4 ...      sample tunes from a run, a checkpoint or the shipped model
    python -m studio inspect TUNE.abc --at 7:12  the model's next-character distribution there, surprise along it
    python -m studio export TUNES.abc --midi F   tunes to MIDI and/or WAV files
    python -m studio evaluate | experiment       judge tunes against a corpus; controlled experiments
    python -m studio report EXPERIMENT|RUN|BOOK  the self-contained HTML lab report (curves, scores, audio)
    python -m studio score --run RUN ...         a model's loss on a corpus split (nats and bits per character)

Exit codes: 0 success, 1 the work failed, 2 a usage or input mistake (with a one-line reason, no traceback),
130 interrupted. A new command family is a module with ``register(subparsers)``, added to ``COMMAND_FAMILIES``.
"""

from __future__ import annotations

import argparse
import os
import sys

from studio.cli import corpus, export, generate, inspect, quality, regenerate, report, score, train
from studio.cli.common import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UserError

#: The modules that add subcommands, in the order ``--help`` lists them.
COMMAND_FAMILIES = [corpus, train, generate, inspect, regenerate, export, quality, score, report]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m studio", description="ABC Studio from the command line.")
    parser.add_argument("--runs-dir", help="where runs are stored (default: the user data folder)")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for family in COMMAND_FAMILIES:
        family.register(subparsers)
    return parser


def _user_error_types() -> tuple:
    from studio.core.corpus import CorpusError
    from studio.core.generation.sampling import SamplingError
    from studio.core.learning.experiment_spec import ExperimentError
    from studio.core.learning.training import TrainingError
    from studio.core.network.checkpoints import CheckpointError
    from studio.core.network.token_vocabulary import CharactersOnly
    from studio.core.quality.evaluation import EvaluationError
    from studio.core.runs import RunStoreError

    return (UserError, CorpusError, CheckpointError, RunStoreError, SamplingError, TrainingError, KeyError,
            EvaluationError, ExperimentError, CharactersOnly)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except _user_error_types() as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
