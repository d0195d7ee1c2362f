"""Loss chart frame rate: 20,000 streamed points into the real LossChart vs the same chart with no points.

Two measurements, each taking turns between the two sides (offscreen QApplication, chart shown at 900x500):

* **Frame cost.** Frame after frame, the "streaming" chart receives its share of 20,000 points (``append_steps``)
  and the "empty" chart receives none; each frame is the chart's own update path (``_redraw``: setData of the
  curves, axis following) plus a synchronous paint of the plot (``viewport().repaint()``). The frame cost gives the
  frame rate the chart can sustain (1000 / ms); the median over the last quarter (15,000-20,000 points drawn) is the
  figure that matters. Target: above 30 frames per second.
* **Delivered frames.** The chart's own redraw timer drains a point source fed at a steady rate (20,000 points over
  ``--seconds``), and the ``redrawn`` signals and paint events are counted per second. The timer runs at 30 ms at
  best (at most 33 fps) and stretches itself when a frame costs more than 20% of the interval (so the chart never
  takes more than a fifth of the GUI thread, see gui_responsiveness in README.md).

    python bench/chart_fps.py            # 20,000 points
    python bench/chart_fps.py --smoke    # 2,000 points, 1 s
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QEvent, QObject  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.ui.train.loss_chart import LossChart  # noqa: E402


def fake_losses(count: int, seed: int = 0) -> np.ndarray:
    """(step, loss) rows like a training run's: a decaying curve with noise."""
    steps = np.arange(1, count + 1, dtype=float)
    rng = np.random.default_rng(seed)
    losses = 1.2 + 3.0 * np.exp(-steps / 800) + rng.normal(0, 0.08, count)
    return np.column_stack([steps, losses])


class PaintCounter(QObject):
    def __init__(self, widget):
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, _obj, event):
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def new_chart(points: int) -> LossChart:
    chart = LossChart()
    chart.resize(900, 500)
    chart.set_planned_steps(points)
    chart.show()
    return chart


def frame(chart: LossChart, rows: np.ndarray) -> float:
    """Milliseconds of one frame: new points, the chart's update path, a synchronous paint."""
    began = time.perf_counter()
    chart.append_steps(rows)
    chart._dirty = True  # the empty chart redraws too (same work minus the points)
    chart._redraw()
    chart.plot_widget.viewport().repaint()
    return (time.perf_counter() - began) * 1000


def frame_costs(app: QApplication, points: int, frames: int) -> None:
    data = fake_losses(points)
    streaming, empty = new_chart(points), new_chart(points)
    app.processEvents()
    per_frame = points // frames
    costs: dict[str, list[float]] = {"streaming": [], "empty": []}
    for i in range(frames):
        rows = data[i * per_frame:(i + 1) * per_frame]
        sides = (("streaming", streaming, rows), ("empty", empty, rows[:0]))
        for name, chart, chunk in (sides if i % 2 == 0 else sides[::-1]):
            costs[name].append(frame(chart, chunk))
        app.processEvents()
    tail = frames * 3 // 4
    stream_ms = statistics.median(costs["streaming"][tail:])
    empty_ms = statistics.median(costs["empty"][tail:])
    shown = len(streaming.train_data()[0])
    print(f"frame cost with {shown:,} points: {stream_ms:.1f} ms ({1000 / stream_ms:.0f} fps possible), "
          f"empty chart {empty_ms:.1f} ms ({1000 / empty_ms:.0f} fps); ratio streaming / empty {stream_ms / empty_ms:.2f}x"
          f"; worst streaming frame {max(costs['streaming']):.1f} ms (median of the last {frames - tail} frames; "
          f"target > 30 fps, i.e. < 33 ms)")
    streaming.close()
    empty.close()


def delivered_frames(app: QApplication, points: int, seconds: float) -> None:
    data = fake_losses(points)
    results = {}
    for name in ("streaming", "empty"):
        chart = new_chart(points)
        app.processEvents()
        redraws = [0]
        chart.redrawn.connect(lambda: redraws.__setitem__(0, redraws[0] + 1))
        paints = PaintCounter(chart.plot_widget.viewport())
        began = time.perf_counter()
        sent = [0]

        def source():  # the points a training thread would have produced by now
            if name == "empty":
                chart._dirty = True
                return []
            due = min(points, int((time.perf_counter() - began) / seconds * points))
            rows, sent[0] = data[sent[0]:due], due
            return rows

        chart.set_point_source(source)
        while time.perf_counter() - began < seconds:
            app.processEvents()
            time.sleep(0.001)
        elapsed = time.perf_counter() - began
        results[name] = (redraws[0] / elapsed, paints.count / elapsed, chart._timer.interval(),
                         len(chart.train_data()[0]))
        chart.set_point_source(None)
        chart.close()
    for name, (fps, paint_fps, interval, shown) in results.items():
        print(f"delivered ({name}, {shown:,} points after {seconds:g} s): {fps:.1f} redraws/s, {paint_fps:.1f} paints/s, "
              f"redraw interval at the end {interval} ms")
    print(f"  ratio streaming / empty redraws per second: {results['streaming'][0] / results['empty'][0]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=8.0, help="length of the delivered-frames phase")
    parser.add_argument("--smoke", action="store_true", help="2,000 points, short")
    args = parser.parse_args()
    if args.smoke:
        args.points, args.frames, args.seconds = 2000, 20, 1.0
    app = QApplication.instance() or QApplication(sys.argv)
    print(f"LossChart, {args.points:,} points, load average {os.getloadavg()[0]:.1f}, "
          f"platform {os.environ['QT_QPA_PLATFORM']}")
    frame_costs(app, args.points, args.frames)
    delivered_frames(app, args.points, args.seconds)


if __name__ == "__main__":
    main()
