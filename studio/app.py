"""Starts the ABC Studio window: the Qt application, its identity (for QSettings) and the main window.

Heavy libraries (torch, music21, verovio) are imported lazily by the panels, so the window appears quickly.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:  # e.g. Qt's system libraries are missing
        print(f"error: cannot start Qt ({exc}). Run ./studio.sh, which installs what is missing.", file=sys.stderr)
        return 1
    from studio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
    app.setOrganizationName("ABC Studio")
    app.setApplicationName("ABC Studio")
    window = MainWindow()
    window.show()
    return app.exec()
