"""Start-up time: the studio window shown vs an empty PySide6 QMainWindow shown, in fresh processes, alternated.

Each round starts two fresh Python processes, one after the other (the order alternates between rounds): one
creates a QApplication and an empty ``QMainWindow``, the other does what ``studio.app.main`` does (QApplication,
``MainWindow()``); both call ``show()`` and report from a ``QTimer.singleShot(0)`` after it, i.e. when the event
loop has run once with the window shown (its first paint). The time counts from just before the process is
started, so the interpreter start and every import are included. It prints the medians and the median of the
per-round ratios (target: at most 2x), and which heavy libraries were imported by the time the window was shown.
A third side, a QMainWindow holding only the live ``LossChart`` (which the Train tab shows at start), gives the
floor that pyqtgraph and numpy alone set; ``python -X importtime`` then says what each heavy package costs.

    python bench/startup.py               # 7 rounds, offscreen
    python bench/startup.py --smoke       # 1 round
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "music21", "verovio", "pyqtgraph", "numpy", "fluidsynth", "mido", "matplotlib")

CHILD = r"""
import json, os, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
app.setOrganizationName("ABC Studio")
app.setApplicationName("ABC Studio")
if sys.argv[1] == "studio":
    from studio.ui.main_window import MainWindow
    window = MainWindow()
elif sys.argv[1] == "chart":  # the floor: a window holding only the live loss chart (pyqtgraph, numpy)
    from studio.ui.loss_chart import LossChart
    window = QMainWindow()
    window.setCentralWidget(LossChart())
    window.resize(1100, 750)
else:
    window = QMainWindow()
    window.resize(1100, 750)
window.show()

def report():
    heavy = [name for name in json.loads(sys.argv[2]) if name in sys.modules]
    print(json.dumps({"shown": time.time(), "heavy": heavy}), flush=True)
    os._exit(0)  # no teardown: only the time to a shown window counts

QTimer.singleShot(0, report)
app.exec()
"""


def run_child(kind: str, home: str, *python_options: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), ABC_STUDIO_HOME=home,
               XDG_CONFIG_HOME=home, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, *python_options, "-c", CHILD, kind, json.dumps(HEAVY)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def shown_after(kind: str, home: str) -> tuple[float, list[str]]:
    """Seconds from starting a fresh process to its window being shown, and the heavy modules it had imported."""
    began = time.time()
    out = run_child(kind, home)
    if out.returncode != 0:
        raise RuntimeError(f"{kind} window did not start:\n{out.stderr[-2000:]}")
    line = [l for l in out.stdout.splitlines() if l.startswith("{")][-1]
    report = json.loads(line)
    return report["shown"] - began, report["heavy"]


def import_costs(home: str) -> dict[str, float]:
    """Seconds each heavy package (and the studio's own UI modules) took to import in the studio window's process,
    from ``python -X importtime`` (cumulative, counted where each is first imported)."""
    stderr = run_child("studio", home, "-X", "importtime").stderr
    costs: dict[str, float] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        name = name.strip()
        if name in HEAVY or name in ("PySide6.QtWidgets", "studio.core.report"):
            costs.setdefault(name, int(cumulative) / 1e6)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="one round")
    args = parser.parse_args()
    rounds = 1 if args.smoke else args.rounds
    times: dict[str, list[float]] = {"empty": [], "chart": [], "studio": []}
    ratios, chart_ratios, heavy = [], [], []
    with tempfile.TemporaryDirectory() as home:
        shown_after("empty", home)  # warm the file cache for both
        shown_after("studio", home)
        for r in range(rounds):
            order = ("empty", "chart", "studio") if r % 2 == 0 else ("studio", "chart", "empty")
            this_round = {}
            for kind in order:
                this_round[kind], modules = shown_after(kind, home)
                times[kind].append(this_round[kind])
                if kind == "studio":
                    heavy = modules
            ratios.append(this_round["studio"] / this_round["empty"])
            chart_ratios.append(this_round["chart"] / this_round["empty"])
    print(f"{rounds} rounds, load average {os.getloadavg()[0]:.1f}, platform {os.environ.get('QT_QPA_PLATFORM', 'offscreen')}")
    for kind, values in times.items():
        print(f"  {kind:6} window shown after {statistics.median(values):.2f} s (median; "
              f"{', '.join(f'{v:.2f}' for v in values)})")
    print(f"  ratio studio / empty: {statistics.median(ratios):.2f}x (median of per-round ratios; target <= 2x)")
    print(f"  ratio chart only / empty: {statistics.median(chart_ratios):.2f}x (the floor set by pyqtgraph and numpy)")
    print(f"  heavy modules imported when the studio window was shown: {', '.join(heavy) or 'none'}")
    with tempfile.TemporaryDirectory() as home:
        costs = import_costs(home)
    print("  import cost in the studio process (python -X importtime, cumulative where first imported): "
          + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in sorted(costs.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
