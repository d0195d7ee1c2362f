"""How fast is rewriting a tune at the canonical level, now against an earlier commit, in one run?

Rewriting O'Neill's at the canonical level is the first thing a new user waits for (once; then it is cached).
This script extracts the ``studio`` package of a baseline commit (``git archive``) into a temporary folder and times
``normalise_tune`` on the same tunes with both versions, alternating rounds in subprocesses (one thread each), and
prints ms per tune and the ratio baseline / now. Without git (or ``--baseline none``) it times the current code only.

    PYTHONPATH=. .venv/bin/python bench/canonical_speed.py                    # 300 O'Neill's tunes, 3 rounds
    PYTHONPATH=. .venv/bin/python bench/canonical_speed.py --tunes 2002 --rounds 1
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The merge that brought text levels in, before the rewrite was made faster.
DEFAULT_BASELINE = "f26f9c5"

_TIMER = """
import hashlib, sys, time
from studio.core.abc.canonical import normalise_tune
from studio.core.corpus import load_corpus
tunes = [t.text for t in load_corpus("oneills1850").tunes[:int(sys.argv[1])]]
level = sys.argv[2]
start = time.perf_counter()
texts = [normalise_tune(text, level).text for text in tunes]
elapsed = time.perf_counter() - start
print(elapsed / len(tunes) * 1000, hashlib.sha256("\\0".join(texts).encode()).hexdigest()[:16])
"""


def _time(package_root: Path, tunes: int, level: str) -> tuple[float, str]:
    env = dict(os.environ, PYTHONPATH=str(package_root), OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _TIMER, str(tunes), level], env=env, capture_output=True,
                         text=True, check=True, cwd=package_root)
    ms, digest = out.stdout.split()
    return float(ms), digest


def _extract(revision: str, into: Path) -> Path | None:
    archive = into / "baseline.tar"
    try:
        subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), revision, "studio"], check=True,
                       capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"no baseline ({revision}): {exc}; timing the current code only")
        return None
    with tarfile.open(archive) as tar:
        tar.extractall(into / "baseline", filter="data")
    return into / "baseline"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tunes", type=int, default=300, help="O'Neill's tunes per round (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--level", default="canonical", choices=["canonical", "melody"])
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git revision to compare with, or 'none'")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        baseline = None if args.baseline == "none" else _extract(args.baseline, Path(folder))
        now_ms, before_ms = [], []
        for _ in range(args.rounds):
            ms, now_digest = _time(ROOT, args.tunes, args.level)
            now_ms.append(ms)
            if baseline is not None:
                ms, before_digest = _time(baseline, args.tunes, args.level)
                before_ms.append(ms)
                same = "same texts" if before_digest == now_digest else "TEXTS DIFFER"
                print(f"round: now {now_ms[-1]:.2f} ms/tune, {args.baseline} {ms:.2f} ms/tune ({same})", flush=True)
        now = min(now_ms)
        print(f"{args.level}, {args.tunes} O'Neill's tunes, best of {args.rounds}: now {now:.2f} ms/tune "
              f"({now * 2002 / 1000:.0f} s for all 2,002)")
        if before_ms:
            before = min(before_ms)
            print(f"baseline {args.baseline}: {before:.2f} ms/tune; ratio baseline/now {before / now:.2f}")


if __name__ == "__main__":
    main()
