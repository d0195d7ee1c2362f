"""Start-up time: the studio window shown vs an empty PySide6 QMainWindow shown, in fresh processes, alternated.

Each round starts two fresh Python processes, one after the other (the order alternates between rounds): one
creates a QApplication and an empty ``QMainWindow``, the other does what ``studio.app.main`` does (QApplication,
``MainWindow()``); both call ``show()`` and report once the window's first paint has finished (an event filter sees
the window's first paint event and reports on the next turn of the event loop), so work a window does before its
first frame counts, and work it puts off until after it does not (the charts, built just after the first frame).
The time counts from just before the process is started, so the interpreter start and every import are included.
Compiled bytecode is allowed (``PYTHONDONTWRITEBYTECODE`` is dropped for the children), as on a user's machine from
the second start on; warm-up starts fill the cache. It prints the medians and the median of the per-round ratios
(target: at most 2x), and which heavy libraries were imported by the time the window was shown. A third side, a
QMainWindow holding only the ``LossChart`` the Train tab shows, gives what pyqtgraph and numpy alone cost if the
chart were built before the first frame; ``python -X importtime`` then says what each heavy package costs.

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
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
app.setOrganizationName("ABC Studio")
app.setApplicationName("ABC Studio")
if sys.argv[1] == "studio":
    from studio.ui.main_window import MainWindow
    window = MainWindow()
elif sys.argv[1] == "chart":  # the floor: a window holding only the live loss chart (pyqtgraph, numpy)
    from studio.ui.train.loss_chart import LossChart
    window = QMainWindow()
    window.setCentralWidget(LossChart())
    window.resize(1100, 750)
else:
    window = QMainWindow()
    window.resize(1100, 750)

reported = {}

def report():
    if "shown" in reported:
        return
    reported["shown"] = time.time()
    reported["heavy"] = [name for name in json.loads(sys.argv[2]) if name in sys.modules]
    if sys.argv[1] != "studio":
        finish()
    slot = window.train_panel.chart_slot  # the studio: also when its live chart (built after the first frame) is up
    if slot.is_built():
        QTimer.singleShot(0, chart_drawn)
    else:
        slot.built.connect(lambda _chart: QTimer.singleShot(0, chart_drawn))

def chart_drawn():
    reported["chart"] = time.time()
    finish()

def finish():
    print(json.dumps(reported), flush=True)
    os._exit(0)  # no teardown: only the time to a shown window counts

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Paint and "shown" not in reported:
            QTimer.singleShot(0, report)  # once this paint pass has finished
        return False

watcher = FirstPaint()
window.installEventFilter(watcher)
window.show()
app.exec()
"""


def run_child(kind: str, home: str, *python_options: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), ABC_STUDIO_HOME=home,
               XDG_CONFIG_HOME=home, PYTHONPATH=str(ROOT))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's second start finds the bytecode cached
    return subprocess.run([sys.executable, *python_options, "-c", CHILD, kind, json.dumps(HEAVY)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def shown_after(kind: str, home: str) -> tuple[float, list[str], float | None]:
    """Seconds from starting a fresh process to its window being shown, the heavy modules it had imported, and
    (studio only) seconds to its live chart being built."""
    began = time.time()
    out = run_child(kind, home)
    if out.returncode != 0:
        raise RuntimeError(f"{kind} window did not start:\n{out.stderr[-2000:]}")
    line = [l for l in out.stdout.splitlines() if l.startswith("{")][-1]
    report = json.loads(line)
    chart = report["chart"] - began if "chart" in report else None
    return report["shown"] - began, report["heavy"], chart


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
        if name in HEAVY or name in ("PySide6.QtWidgets", "studio.core.reports.report"):
            costs.setdefault(name, int(cumulative) / 1e6)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="one round")
    args = parser.parse_args()
    rounds = 1 if args.smoke else args.rounds
    times: dict[str, list[float]] = {"empty": [], "chart": [], "studio": []}
    ratios, chart_ratios, heavy, chart_up = [], [], [], []
    with tempfile.TemporaryDirectory() as home:
        shown_after("empty", home)  # warm the file cache for both
        shown_after("studio", home)
        for r in range(rounds):
            order = ("empty", "chart", "studio") if r % 2 == 0 else ("studio", "chart", "empty")
            this_round = {}
            for kind in order:
                this_round[kind], modules, chart = shown_after(kind, home)
                times[kind].append(this_round[kind])
                if kind == "studio":
                    heavy = modules
                    chart_up.append(chart)
            ratios.append(this_round["studio"] / this_round["empty"])
            chart_ratios.append(this_round["chart"] / this_round["empty"])
    print(f"{rounds} rounds, load average {os.getloadavg()[0]:.1f}, platform {os.environ.get('QT_QPA_PLATFORM', 'offscreen')}")
    for kind, values in times.items():
        print(f"  {kind:6} window shown after {statistics.median(values):.2f} s (median; "
              f"{', '.join(f'{v:.2f}' for v in values)})")
    print(f"  studio live chart built and drawn after {statistics.median(chart_up):.2f} s (median)")
    print(f"  ratio studio / empty: {statistics.median(ratios):.2f}x (median of per-round ratios; target <= 2x)")
    print(f"  ratio chart only / empty: {statistics.median(chart_ratios):.2f}x (a chart built before the first frame)")
    print(f"  heavy modules imported when the studio window was shown: {', '.join(heavy) or 'none'}")
    with tempfile.TemporaryDirectory() as home:
        costs = import_costs(home)
    print("  import cost in the studio process up to its live chart (python -X importtime, cumulative where first "
          "imported): "
          + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in sorted(costs.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
