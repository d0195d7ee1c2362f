"""The command line: ``python -m studio COMMAND``. The entry point is ``studio.cli.main``; each command family has
its module here (``train``, ``generate``, ``export``, ``quality``, ``corpus``) exposing ``register(subparsers)``."""
