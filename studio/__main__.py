"""``python -m studio ...``: the command line (see ``studio.cli.main``)."""

from studio.cli.main import main

raise SystemExit(main())
