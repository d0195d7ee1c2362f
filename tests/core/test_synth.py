"""FluidSynth offline rendering of a real tune, SoundFont lookup, audio probing without a sound card, the Player clock."""

import subprocess
import sys
import threading
import wave
from pathlib import Path

import mido
import numpy as np
import pytest

from studio.core.abc.text import split_tunes
from studio.core.engraving.notation import NotationRenderer
from studio.core.sound.midi import abc_to_midi
from studio.core.sound.playback import AudioUnavailable, FluidSynthSink, Player, probe_audio
from studio.core.sound.synth import (
    RELEASE_TAIL_S,
    SoundFontError,
    find_soundfont,
    midi_events,
    render_midi_to_pcm,
    write_wav,
)

from support import oneills_first_file

NO_SOUND_CARD = not Path("/dev/snd").exists()
RATE = 22050


@pytest.fixture(scope="module")
def tune_midi():
    path = Path(oneills_first_file())
    tune = split_tunes(path.read_bytes().decode("latin-1"))[2]
    with NotationRenderer() as renderer:
        return abc_to_midi(tune, tempo_bpm=240, renderer=renderer)


@pytest.fixture(scope="module")
def short_midi():
    """Four quarter notes at 600 qpm (0.1 s each): a 0.4 s tune for the real-time player."""
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(600))])
    for note in (60, 62, 64, 65):
        track += [mido.Message("note_on", note=note, velocity=80), mido.Message("note_off", note=note, time=480)]
    midi = mido.MidiFile(ticks_per_beat=480)
    midi.tracks.append(track)
    return midi


def rms(samples):
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


def test_offline_render_is_audible_and_as_long_as_the_tune(tune_midi, tmp_path):
    pcm = render_midi_to_pcm(tune_midi, sample_rate=RATE)
    assert pcm.dtype == np.int16 and pcm.ndim == 2 and pcm.shape[1] == 2
    assert pcm.shape[0] / RATE == pytest.approx(tune_midi.length + RELEASE_TAIL_S, abs=0.01)
    music = pcm[: int(tune_midi.length * RATE)]
    assert rms(music) > 300
    # sound in every second of the music, and the last note still sounding near the end
    for second in range(int(tune_midi.length)):
        assert rms(music[second * RATE:(second + 1) * RATE]) > 100
    assert rms(music[-RATE // 4:]) > 100
    # the tail dies away
    assert rms(pcm[-RATE // 10:]) < rms(music) / 10
    path = write_wav(pcm, tmp_path / "tune.wav", RATE)
    with wave.open(str(path)) as back:
        assert (back.getnchannels(), back.getsampwidth(), back.getframerate()) == (2, 2, RATE)
        assert back.getnframes() == pcm.shape[0]


def test_program_override_changes_the_sound(short_midi):
    violin = render_midi_to_pcm(short_midi, sample_rate=RATE, program=40, tail_s=0.1)
    flute = render_midi_to_pcm(short_midi, sample_rate=RATE, program=73, tail_s=0.1)
    assert violin.shape == flute.shape
    assert not np.array_equal(violin, flute)


def test_missing_soundfont_is_a_clear_error(short_midi, tmp_path):
    with pytest.raises(SoundFontError, match="does not exist"):
        render_midi_to_pcm(short_midi, tmp_path / "missing.sf2")
    junk = tmp_path / "junk.sf2"
    junk.write_bytes(b"not a soundfont")
    with pytest.raises(SoundFontError, match="could not load"):
        render_midi_to_pcm(short_midi, junk)


def test_find_soundfont_prefers_the_environment_then_the_argument(tmp_path, monkeypatch):
    mine, theirs = tmp_path / "mine.sf2", tmp_path / "theirs.sf2"
    mine.write_bytes(b"x")
    theirs.write_bytes(b"x")
    monkeypatch.setenv("ABC_STUDIO_SOUNDFONT", str(mine))
    assert find_soundfont(theirs) == mine
    monkeypatch.delenv("ABC_STUDIO_SOUNDFONT")
    assert find_soundfont(theirs) == theirs
    system = find_soundfont(tmp_path / "absent.sf2")  # a missing preferred file falls through to the system's
    if system is None:
        pytest.skip("no system SoundFont installed (apt-get install timgm6mb-soundfont)")
    head = system.read_bytes()[:12]
    assert head[:4] == b"RIFF" and head[8:12] == b"sfbk"  # a real SoundFont, not just a name ending in .sf2


def test_missing_fluidsynth_library_explains_the_fix():
    code = ("import sys; sys.modules['fluidsynth'] = None\n"
            "from studio.core.sound.synth import load_fluidsynth, SynthUnavailable\n"
            "try:\n    load_fluidsynth()\nexcept SynthUnavailable as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert "apt-get install libfluidsynth3" in out


@pytest.mark.skipif(not NO_SOUND_CARD, reason="this machine has a sound card")
def test_without_a_sound_card_audio_is_reported_unavailable():
    status = probe_audio(refresh=True)
    assert not status.available and status.driver is None
    assert "no sound card" in status.message and "WAV export" in status.message
    with pytest.raises(AudioUnavailable, match="No audio output"):
        FluidSynthSink.open()


class RecordingPlayer(Player):
    def __init__(self):
        super().__init__()
        self.positions, self.notes, self.errors, self.note_positions = [], [], [], []
        self.finished = threading.Event()

    def on_position(self, ms):
        self.positions.append(ms)

    def on_note(self, is_on, channel, note, velocity):
        self.notes.append((is_on, note))
        if is_on:
            self.note_positions.append(self.position_ms)

    def on_finished(self):
        self.finished.set()

    def on_error(self, message):
        self.errors.append(message)


def test_clock_only_player_moves_forward_plays_every_note_and_finishes(short_midi):
    player = RecordingPlayer()
    player.load(short_midi)
    assert player.duration_ms == pytest.approx(400)
    player.play()
    assert player.finished.wait(10)
    assert player.positions == sorted(player.positions)
    # each note sounds when the clock reaches it (100 ms apart), not all at once
    assert [round(ms) >= 100 * i for i, ms in enumerate(player.note_positions)] == [True] * 4
    assert player.positions[-1] == pytest.approx(400)
    assert [n for on, n in player.notes if on] == [60, 62, 64, 65]
    assert not player.is_playing and not player.errors
    player.close()


def test_player_seek_skips_the_start_and_loop_repeats(short_midi):
    player = RecordingPlayer()
    player.load(short_midi)
    player.seek(250)
    player.play()
    assert player.finished.wait(10)
    assert [n for on, n in player.notes if on] == [65]
    assert min(player.positions) >= 250
    looping = RecordingPlayer()
    looping.load(short_midi)
    looping.loop = True
    looping.set_tempo_factor(4.0)
    played = threading.Event()
    looping.on_note = lambda is_on, channel, note, velocity: (note == 60 and is_on and looping.notes.append(note),
                                                             len(looping.notes) >= 3 and played.set())
    looping.play()
    assert played.wait(10)
    looping.stop()
    assert not looping.is_playing and not looping.finished.is_set() and looping.position_ms == 0


def test_events_have_absolute_times(short_midi):
    assert [round(e.time_ms) for e in midi_events(short_midi) if e.message.type == "note_on"] == [0, 100, 200, 300]
