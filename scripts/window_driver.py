"""Shared by the scripts that drive the real studio window (screenshots, journeys): a private data folder and
settings, the window itself, and waiting on the Qt event loop for a condition.

Import it before anything from PySide6 or studio: it points ``ABC_STUDIO_HOME`` at a temporary folder and picks the
offscreen platform when there is no display.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HOME = tempfile.mkdtemp(prefix="abc-studio-script-")
os.environ["ABC_STUDIO_HOME"] = HOME
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class StudioDriver:
    """The real main window in a QApplication whose settings live in the temporary folder."""

    def __init__(self, organization: str, size: tuple[int, int] = (1400, 900)):
        from PySide6.QtCore import QEventLoop, QSettings
        from PySide6.QtWidgets import QApplication

        self.app = QApplication(sys.argv[:1])
        self.app.setOrganizationName(organization)
        self.app.setApplicationName("ABC Studio")
        QSettings.setDefaultFormat(QSettings.IniFormat)
        QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, HOME)
        from studio.ui.main_window import MainWindow

        self.window = MainWindow(load_corpus_at_start=False)
        self.window.resize(*size)
        self.window.show()
        self.loop = QEventLoop()

    def wait_until(self, condition, poll_ms: int = 100, limit_s: float = 600) -> None:
        """Runs the event loop until ``condition()`` is true; exits the script if it is not within ``limit_s``."""
        from PySide6.QtCore import QTimer

        timer, waited = QTimer(), [0]

        def poll():
            waited[0] += poll_ms
            if condition() or waited[0] > limit_s * 1000:
                self.loop.quit()

        timer.timeout.connect(poll)
        timer.start(poll_ms)
        self.loop.exec()
        timer.stop()
        if not condition():
            raise SystemExit(f"gave up waiting after {limit_s} s")

    def pause(self, milliseconds: int) -> None:
        """Lets the window run (draw, play) for a while."""
        from PySide6.QtCore import QTimer

        QTimer.singleShot(milliseconds, self.loop.quit)
        self.loop.exec()

    def grab(self, path: Path) -> None:
        self.window.grab().save(str(path))
        print(f"saved {path}", flush=True)
