"""The report's audio length cap: a tune's audio is cut at ``max_seconds`` (with a fade), read back from the Ogg."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import soundfile

from studio.core.reports.report_media import AUDIO_SAMPLE_RATE, ogg_data_uri, tune_media
from studio.core.sound.synth import find_soundfont


def _decoded(uri: str) -> tuple[np.ndarray, int]:
    assert uri.startswith("data:audio/ogg;base64,")
    return soundfile.read(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def test_audio_longer_than_the_cap_is_cut_with_a_fade():
    seconds = 6
    t = np.arange(seconds * AUDIO_SAMPLE_RATE) / AUDIO_SAMPLE_RATE
    tone = (np.sin(2 * np.pi * 440 * t) * 20_000).astype(np.int16)
    pcm = np.stack([tone, tone], axis=1)
    uri, kept, cut = ogg_data_uri(pcm, AUDIO_SAMPLE_RATE, max_seconds=2.0)
    assert cut and kept == pytest.approx(2.0)
    audio, rate = _decoded(uri)
    assert rate == AUDIO_SAMPLE_RATE and len(audio) / rate == pytest.approx(2.0, abs=0.05)
    assert np.abs(audio[: rate // 2]).max() > 0.3 and np.abs(audio[-rate // 50:]).max() < 0.05  # faded out
    uri, kept, cut = ogg_data_uri(pcm, AUDIO_SAMPLE_RATE, max_seconds=10.0)
    assert not cut and kept == pytest.approx(seconds)
    assert len(_decoded(uri)[0]) / AUDIO_SAMPLE_RATE == pytest.approx(seconds, abs=0.05)


@pytest.mark.skipif(find_soundfont() is None, reason="no SoundFont installed")
def test_a_tune_longer_than_the_cap_plays_for_the_cap():
    tune = "X:1\nT:Long\nM:4/4\nL:1/4\nQ:1/4=120\nK:C\n" + "C D E F|G A B c|" * 4 + "\n"  # 16 s at 120
    media = tune_media(tune, max_seconds=3.0)
    assert media.audio_error is None or media.audio_error == "", media.audio_error
    assert media.audio_cut and media.audio_seconds == pytest.approx(3.0)
    audio, rate = _decoded(media.audio_uri)
    assert len(audio) / rate == pytest.approx(3.0, abs=0.05)
