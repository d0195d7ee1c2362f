"""Checkpoints: round trip, and clear errors for truncated, foreign, mismatched files and failed writes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch

from studio.core.configs import SamplingConfig
from studio.core.generation.sampling import Sampler
from studio.core.network.checkpoints import CheckpointError, load_checkpoint, save_checkpoint


def test_round_trip_rebuilds_the_same_model(trained_run, tmp_path):
    checkpoint = load_checkpoint(trained_run.last_checkpoint)
    assert checkpoint.step == 150
    assert checkpoint.corpus["name"] == "oneills1850"
    assert checkpoint.optimizer_state is not None and checkpoint.rng_state is not None
    copy = save_checkpoint(tmp_path / "copy.pt", checkpoint)
    again = load_checkpoint(copy)
    a, b = checkpoint.build_model(), again.build_model()
    x = torch.randint(0, len(checkpoint.vocabulary), (2, 20))
    assert torch.equal(a(x)[0], b(x)[0])


def test_half_precision_weights_load_and_sample(trained_run, oneills, tmp_path):
    checkpoint = load_checkpoint(trained_run.last_checkpoint)
    checkpoint.optimizer_state = None
    small = save_checkpoint(tmp_path / "half.pt", checkpoint, half_precision=True)
    assert small.stat().st_size < trained_run.best_checkpoint.stat().st_size
    full, half = Sampler.from_checkpoint(trained_run.last_checkpoint), Sampler.from_checkpoint(small)
    text = oneills.tunes[3].text
    codes = torch.tensor([full.vocabulary.encode(text)])
    with torch.no_grad():
        p_full = torch.softmax(full.model(codes)[0][0], dim=-1)
        p_half = torch.softmax(half.model(codes)[0][0], dim=-1)
    # the same predictions up to fp16 rounding of the weights: every probability within 0.01, the same likeliest
    # next character almost everywhere
    assert float((p_full - p_half).abs().max()) < 0.01
    assert float((p_full.argmax(-1) == p_half.argmax(-1)).float().mean()) > 0.98
    tunes = half.sample(SamplingConfig(seed=1, max_length=200, bars="free"))
    assert tunes[0].text.startswith("X:1") and len(tunes[0].text) > len("X:1\n")


def test_truncated_file(trained_run, tmp_path):
    data = trained_run.last_checkpoint.read_bytes()
    bad = tmp_path / "truncated.pt"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(bad)


def test_foreign_and_junk_files(tmp_path):
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, foreign)
    with pytest.raises(CheckpointError, match="not an ABC Studio checkpoint"):
        load_checkpoint(foreign)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(junk)
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "missing.pt")


def test_vocabulary_mismatch(trained_run, tmp_path):
    checkpoint = load_checkpoint(trained_run.last_checkpoint)
    checkpoint.model_config.vocab_size += 3
    path = save_checkpoint(tmp_path / "mismatch.pt", checkpoint)
    with pytest.raises(CheckpointError, match="vocabulary has"):
        load_checkpoint(path)


def test_failed_write_keeps_the_previous_checkpoint(trained_run, tmp_path):
    """A real write failure (file size limit, as on a full disk) in a child process: clear error, old file intact."""
    target = tmp_path / "last.pt"
    target.write_bytes(trained_run.last_checkpoint.read_bytes())
    before = target.read_bytes()
    script = textwrap.dedent(f"""
        import resource, signal
        from studio.core.network.checkpoints import load_checkpoint, save_checkpoint, CheckpointError
        checkpoint = load_checkpoint({str(target)!r})
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            save_checkpoint({str(target)!r}, checkpoint)
        except CheckpointError as exc:
            print("ERROR:", exc)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert "ERROR: could not write checkpoint last.pt" in out.stdout, out.stderr
    assert "previous one is kept" in out.stdout
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name != "home"] == ["last.pt"]  # home: the autouse fixture


def test_a_packaged_model_is_readable_by_other_users(trained_run, tmp_path):
    """A model file is made to be shared: not private like a ``mkstemp`` file (0600), which every checkpoint and
    packaged model was before."""
    import os
    import stat

    umask = os.umask(0o022)
    try:
        path = save_checkpoint(tmp_path / "model.pt", load_checkpoint(trained_run.best_checkpoint), half_precision=True)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
