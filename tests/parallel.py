"""How ``./studio.sh test`` deals the suite out to its pytest-xdist workers (``-n auto --dist loadgroup``).

- The tests of a module that builds a fixture once per module (``@pytest.fixture(scope="module")``: a trained model,
  an experiment, a corpus's reference) go to one worker, which builds it once; every other test goes to whichever
  worker is free, so a long module (the bench smoke tests) is shared out too.
- Those modules first, then the slow tests, then the quick ones: the last tests dealt out are short and the workers
  finish together.

pytest-xdist 3.8's own loadgroup reads a test's group from a suffix it writes into the node id, which pytest 9.2's
structured node ids ignore, so it silently stops grouping (pytest-dev/pytest-xdist#1386): the scheduler here finds the
groups itself, from the test files.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from xdist.scheduler import LoadScopeScheduling

_MODULE_FIXTURE = re.compile(r"@pytest\.fixture\([^)]*scope=[\"']module[\"']")


@lru_cache(maxsize=None)
def builds_module_fixture(path: Path) -> bool:
    """Whether the test file at ``path`` declares a fixture built once per module."""
    try:
        return bool(_MODULE_FIXTURE.search(path.read_text(encoding="utf-8")))
    except OSError:
        return False


class ModuleFixtureScheduling(LoadScopeScheduling):
    """xdist's scope scheduling with a module as the unit when it builds a module fixture, else a single test.
    Units are handed out largest first (the modules), then in the workers' collection order (see :func:`order`)."""

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return module if builds_module_fixture(self.config.rootpath / module) else nodeid


def order(items: list) -> None:
    """Sorts the collected tests as the scheduler should deal them out: modules with a module fixture and slow tests
    first (a module's own tests keep their order)."""
    items.sort(key=lambda item: not (builds_module_fixture(Path(item.fspath)) or item.get_closest_marker("slow")))
