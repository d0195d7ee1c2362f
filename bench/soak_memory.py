"""Soak test: a long training run inside the real window, measuring memory, threads and open files.

Opens the studio window offscreen (``MainWindow``), loads O'Neill's through the Train panel, fills its form (preset,
iterations) and presses Train through ``TrainPanel.start_training()``, then lets the Qt event loop run (loss chart,
progress, checkpoints, runs list) until the run ends. It prints RSS, thread count and open file count before
training, after a warm-up (the first steps allocate the model, optimizer state and torch's thread pool) and at the
end, plus a sample every 10% of the run. The issue's limits: under 100 MB of growth, no growth in threads or files.

    .venv/bin/python bench/soak_memory.py                    # 3000 steps of the lab model (minutes)
    .venv/bin/python bench/soak_memory.py --preset tiny      # the same loop with a small model (a quick look)

Runs and settings go to a temporary folder (nothing touches the user's data).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        line = next(line for line in handle if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def threads() -> int:
    return len(os.listdir("/proc/self/task"))


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def snapshot(label: str, step: int) -> dict:
    figures = {"label": label, "step": step, "rss_mb": rss_mb(), "threads": threads(), "files": open_files()}
    print(f"{label:>12}  step {step:>6}  RSS {figures['rss_mb']:8.1f} MB  threads {figures['threads']:3}  "
          f"open files {figures['files']:4}", flush=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--preset", default="lab", help="model/training preset of the Train panel (lab, tiny, ...)")
    parser.add_argument("--warmup", type=int, default=100, help="steps before the 'warm' measurement")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="abc-studio-soak-"))
    os.environ["ABC_STUDIO_HOME"] = str(home)
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")  # QSettings
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtWidgets import QApplication

    from studio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    app.setOrganizationName("ABC Studio soak")
    app.setApplicationName("ABC Studio soak")
    window = MainWindow(load_corpus_at_start=False)
    window.show()
    panel = window.train_panel

    def pump(until, limit_s: float, what: str) -> None:
        deadline = time.monotonic() + limit_s
        while not until():
            if time.monotonic() > deadline:
                raise SystemExit(f"gave up waiting for {what}")
            app.processEvents()
            time.sleep(0.01)

    panel.open_corpus("oneills1850")
    pump(lambda: panel.corpus_picker.corpus() is not None, 300, "the corpus")
    panel.form.set_preset(args.preset)
    panel.form.set_value("iterations", str(args.steps))
    for _ in range(20):  # let the window settle (chart, runs list)
        app.processEvents()
        time.sleep(0.01)
    figures = [snapshot("before", 0)]

    def current_step() -> int:  # before the run starts, the bar may count tunes rewritten at a text level
        return panel.progress.value() if panel.is_training() else 0

    if not panel.start_training():
        raise SystemExit(f"the Train panel refused to start: {panel.message.text()}")
    started = time.monotonic()
    # A small run can end between two polls: the warm-up is also over when the run is (waiting on the step alone hung).
    pump(lambda: current_step() >= min(args.warmup, args.steps - 1) or not panel.is_training(), 3600, "the warm-up")
    figures.append(snapshot("warm", current_step()))
    next_report = args.steps // 10
    while panel.is_training():
        app.processEvents()
        time.sleep(0.01)
        if current_step() >= next_report:
            snapshot("training", current_step())
            next_report += args.steps // 10
    for _ in range(50):  # deliver the last signals, let the thread objects go
        app.processEvents()
        time.sleep(0.01)
    figures.append(snapshot("end", panel.progress.value()))
    wall = time.monotonic() - started

    before, warm, end = figures
    run = panel.current_run()
    print(f"\n{args.steps} steps ({args.preset} preset) in {wall:.0f} s; run {run.id if run else '?'} "
          f"status {run.summary()['status'] if run else '?'}")
    print(f"RSS growth warm -> end: {end['rss_mb'] - warm['rss_mb']:+.1f} MB "
          f"(before -> end: {end['rss_mb'] - before['rss_mb']:+.1f} MB; limit 100 MB)")
    print(f"threads before/warm/end: {before['threads']}/{warm['threads']}/{end['threads']}; "
          f"open files before/warm/end: {before['files']}/{warm['files']}/{end['files']}")
    window.close()
    ok = end["rss_mb"] - warm["rss_mb"] < 100 and end["threads"] <= warm["threads"] and end["files"] <= before["files"]
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
