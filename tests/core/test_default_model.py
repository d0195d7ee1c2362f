"""The shipped default model: it loads; with strict bars (the default) every tune it writes is valid ABC with bars
that add up; with free bars most are.

The free thresholds come from models/MODEL_CARD.md (measured on 100 tunes per temperature), less a margin for the
smaller sample here; strict bars hold by construction (the card's strict rows: 100%).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from studio.core.abc.keys import read_key
from studio.core.abc.tokenizer import scan_tune
from studio.core.abc.validate import validate_tune
from studio.core.configs import SamplingConfig
from studio.core.network.checkpoints import load_checkpoint
from studio.core.paths import SHIPPED_MODEL
from studio.core.quality.tonal import tonal_measures

MIN_VALID_SHARE = 0.90  # free bars T=0.8, models/MODEL_CARD.md: 97% measured on 100 tunes, less 2 standard errors of 24
MIN_BAR_CORRECT_SHARE = 0.75  # free bars T=0.8, models/MODEL_CARD.md: 91% measured on 100 tunes, less 2 standard errors
MIN_FINAL_TONIC_SHARE = 0.65  # free bars T=0.8: 81% of 200 tunes end on the tonic (O'Neill's 82%), less 2 SE

pytestmark = pytest.mark.skipif(not SHIPPED_MODEL.exists(), reason="models/default.pt is not in this checkout")


def test_shipped_model_is_small_and_self_describing():
    assert SHIPPED_MODEL.stat().st_size < 25 * 2**20
    checkpoint = load_checkpoint(SHIPPED_MODEL)
    assert checkpoint.corpus["name"] == "irishCombined" and checkpoint.train_config.text_level == "canonical"
    assert checkpoint.optimizer_state is None
    assert checkpoint.model_config.hidden_size == 1024  # the lab's network, so it plays the lab's role
    assert checkpoint.train_config.tonic == "D" and checkpoint.corpus["keys"][""]["G"] > 1000  # and where tunes go


def _valid_and_bars_ok(tunes) -> tuple[float, float, list]:
    reports = [validate_tune(t.text) for t in tunes]
    valid = sum(r.structurally_valid for r in reports) / len(reports)
    bars_ok = sum(r.structurally_valid and r.bars_failed == 0 for r in reports) / len(reports)
    return valid, bars_ok, [r.problems[:2] for r in reports if r.problems]


def test_strict_tunes_are_all_valid_with_every_bar_adding_up(shipped_sampler):
    sampler = shipped_sampler
    config = SamplingConfig(temperature=0.8, seed=0, count=24, max_length=1200)
    assert (config.bars, config.form) == ("strict", "AABB")  # the defaults
    tunes = sampler.sample(config)
    valid, bars_ok, problems = _valid_and_bars_ok(tunes)
    assert valid == 1.0 and bars_ok == 1.0, problems
    assert all(t.text.count(":|") + t.text.count("::") >= 2 for t in tunes)  # two repeated strains (A :: B :|)


def test_most_free_tunes_are_valid_with_bars_that_add_up(shipped_sampler):
    sampler = shipped_sampler
    tunes = sampler.sample(SamplingConfig(temperature=0.8, seed=0, count=24, max_length=1200, bars="free"))
    valid, bars_ok, problems = _valid_and_bars_ok(tunes)
    assert valid >= MIN_VALID_SHARE, problems
    assert bars_ok >= MIN_BAR_CORRECT_SHARE
    home = sum(tonal_measures(t.text).final_on_tonic for t in tunes) / len(tunes)
    assert home >= MIN_FINAL_TONIC_SHARE  # on its own the model brings the tune home (issue 29)
    assert len({read_key(scan_tune(t.text).fields["K"]).tonic_pitch_class for t in tunes}) >= 3  # in its corpus's keys


def test_generate_without_a_model_uses_the_shipped_one(tmp_path):
    env = dict(os.environ, ABC_STUDIO_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-m", "studio", "generate", "--count", "2", "--temperature", "0.9",
                          "--seed", "3", "--quiet"], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "model=default.pt" in out.stdout and "bars=strict form=AABB" in out.stdout
    assert [line for line in out.stdout.splitlines() if line.startswith("X:")] == ["X:1", "X:2"]
