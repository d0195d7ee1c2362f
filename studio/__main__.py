"""``python -m studio ...``: the command line (see ``studio.cli``)."""

from studio.cli import main

raise SystemExit(main())
