"""``python -m studio generate`` with strict bars, a form and best-of-N (in-process; the real process: test_cli.py)."""

from __future__ import annotations

import re

import pytest

from studio.core.abc.text import split_tunes
from studio.core.abc.validate import validate_tune


@pytest.fixture
def generate(cli, trained_run_copy):
    """``generate(*flags)``: the tiny run's checkpoint (a copy: samples are kept beside it) sampled from the CLI."""
    def run(*args):
        return cli("generate", "--checkpoint", trained_run_copy.last_checkpoint, "--quiet", "--max-length", "1500",
                   *args)
    return run


def test_strict_ab_best_of_two_keeps_valid_tunes_and_says_why(generate):
    out = generate("--count", "2", "--seed", "3", "--temperature", "1.2", "--bars", "strict", "--form", "AB",
                   "--strain-bars", "8", "--best-of", "2")
    assert out.returncode == 0, out.stderr
    tunes = split_tunes(out.stdout)
    assert [re.search(r"^X:(\d+)", t, re.M).group(1) for t in tunes] == ["1", "2"]
    for tune in tunes:
        report = validate_tune(tune)
        assert report.structurally_valid and not report.bars_failed, report.problems
        assert "bars=strict form=AB" in tune
    summaries = [line for line in out.stderr.splitlines() if "best of 2" in line]
    assert len(summaries) == 2 and all("score" in line for line in summaries), out.stderr


def test_free_bars_sample_as_before(generate):
    out = generate("--count", "1", "--seed", "5", "--bars", "free")
    assert out.returncode == 0, out.stderr
    assert "bars=strict" not in out.stdout
    assert "score" not in out.stderr  # no critic without --best-of


def test_best_of_zero_is_a_user_mistake(generate):
    out = generate("--best-of", "0")
    assert out.returncode == 2 and "--best-of must be at least 1" in out.stderr
    assert "Traceback" not in out.stderr
