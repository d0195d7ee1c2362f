"""Starts the ABC Studio window: the Qt application, its identity (for QSettings) and the main window.

Heavy libraries (torch, music21, verovio) are imported lazily by the panels, so the window appears quickly.
"""

from __future__ import annotations

import os
import sys


def display_problem(environ=os.environ, platform: str = sys.platform) -> str | None:
    """Why the window cannot open here, or None. Without this check Qt aborts the process (core dump) on Linux."""
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no display found (DISPLAY and WAYLAND_DISPLAY are not set), so the ABC Studio window cannot open. "
            "Start it from a desktop session, or use the command line, which needs no display: "
            "python -m studio --help. (QT_QPA_PLATFORM=offscreen runs the window without a screen.)")


def main(argv: list[str] | None = None) -> int:
    problem = display_problem()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:  # e.g. Qt's system libraries are missing
        print(f"error: cannot start Qt ({exc}). Run ./studio.sh, which installs what is missing.", file=sys.stderr)
        return 1
    from studio.ui.main_window import MainWindow
    from studio.ui.widgets.gui_gc import collect_in_gui_thread

    app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
    collect_in_gui_thread(app)  # a Qt object in garbage collected by a worker thread would crash the process
    app.setOrganizationName("ABC Studio")
    app.setApplicationName("ABC Studio")
    window = MainWindow()
    window.show()
    return app.exec()
