"""Test set-up shared by the core and UI tests: a private data folder and Qt offscreen, before anything starts."""

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["ABC_STUDIO_HOME"] = tempfile.mkdtemp(prefix="abc-studio-tests-")
