"""Plain helpers shared by the tests (no fixtures: those live in the conftest files): where O'Neill's files are and
one of its tunes, the one way to run ``python -m studio`` in a child process, with this checkout's code and a private
data folder, abc2midi's complaints about a tune, a bench script as a module, and the one way to run a script as two
ranks of a gloo group.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def oneills_files() -> tuple[str, ...]:
    """The 39 files of O'Neill's Music of Ireland (1850) in music21's bundled corpus, in name order."""
    from music21 import corpus

    return tuple(sorted(str(p) for p in corpus.getCorePaths(fileExtensions=("abc",)) if "oneills1850" in str(p)))


def oneills_first_file() -> str:
    """O'Neill's first file (50 real tunes): a small real corpus that loads in a moment."""
    return oneills_files()[0]


def studio_env(home: Path | str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a child ``python -m studio``: this checkout first on the path (so a worktree's tests run
    its own code), the given data folder, one torch thread (inherited from the suite's conftest) and ``extra``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
    if home is not None:
        env["ABC_STUDIO_HOME"] = str(home)
    env.update(extra)
    return env


def run_studio(*args, home: Path | str | None = None, timeout: float = 300, env: dict | None = None,
               check: bool = False) -> subprocess.CompletedProcess:
    """``python -m studio ARGS`` in a child process, as a user runs it; output captured as text."""
    return subprocess.run([sys.executable, "-m", "studio", *map(str, args)], capture_output=True, text=True,
                          env=env or studio_env(home), cwd=str(PROJECT_ROOT), timeout=timeout, check=check)


def start_studio(*args, home: Path | str | None = None, env: dict | None = None, **popen) -> subprocess.Popen:
    """``python -m studio ARGS`` started in a child process (stdout and stderr piped as text) for a test to signal."""
    return subprocess.Popen([sys.executable, "-m", "studio", *map(str, args)], env=env or studio_env(home),
                            cwd=str(PROJECT_ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def bench_module(name: str):
    """The script ``bench/NAME.py`` imported as a module (its ``main`` not run), for a test that reads what the bench
    measures over (e.g. the strict meter matrix's primers), so the two share one list."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"bench_{name}", PROJECT_ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(PROJECT_ROOT / "bench"))  # a bench script imports its neighbours by name
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(PROJECT_ROOT / "bench"))
    return module


def copy_run(run, runs_folder: Path):
    """A copy of ``run`` in ``runs_folder`` (a store of its own), opened: for a test that writes into a run."""
    from studio.core.runs import RunStore

    shutil.copytree(run.path, Path(runs_folder) / run.id)
    return RunStore(runs_folder).open(run.id)


def abc2midi_complaints(text: str, folder: Path) -> list[str]:
    """abc2midi's errors and bar warnings on a tune (``abc2midi -c``), each without its line and column, and without
    its track number (a chord symbol gives the melody track 1 instead of 0), so the complaints of two versions of a
    tune compare as lists."""
    path = Path(folder) / "tune.abc"
    path.write_text(text)
    return sorted(re.sub(r"^Track \d+ ", "", line.split(" : ", 1)[-1]) for line in abc2midi_output(path).splitlines()
                  if line.startswith("Error") or "time units" in line)


def abc2midi_output(path: Path) -> str:
    """What ``abc2midi FILE -c`` prints (stdout, then stderr), run in the file's folder (it leaves a barloc.txt
    there); bytes that are not UTF-8 (abc2midi echoes a tune's bytes, cut anywhere) are replaced, never raised."""
    done = subprocess.run(["abc2midi", str(path), "-c"], capture_output=True, text=True, errors="replace", timeout=60,
                          cwd=Path(path).parent)
    return done.stdout + done.stderr


def oneills_tune(oneills, number: int) -> str:
    """O'Neill's tune X:number (``oneills``: the loaded corpus) at the canonical text level, the shipped model's."""
    from studio.core.abc.canonical import canonical_tune

    return canonical_tune(next(t.text for t in oneills.tunes if t.text.startswith(f"X:{number}\n")))


def free_port() -> int:
    """A port free now; another process may take it before rank 0 binds it, so ``run_two_ranks`` tries again."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_two_ranks(script: Path, *args: str, env: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Runs ``script ARGS`` as ranks 0 and 1 of a gloo group (in ``env``, by default :func:`studio_env`); each
    rank's ``key value`` lines as a dict. Another process (a parallel test worker...) may take the port between
    :func:`free_port` and rank 0's bind: then it tries another."""
    for _attempt in range(3):
        port = free_port()
        processes = []
        for rank in range(2):
            rank_env = dict(env or studio_env(), RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2",
                            MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
            processes.append(subprocess.Popen([sys.executable, str(script), *args], env=rank_env,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        done = [process.communicate(timeout=300) for process in processes]
        if any("address already in use" in err.lower() for _out, err in done):
            continue  # the port was taken between free_port() and the bind: another port
        for process, (_out, err) in zip(processes, done):
            assert process.returncode == 0, err[-2000:]
        return [dict(line.split(" ", 1) for line in out.splitlines()) for out, _err in done]
    raise AssertionError("three free ports were taken before rank 0 could bind them")


def melody_pitches(text: str, graces: bool = True) -> list[int]:
    """The MIDI pitches of a tune's notes in order (grace notes too unless ``graces`` is false)."""
    from studio.core.abc.tokenizer import scan_tune

    kinds = ("note", "grace_note") if graces else ("note",)
    return [t.pitch for t in scan_tune(text).tokens if t.kind in kinds]
