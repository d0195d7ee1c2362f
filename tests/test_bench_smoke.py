"""Every benchmark script under bench/ starts and finishes in its quick mode (no timing is checked here).

The benchmarks themselves compare two things in one run and print ratios (bench/README.md); this test only guards
against a script that no longer runs after the code it measures has changed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"

#: Each script with the arguments of its quick mode (seconds instead of minutes).
QUICK_ARGS = {
    "best_of_speed.py": ["--smoke"],
    "bf16_quality.py": ["--steps", "5", "--hidden-size", "32", "--smoke"],
    "bulk_export.py": ["--smoke"],
    "cadence_quality.py": ["--smoke"],
    "canonical_check.py": ["--limit", "3"],
    "canonical_speed.py": ["--tunes", "20", "--rounds", "1"],
    "chart_fps.py": ["--smoke"],
    "evaluate_speed.py": ["--smoke"],
    "fine_tune_recipe.py": ["--smoke"],
    "gemm_peak.py": ["--smoke"],
    "generation_speed.py": ["--smoke"],
    "gui_responsiveness.py": ["--preset", "tiny", "--iterations", "30"],
    "inspection_speed.py": ["--smoke"],
    "loss_by_line.py": ["--smoke"],
    "metrics_speed.py": ["2"],
    "musicxml_musescore.py": ["--oneills", "3"],
    "notation_speed.py": ["2"],
    "sheet_music_speed.py": ["--pdf-tunes", "3", "--musicxml-tunes", "20"],
    "soak_memory.py": ["--preset", "tiny", "--steps", "30", "--warmup", "5"],
    "precision_probe.py": ["--hidden-size", "32", "--embedding", "16", "--rounds", "2", "--smoke"],
    "reader_agreement.py": ["--only", "nottingham-dataset"],
    "regenerate_quality.py": ["--smoke"],
    "startup.py": ["--smoke"],
    "strict_meters.py": ["--smoke"],
    "strict_quality.py": ["--smoke"],
    "strict_sampling.py": ["--smoke"],
    "train_throughput.py": ["--rounds", "1", "--block", "1", "--hidden-size", "64", "--threads", "1"],
    "units_pilot.py": ["--smoke"],
}
#: Scripts whose quick mode another test runs and reads back, so it is not run twice: script -> that test's file.
RUN_ELSEWHERE = {"time_to_quality.py": "tests/test_time_to_quality.py"}  # --scale smoke, its output checked


def test_every_bench_script_has_a_quick_mode_here():
    assert sorted(p.name for p in BENCH.glob("*.py")) == sorted([*QUICK_ARGS, *RUN_ELSEWHERE])
    for script, test_file in RUN_ELSEWHERE.items():
        assert script in (ROOT / test_file).read_text(encoding="utf-8"), test_file


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(QUICK_ARGS))
def test_bench_script_runs(script, tmp_path, home):
    # the test's own data folder (``home``: its runs and tunes are its own, its caches of derived data the session's,
    # so a script that measures against O'Neill's does not recompute the reference another test or script built).
    # TMPDIR too: a script's temporary files (reader_agreement's abc2midi cache, abc2midi's barloc.txt) are this
    # test's, not shared with a parallel worker or another checkout's tests, and go with tmp_path
    env = dict(os.environ, ABC_STUDIO_HOME=str(home), XDG_CONFIG_HOME=str(tmp_path / "config"),
               QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), TMPDIR=str(tmp_path))
    result = subprocess.run([sys.executable, str(BENCH / script), *QUICK_ARGS[script]], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, f"{script} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    assert result.stdout.strip(), f"{script} printed no figures"
