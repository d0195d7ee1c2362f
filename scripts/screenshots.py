"""Takes the README's screenshots by driving the real window like a newcomer would.

Launches the studio, waits for O'Neill's to load, trains the Lab preset for ``--steps`` steps and grabs the Train
tab mid-run (docs/screenshots/train-mid-run.png), stops (the run is kept), trains "Lab batch 4" for as many steps,
stops, then selects both runs in "Runs & comparison" and grabs the overlay (docs/screenshots/runs-overlay.png).
Runs and settings go to a temporary folder. Use a real X server for true rendering:

    Xvfb :99 -screen 0 1400x900x24 &  DISPLAY=:99 python scripts/screenshots.py --steps 80
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HOME = tempfile.mkdtemp(prefix="abc-screenshots-")
os.environ["ABC_STUDIO_HOME"] = HOME
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    app.setOrganizationName("ABC Studio Screenshots")
    app.setApplicationName("ABC Studio")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, HOME)
    from studio.ui.main_window import MainWindow

    window = MainWindow(load_corpus_at_start=False)
    window.resize(1380, 860)
    window.show()
    panel = window.train_panel
    loop = QEventLoop()

    def wait_until(condition, poll_ms: int = 200) -> None:
        timer = QTimer()
        timer.timeout.connect(lambda: loop.quit() if condition() else None)
        timer.start(poll_ms)
        loop.exec()
        timer.stop()

    panel.load_default_corpus()
    wait_until(lambda: panel.corpus_picker.corpus() is not None)

    def train(preset_name: str, name: str):
        panel.form.set_preset(preset_name)
        panel.train_button.click()
        wait_until(lambda: len(panel.chart.train_data()[0]) >= args.steps)
        run = panel.current_run()
        return run

    run_a = train("lab", "lab")
    QTimer.singleShot(300, loop.quit)
    loop.exec()
    window.grab().save(str(out / "train-mid-run.png"))
    print(f"saved {out / 'train-mid-run.png'}", flush=True)
    panel.stop()
    wait_until(lambda: not panel.is_training())

    run_b = train("lab-batch4", "lab batch 4")
    panel.stop()
    wait_until(lambda: not panel.is_training())

    panel.views.setCurrentWidget(panel.runs_panel)
    panel.runs_panel.rename_run(run_a.id, "Lab (batch 8, seq 100)")
    panel.runs_panel.rename_run(run_b.id, "Lab batch 4")
    panel.runs_panel.select_runs([run_a.id, run_b.id])
    QTimer.singleShot(500, loop.quit)
    loop.exec()
    window.grab().save(str(out / "runs-overlay.png"))
    print(f"saved {out / 'runs-overlay.png'}", flush=True)
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
