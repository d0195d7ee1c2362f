"""Test set-up shared by the core and UI tests: a private data folder and Qt offscreen, before anything starts."""

import os
import tempfile
from pathlib import Path

# Qt's offscreen screen is 800 pixels wide by default, narrower than the window's minimum: a desktop-sized screen
# instead (restoreGeometry shrinks a saved size to the screen, so remembered sizes could not be tested on 800).
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).with_name('offscreen_screen.json')}"
os.environ["ABC_STUDIO_HOME"] = tempfile.mkdtemp(prefix="abc-studio-tests-")
