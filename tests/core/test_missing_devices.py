"""Missing or broken FluidSynth library, missing SoundFont, no sound card, no MIDI system, no display.

Each is made real in a child process: the FluidSynth library is hidden from ``ctypes.util.find_library`` (an empty
loader cache in a private mount namespace) or replaced by a broken file, the SoundFont folder is hidden behind an empty
tmpfs; this machine has no sound card, no ALSA sequencer and no display. Each case must give a clear message, and
the rest (MIDI export, notation, the CLI) must keep working.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import mido
import pytest

from studio.core.sound.midi_ports import list_output_port_status

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TUNE = "X:1\nT:Test\nM:6/8\nL:1/8\nK:D\n|:dfa bag|fed e2d:|\n"
# Debian's multiarch folder of this machine (x86_64-linux-gnu, aarch64-linux-gnu...), or lib64 elsewhere
FLUIDSYNTH_LIBRARY = next(iter(sorted(Path("/usr/lib").glob("*-linux-gnu/libfluidsynth.so.3"))),
                          Path("/usr/lib64/libfluidsynth.so.3"))
SOUNDFONT_FOLDER = Path("/usr/share/sounds")

# runs in the child: every entry point, printing one line per outcome
CHILD = textwrap.dedent(f"""
    import sys
    from pathlib import Path
    import mido
    from studio.core.export import ExportError, export_midi, export_wav
    from studio.core.sound.playback import probe_audio
    from studio.core.sound.synth import load_fluidsynth, SynthUnavailable, SoundFontError, render_midi_to_pcm
    from studio.core.sound.midi import abc_to_midi
    out = Path(sys.argv[1])
    tune = {TUNE!r}
    try:
        load_fluidsynth()
        print("fluidsynth: loaded")
    except SynthUnavailable as exc:
        print("fluidsynth:", exc)
    try:
        render_midi_to_pcm(abc_to_midi(tune))
        print("synth: rendered")
    except (SynthUnavailable, SoundFontError) as exc:
        print("synth:", exc)
    try:
        export_wav(tune, out / "t.wav")
        print("wav: written")
    except ExportError as exc:
        print("wav:", exc)
    print("audio:", probe_audio(refresh=True).message)
    path = export_midi(tune, out / "t.mid")
    print("midi notes:", sum(m.type == "note_on" and m.velocity > 0 for m in mido.MidiFile(path).play()))
""")


# root gets a private mount namespace directly; another user through a user namespace (unshare -r), where the
# kernel allows unprivileged user namespaces
UNSHARE = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-r", "-m"]


def namespace_available() -> bool:
    if not shutil.which("unshare") or sys.platform != "linux":
        return False
    return subprocess.run([*UNSHARE, "true"], capture_output=True).returncode == 0


needs_namespace = pytest.mark.skipif(
    not namespace_available(),
    reason=f"needs a private mount namespace ({' '.join(UNSHARE)} failed: as a user, the kernel must allow "
           "unprivileged user namespaces, e.g. sysctl kernel.unprivileged_userns_clone=1)")


def run_child(tmp_path: Path, mounts: list[str]) -> dict[str, str]:
    """Runs CHILD inside a private mount namespace after the given mount commands; returns {label: message}."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    command = " && ".join(mounts + [f'exec "{sys.executable}" "{script}" "{tmp_path}"'])
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), ABC_STUDIO_HOME=str(tmp_path / "home"))
    env.pop("ABC_STUDIO_SOUNDFONT", None)
    done = subprocess.run([*UNSHARE, "sh", "-c", command], capture_output=True, text=True, timeout=300,
                          env=env, cwd=str(PROJECT_ROOT))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    return lines


