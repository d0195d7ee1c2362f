"""Takes the README's screenshot of fine-tuning in the Train tab (docs/screenshots/train-fine-tune.png): Start from
the shipped model with the form locked to it, a fine-tuning run's curve with the base's held-out loss as the line to
beat, and the run scored beside its base on the new collection and on O'Neill's held-out tunes.

    xvfb-run -a -s '-screen 0 1400x900x24' python scripts/fine_tune_screenshot.py RUN_FOLDER
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from window_driver import HOME, ROOT, StudioDriver


def main() -> int:
    source = Path(sys.argv[1])
    shutil.copytree(source, Path(HOME) / "runs" / source.name)
    driver = StudioDriver("ABC Studio Screenshots", (1380, 860))
    panel = driver.window.train_panel
    from studio.core.runs import RunStore
    from studio.ui.train.start_from import show_line_to_beat

    run = RunStore().open(source.name)
    panel.open_corpus(run.meta()["corpus"]["source"])
    driver.wait_until(lambda: panel.corpus_picker.corpus() is not None)
    panel.start_from.refresh()
    panel.start_from.choose("shipped")
    panel.runs_panel.refresh()
    panel.chart.load_log(run.loss_log())
    show_line_to_beat(panel.chart, run)
    panel.chart.fit()
    panel.start_from.score_forgetting(run)
    driver.wait_until(lambda: "per melody note" in panel.start_from.scores.text())
    driver.pause(300)
    driver.grab(ROOT / "docs" / "screenshots" / "train-fine-tune.png")
    driver.window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
