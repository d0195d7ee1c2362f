"""Test set-up shared by the core and UI tests: one torch thread, a private data folder and Qt offscreen, before
anything starts."""

import os
import tempfile
from pathlib import Path

# One thread per process: torch's default of 2 threads on a 2-core machine oversubscribes the cores as soon as
# anything else runs (a resume test took 107 s instead of 5.6 s). Set before torch is imported, and in the
# environment so that every subprocess a test starts (the CLI, torchrun, the killed window) inherits it.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import torch  # noqa: E402

torch.set_num_threads(1)

# Qt's offscreen screen is 800 pixels wide by default, narrower than the window's minimum: a desktop-sized screen
# instead (restoreGeometry shrinks a saved size to the screen, so remembered sizes could not be tested on 800).
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).with_name('offscreen_screen.json')}"
os.environ["ABC_STUDIO_HOME"] = tempfile.mkdtemp(prefix="abc-studio-tests-")
