"""Takes the README's screenshots by driving the real window like a newcomer would.

Launches the studio, waits for O'Neill's to load, trains the Lab preset for ``--steps`` steps and grabs the Train
tab mid-run (docs/screenshots/train-mid-run.png), stops (the run is kept), trains "Lab batch 4" for as many steps,
stops, then selects both runs in "Runs & comparison" and grabs the overlay (docs/screenshots/runs-overlay.png).
Runs and settings go to a temporary folder. Use a real X server for true rendering:

    Xvfb :99 -screen 0 1400x900x24 &  DISPLAY=:99 python scripts/screenshots.py --steps 80
"""

from __future__ import annotations

import argparse
from pathlib import Path

from window_driver import ROOT, StudioDriver


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    driver = StudioDriver("ABC Studio Screenshots", (1380, 860))
    window, wait_until = driver.window, driver.wait_until
    panel = window.train_panel
    panel.load_default_corpus()
    wait_until(lambda: panel.corpus_picker.corpus() is not None)

    def train(preset_name: str, name: str):
        panel.form.set_preset(preset_name)
        panel.train_button.click()
        wait_until(lambda: len(panel.chart.train_data()[0]) >= args.steps)
        run = panel.current_run()
        return run

    run_a = train("lab", "lab")
    driver.pause(300)
    driver.grab(out / "train-mid-run.png")
    panel.stop()
    wait_until(lambda: not panel.is_training())

    run_b = train("lab-batch4", "lab batch 4")
    panel.stop()
    wait_until(lambda: not panel.is_training())

    panel.views.setCurrentWidget(panel.runs_panel)
    panel.runs_panel.rename_run(run_a.id, "Lab (batch 8, seq 100)")
    panel.runs_panel.rename_run(run_b.id, "Lab batch 4")
    panel.runs_panel.select_runs([run_a.id, run_b.id])
    driver.pause(500)
    driver.grab(out / "runs-overlay.png")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
