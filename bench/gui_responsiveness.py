"""Is the window responsive while it trains, and does training in the window run as fast as without it?

In one process: (1) a headless ``Trainer`` runs the chosen config; (2) the same config is trained from the real
studio window (Train button, live chart, worker thread) while a QTimer in the GUI thread fires every 10 ms and
records how late each tick is; (3) the headless run again, so that a change in the machine's load during the
benchmark shows up as a difference between (1) and (3) instead of as a false ratio. Prints steps per second of each
(from each run's loss log, after a warm-up), the ratio window / mean headless, and the GUI timer's lateness at
p50 / p99 / max. Targets: ratio >= 0.95, p99 < 30 ms, max < 100 ms. Both use the same torch thread count (the
window's: one core less than the machine has).

    python bench/gui_responsiveness.py                            # tiny preset, 1500 steps, about a minute
    python bench/gui_responsiveness.py --preset lab --iterations 100
    DISPLAY=:99 python bench/gui_responsiveness.py                # a real X server (Xvfb) instead of offscreen

Runs and settings go to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
HOME = tempfile.mkdtemp(prefix="abc-gui-bench-")
os.environ["ABC_STUDIO_HOME"] = HOME
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

TICK_MS = 10
WARMUP_STEPS = 5


def steps_per_second(run) -> float:
    """Training speed from the run's own log, skipping the first steps (allocation, lazy imports)."""
    points = [p for p in run.loss_log() if p.kind == "train"]
    first = min(WARMUP_STEPS, len(points) // 4)
    a, b = points[first], points[-1]
    return (b.step - a.step) / max(b.elapsed - a.elapsed, 1e-9)


def headless(corpus, preset_name: str, iterations: int, threads: int):
    import torch

    from studio.core.configs import preset
    from studio.core.learning.training import Trainer
    from studio.core.runs import RunStore

    torch.set_num_threads(threads)
    model_config, train_config = preset(preset_name)
    train_config.iterations = iterations
    return Trainer.new(corpus, model_config, train_config, RunStore(), name="headless").run().run


def in_window(app, corpus_spec: str, preset_name: str, iterations: int):
    from PySide6.QtCore import QEventLoop, QTimer

    from studio.ui.main_window import MainWindow

    window = MainWindow(load_corpus_at_start=False)
    window.show()
    panel = window.train_panel
    loop = QEventLoop()
    panel.corpus_picker.corpus_loaded.connect(lambda _c: loop.quit())
    panel.open_corpus(corpus_spec)
    loop.exec()
    panel.form.set_preset(preset_name)
    panel.form.set_value("iterations", str(iterations))

    lateness: list[float] = []
    last = [0.0]

    def tick():
        now = time.perf_counter()
        if last[0]:
            lateness.append(max(0.0, (now - last[0]) * 1000 - TICK_MS))
        last[0] = now

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    panel.training_changed.connect(lambda training: None if training else loop.quit())
    pauses = GarbageCollectionPauses()
    timer.start()
    panel.train_button.click()
    loop.exec()
    timer.stop()
    pauses.stop()
    run = panel.current_run()
    window.close()
    return run, np.array(lateness), pauses


class GarbageCollectionPauses:
    """Times every garbage collection (the window runs them in the GUI thread, see studio/ui/widgets/gui_gc.py)."""

    def __init__(self):
        import gc

        self.by_generation: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._began = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase, info) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.by_generation[info["generation"]].append((time.perf_counter() - self._began) * 1000)

    def stop(self) -> None:
        import gc

        gc.callbacks.remove(self._callback)

    def summary(self) -> str:
        counts = ", ".join(f"generation {g}: {len(t)}" for g, t in self.by_generation.items())
        longest = max((max(t) for t in self.by_generation.values() if t), default=0.0)
        full = self.by_generation[2]
        return (f"{counts}; longest {longest:.1f} ms"
                + (f", full collections {', '.join(f'{t:.0f}' for t in full)} ms" if full else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="oneills1850")
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--iterations", type=int, default=1500)
    args = parser.parse_args()
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    app.setOrganizationName("ABC Studio Bench")
    app.setApplicationName("ABC Studio")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, HOME)

    from studio.core.corpus import load_corpus
    from studio.ui.train.training_worker import training_threads

    threads = training_threads()
    corpus = load_corpus(args.corpus)
    print(f"config: preset {args.preset}, {args.iterations} steps, corpus {corpus.name}, torch threads {threads}, "
          f"platform {app.platformName()}, {os.cpu_count()} cores")
    bases = []

    def run_headless(label):
        started = time.perf_counter()
        bases.append(steps_per_second(headless(corpus, args.preset, args.iterations, threads)))
        print(f"headless {label}: {bases[-1]:.2f} steps/s ({time.perf_counter() - started:.0f} s)", flush=True)

    run_headless("before")
    started = time.perf_counter()
    window_run, late, pauses = in_window(app, args.corpus, args.preset, args.iterations)
    window = steps_per_second(window_run)
    print(f"window:          {window:.2f} steps/s ({time.perf_counter() - started:.0f} s), "
          f"{window_run.summary()['steps_done']} steps, status {window_run.summary()['status']}", flush=True)
    run_headless("after")
    base = sum(bases) / len(bases)
    print(f"ratio window / mean headless: {window / base:.3f}  (target >= 0.95; headless before/after differ by "
          f"{abs(bases[0] - bases[1]) / base:.0%}: the machine's load changed that much meanwhile)")
    print(f"GUI timer lateness over {len(late)} ticks of {TICK_MS} ms: p50 {np.percentile(late, 50):.1f} ms, "
          f"p99 {np.percentile(late, 99):.1f} ms, max {late.max():.1f} ms  (targets p99 < 30, max < 100)")
    print(f"garbage collections while the window trained: {pauses.summary()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
