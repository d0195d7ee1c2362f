"""Sheet music speed on one core: the PDF of a 50-tune book and the MusicXML of a 3,000-tune book, against the
issue's targets (10 s and 60 s), with the wall clock and the CPU time of this process and its children (verovio's
child process, rsvg-convert) so a busy machine's wait is told apart from the work.

    taskset -c 0 python bench/sheet_music_speed.py [--pdf-tunes 50] [--musicxml-tunes 3000]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.core.corpus import load_corpus  # noqa: E402
from studio.core.engraving.notation import shared_renderer  # noqa: E402
from studio.core.export import export_sheet_music  # noqa: E402


def _cpu() -> float:
    """CPU seconds of this process, its ended children (rsvg-convert) and verovio's running child process."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    verovio = 0.0
    pid = shared_renderer().child_pid
    if pid:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        verovio = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + verovio


def measure(label: str, target: float, job) -> None:
    wall, cpu = time.perf_counter(), _cpu()
    result = job()
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU (target {target:g} s: {target / wall:.1f}x under it by the "
          f"wall clock), {len(result.written)} files, {len(result.skipped)} skipped")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pdf-tunes", type=int, default=50)
    parser.add_argument("--musicxml-tunes", type=int, default=3000)
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 "?")
    print(f"CPU {model}; cores allowed {cores}; load average {os.getloadavg()[0]:.1f}")
    tunes = [t.text for t in load_corpus("oneills1850").tunes] + [t.text for t in load_corpus("ryansMammoth").tunes]
    with tempfile.TemporaryDirectory() as folder:
        export_sheet_music(tunes[:1], pdf=Path(folder) / "warm.pdf")  # starts verovio's child process
        measure(f"PDF of {args.pdf_tunes} tunes", 10,
                lambda: export_sheet_music(tunes[:args.pdf_tunes], pdf=Path(folder) / "book.pdf", book_title="B"))
        measure(f"MusicXML of {args.musicxml_tunes} tunes", 60,
                lambda: export_sheet_music(tunes[:args.musicxml_tunes], musicxml=Path(folder) / "xml"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