@needs_namespace
def test_missing_fluidsynth_library(tmp_path):
    # ctypes.util.find_library reads the loader cache (ldconfig -p): an empty cache means "not installed"
    lines = run_child(tmp_path, ["mount --bind /dev/null /etc/ld.so.cache"])
    assert "Couldn't find the FluidSynth library" in lines["fluidsynth"]
    assert "apt-get install libfluidsynth3" in lines["fluidsynth"]
    assert "FluidSynth is not available" in lines["synth"]
    assert "FluidSynth is not available" in lines["wav"]
    assert "FluidSynth is not available" in lines["audio"]
    assert int(lines["midi notes"]) == 22  # 11 notes, repeated; MIDI export needs no FluidSynth


@needs_namespace
@pytest.mark.skipif(not FLUIDSYNTH_LIBRARY.exists(), reason=f"libfluidsynth3 is not installed ({FLUIDSYNTH_LIBRARY} is missing)")
def test_broken_fluidsynth_library(tmp_path):
    real = FLUIDSYNTH_LIBRARY.resolve()
    lines = run_child(tmp_path, [f"mount --bind /dev/null {real}"])
    assert "could not be loaded" in lines["fluidsynth"] and "Reinstall" in lines["fluidsynth"]
    assert "could not be loaded" in lines["wav"]
    assert int(lines["midi notes"]) == 22


@needs_namespace
def test_missing_soundfont(tmp_path):
    lines = run_child(tmp_path, [f"mount -t tmpfs none {SOUNDFONT_FOLDER}"])
    assert lines["fluidsynth"] == "loaded"
    assert "No SoundFont found" in lines["synth"] and "apt-get install" in lines["synth"]
    assert "No SoundFont found" in lines["wav"]
    assert not (tmp_path / "t.wav").exists()
    assert int(lines["midi notes"]) == 22


@pytest.mark.skipif(Path("/dev/snd").exists(), reason="this machine has a sound card")
@needs_namespace
def test_no_sound_card_keeps_wav_export(tmp_path):
    lines = run_child(tmp_path, [])
    assert "No audio output could be opened" in lines["audio"] and "WAV export" in lines["audio"]
    assert lines["wav"] == "written"
    with open(tmp_path / "t.wav", "rb") as handle:
        assert handle.read(4) == b"RIFF"


@pytest.mark.skipif(Path("/dev/snd/seq").exists(), reason="this machine has an ALSA sequencer")
def test_no_midi_system_is_reported_and_export_still_works(tmp_path):
    from studio.core.export import export_midi
    from studio.core.sound.midi_ports import MidiPortError, open_output

    status = list_output_port_status()
    assert status.ports == [] and status.reason
    with pytest.raises(MidiPortError):
        open_output()
    path = export_midi(TUNE, tmp_path / "t.mid")
    assert any(m.type == "note_on" for m in mido.MidiFile(path).play())


def without_display() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    return env


def test_cli_works_without_a_display(tmp_path):
    env = dict(without_display(), ABC_STUDIO_HOME=str(tmp_path))
    for args in (["corpus", "--list"], ["runs"], ["--help"]):
        done = subprocess.run([sys.executable, "-m", "studio", *args], capture_output=True, text=True, env=env,
                              cwd=str(PROJECT_ROOT), timeout=120)
        assert done.returncode == 0, (args, done.stderr[-2000:])
    (tmp_path / "t.abc").write_text(TUNE)
    done = subprocess.run([sys.executable, "-m", "studio", "export", str(tmp_path / "t.abc"), "--midi",
                           str(tmp_path / "t.mid")], capture_output=True, text=True, env=env, cwd=str(PROJECT_ROOT),
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "t.mid").is_file()


@pytest.mark.skipif(sys.platform != "linux", reason="the display check is for Linux desktops")
def test_window_without_a_display_says_so_instead_of_aborting(tmp_path):
    env = dict(without_display(), ABC_STUDIO_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "main.py"], capture_output=True, text=True, env=env,
                          cwd=str(PROJECT_ROOT), timeout=120)
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])  # not -6 (Qt's abort)
    assert "no display found" in done.stderr and "python -m studio" in done.stderr
