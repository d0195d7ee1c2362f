"""The core never imports Qt: import every core module (and the CLI) in a fresh interpreter and check."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import studio.cli
import studio.core


def test_core_and_cli_import_no_qt():
    modules = [m.name for m in pkgutil.walk_packages(studio.cli.__path__, "studio.cli.")] + [
        m.name for m in pkgutil.walk_packages(studio.core.__path__, "studio.core.") if not m.name.endswith("__main__")
    ]
    assert len(modules) > 8
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')]\n"
        "print('QT:', bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "QT: []" in out.stdout
