"""Benchmark: scoring real tunes with tune_metrics vs parsing them with music21, in one run; prints the ratio.

Scores 1,000 O'Neill tunes with :func:`studio.core.quality.metrics.tune_metrics`; music21 parses a subset (default 50 tunes,
about 56 ms each) and its time is scaled to 1,000 tunes. Usage: ``python bench/metrics_speed.py [music21_subset]``.
"""

from __future__ import annotations

import sys
import time

from studio.core.corpus import load_corpus
from studio.core.quality.metrics import tune_metrics


def main() -> None:
    subset = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    tunes = [t.text for t in load_corpus("oneills1850").tunes][:1000]
    from music21 import converter

    start = time.perf_counter()
    for tune in tunes:
        tune_metrics(tune)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    for tune in tunes[:subset]:
        converter.parse(tune, format="abc")
    music21_scaled = (time.perf_counter() - start) / subset * len(tunes)
    print(f"tune_metrics: {len(tunes)} tunes in {ours:.2f} s ({ours / len(tunes) * 1000:.2f} ms/tune)")
    print(f"music21 parse: {subset} tunes, scaled to {len(tunes)}: {music21_scaled:.2f} s "
          f"({music21_scaled / len(tunes) * 1000:.1f} ms/tune)")
    print(f"ratio (music21 / tune_metrics): {music21_scaled / ours:.1f}x (target >= 10x)")


if __name__ == "__main__":
    main()
