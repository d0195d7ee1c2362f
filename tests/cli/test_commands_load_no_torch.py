"""Commands that need no network load no torch: ``evaluate``, ``corpus``, ``export`` and ``runs`` run in a child
process and torch is not in its ``sys.modules`` afterwards (torch alone takes over a second to import)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUNE = "X:1\nT:Test\nM:4/4\nL:1/8\nK:D\nABcd efga|g2f2 e2d2|]\n"

_RUN_AND_REPORT = """
import sys
from studio.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("torch loaded:", "torch" in sys.modules)
"""


@pytest.mark.parametrize("words", [["evaluate", "--help"], ["corpus", "--help"], ["export", "{tune}", "--midi",
                                                                                  "{out}"], ["runs"]],
                         ids=["evaluate", "corpus", "export", "runs"])
def test_the_command_loads_no_torch(words, tmp_path, home):
    tune = tmp_path / "one.abc"
    tune.write_text(TUNE)
    argv = [word.format(tune=tune, out=tmp_path / "one.mid") for word in words]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _RUN_AND_REPORT, *argv], capture_output=True, text=True,
                         timeout=120, env=env, cwd=tmp_path)
    assert "torch loaded: False" in out.stdout, (out.stdout[-500:], out.stderr[-1500:])
