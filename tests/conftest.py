"""Test set-up shared by the core and UI tests: a private data folder and Qt offscreen, before anything starts."""

import os
import tempfile
from pathlib import Path

# Qt's offscreen screen is 800 pixels wide by default, narrower than the window's minimum: a desktop-sized screen
# instead (restoreGeometry shrinks a saved size to the screen, so remembered sizes could not be tested on 800).
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).with_name('offscreen_screen.json')}"
os.environ["ABC_STUDIO_HOME"] = tempfile.mkdtemp(prefix="abc-studio-tests-")


import errno  # noqa: E402
import subprocess  # noqa: E402

import pytest  # noqa: E402


class SmallDisk:
    """A real filesystem of its own (a tmpfs) at ``path`` that a test fills up and frees like a person would."""

    def __init__(self, path: Path):
        self.path = path
        self.ballast = path / "ballast.bin"

    def free(self) -> int:
        import shutil

        return shutil.disk_usage(self.path).free

    def fill(self, leave: int = 0) -> None:
        """Writes a ballast file until only ``leave`` bytes (rounded down to pages) are free, or none."""
        with open(self.ballast, "ab", buffering=0) as handle:
            while self.free() > leave:
                try:
                    handle.write(b"\0" * min(1 << 20, max(4096, self.free() - leave)))
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break

    def empty(self) -> None:
        """Frees the space the ballast took."""
        self.ballast.unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path):
    """``small_disk(bytes)``: a tmpfs of that size mounted under tmp_path (unmounted after the test). Mounting needs
    root: elsewhere the test is skipped with that reason (tests/core/test_disk_full.py also injects the failure at
    the file layer, which runs everywhere)."""
    mounted = []

    def mount(size: int) -> SmallDisk:
        if os.geteuid() != 0:
            pytest.skip("mounting a small tmpfs needs root")
        folder = tmp_path / f"disk{len(mounted)}"
        folder.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
        mounted.append(folder)
        return SmallDisk(folder)

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)
