"""Benchmark: ``python -m studio evaluate FILE`` on one tune, before and after the reference cache, in one run.

"Before" is the code of a git revision (default: the commit before ``studio/core/quality/reference_cache.py`` was added),
exported to a temporary folder with ``git archive``; "after" is this tree. Each side runs once with an empty data
folder (cold: the corpus's reference statistics are computed and cached) and then ``--repeat`` times with that
cache (warm); the script prints CPU seconds (user + system of the child, steadier than wall time on a busy
machine) and wall seconds, the ratio before / after, and whether both print the same table.

    python bench/evaluate_speed.py [--before REV] [--repeat 3] [--corpus oneills1850] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUNE = """X:1
T:Test tune
M:6/8
L:1/8
K:D
|:A|dfd cec|dfa g2e|dfd cec|d3 d2:|
|:e|fga efg|fed cBA|fga efg|d3 d2:|
"""


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def default_before() -> str:
    added = _git("log", "--diff-filter=A", "--format=%H", "--", "studio/core/quality/reference_cache.py").splitlines()
    return f"{added[-1]}^" if added else "HEAD"


def export_tree(revision: str, folder: Path) -> Path:
    archive = folder / "before.tar"
    subprocess.run(["git", "archive", "--format=tar", "-o", str(archive), revision, "studio"], cwd=ROOT, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "before", filter="data")
    return folder / "before"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def evaluate_once(tree: Path, home: Path, tune_file: Path, corpus: str) -> tuple[float, float, str]:
    """Wall time, CPU time (user + system: less sensitive to a busy machine) and the printed table."""
    env = dict(os.environ, PYTHONPATH=str(tree), ABC_STUDIO_HOME=str(home), OMP_NUM_THREADS="1")
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "studio", "evaluate", str(tune_file), "--corpus", corpus],
                          capture_output=True, text=True, env=env, cwd=tree)
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"evaluate failed in {tree}:\n{done.stderr[-2000:]}")
    return elapsed, cpu, done.stdout


def measure(label: str, tree: Path, home: Path, tune_file: Path, corpus: str, repeat: int) -> tuple[float, float, str]:
    """Cold and median cached CPU seconds of one side (wall seconds printed beside them)."""
    cold_wall, cold, output = evaluate_once(tree, home, tune_file, corpus)
    warm = [evaluate_once(tree, home, tune_file, corpus)[:2] for _ in range(repeat)]
    cached = statistics.median(cpu for _, cpu in warm)
    print(f"{label:6}  cold {cold:6.2f} s CPU ({cold_wall:.2f} s wall)   cached {cached:5.2f} s CPU (median of "
          f"{repeat}; wall " + ", ".join(f"{wall:.2f}" for wall, _ in warm) + " s)", flush=True)
    return cold, cached, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="git revision to compare with (default: before the reference cache)")
    parser.add_argument("--repeat", type=int, default=3, help="cached runs per side (default 3)")
    parser.add_argument("--corpus", default="oneills1850", help="corpus to compare with (default oneills1850)")
    parser.add_argument("--smoke", action="store_true", help="a 40-tune corpus and one cached run (seconds)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="evaluate-speed-") as tmp:
        folder = Path(tmp)
        tune_file = folder / "tune.abc"
        tune_file.write_text(TUNE, encoding="utf-8")
        corpus, repeat = args.corpus, args.repeat
        if args.smoke:
            sys.path.insert(0, str(ROOT))
            from studio.core.corpus import load_corpus

            corpus, repeat = str(folder / "small.abc"), 1
            Path(corpus).write_text("\n\n".join(t.text for t in load_corpus(args.corpus).tunes[:40]) + "\n",
                                    encoding="utf-8")
        try:
            before_tree = export_tree(args.before or default_before(), folder)
        except (subprocess.CalledProcessError, FileNotFoundError, IndexError) as exc:
            before_tree = None
            print(f"(no 'before' tree: {exc}; measuring this tree only)")
        print(f"python -m studio evaluate (one tune) vs {corpus}; {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}")
        after = measure("after", ROOT, folder / "home-after", tune_file, corpus, repeat)
        if before_tree is None:
            return
        before = measure("before", before_tree, folder / "home-before", tune_file, corpus, repeat)
        print(f"ratio before / after (CPU): cold {before[0] / after[0]:.2f}x, cached {before[1] / after[1]:.2f}x "
              f"(target: cached after well under 1 s)")
        print(f"same output before and after: {'yes' if before[2] == after[2] else 'NO'}")


if __name__ == "__main__":
    main()
