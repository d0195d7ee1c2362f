"""Costly widgets are built after the window's first paint, or at once when code asks for them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QTabWidget

from studio.ui.widgets.deferred import DeferredWidget, after_first_paint

ROOT = Path(__file__).resolve().parents[2]


def settle(qtbot, turns: int = 3) -> None:
    """Runs the event loop until what is already queued (paints, zero-delay timers and what they queue in turn) has
    run: ``turns`` zero-delay timers fire one after another. Not a time: a slow machine waits longer, never less."""
    for _ in range(turns):
        fired = []
        QTimer.singleShot(0, lambda: fired.append(True))
        qtbot.waitUntil(lambda: bool(fired), timeout=5000)


def test_built_after_its_first_paint_not_before(qtbot):
    made = []

    def factory():
        made.append(QLabel("the real widget"))
        return made[-1]

    slot = DeferredWidget(factory, "Loading...")
    qtbot.addWidget(slot)
    assert not slot.is_built() and made == []
    built = []
    slot.built.connect(built.append)
    slot.show()
    qtbot.waitUntil(slot.is_built, timeout=5000)
    assert made and built == [made[0]] and slot.widget() is made[0]
    assert made[0].isVisible() and made[0].parent() is slot


def test_asking_for_the_widget_builds_it_at_once_and_only_once(qtbot):
    calls = []
    slot = DeferredWidget(lambda: calls.append(1) or QLabel("x"))
    qtbot.addWidget(slot)
    first = slot.widget()
    assert slot.widget() is first and calls == [1]


def test_a_hidden_tab_waits_until_it_is_shown(qtbot):
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    visible, hidden = DeferredWidget(lambda: QLabel("first")), DeferredWidget(lambda: QLabel("second"))
    tabs.addTab(visible, "one")
    tabs.addTab(hidden, "two")
    tabs.show()
    qtbot.waitUntil(visible.is_built, timeout=5000)
    tabs.repaint()
    settle(qtbot)
    assert not hidden.is_built()
    tabs.setCurrentWidget(hidden)
    qtbot.waitUntil(hidden.is_built, timeout=5000)


def test_after_first_paint_runs_once_the_widget_is_painted(qtbot):
    label = QLabel("paint me")
    qtbot.addWidget(label)
    calls = []
    after_first_paint(label, lambda: calls.append(label.isVisible()))
    settle(qtbot)
    assert calls == []  # not shown: never painted
    label.show()
    qtbot.waitUntil(lambda: calls == [True], timeout=5000)
    label.repaint()  # painted again, at once
    settle(qtbot)
    assert calls == [True]


CHILD = r"""
import json, sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from studio.ui.main_window import MainWindow
window = MainWindow()
seen = {}

def look(stage):
    seen[stage] = sorted(m for m in ("numpy", "pyqtgraph", "torch", "music21", "verovio", "fluidsynth")
                         if m in sys.modules)

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Paint and "painted" not in seen:
            look("painted")
        return False

watcher = FirstPaint()
window.installEventFilter(watcher)
window.show()

def finish():
    look("settled")
    seen["chart built"] = window.train_panel.chart_slot.is_built()
    print(json.dumps(seen), flush=True)
    app.quit()

window.train_panel.chart_slot.built.connect(lambda _chart: QTimer.singleShot(0, finish))
QTimer.singleShot(60_000, finish)  # the chart never came: the assertions say so
app.exec()
"""


def test_the_window_paints_before_importing_the_heavy_libraries(tmp_path):
    """What makes start-up quick (bench/startup.py measures how quick): no numpy, pyqtgraph, torch or music21 before
    the first frame; the live chart (pyqtgraph, numpy) right after it."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ABC_STUDIO_HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path),
               PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])
    assert seen["painted"] == []
    assert seen["chart built"] and {"numpy", "pyqtgraph"} <= set(seen["settled"])
