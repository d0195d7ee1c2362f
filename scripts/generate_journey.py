"""Drives the Generate tab as a newcomer does and takes its README screenshot.

Launches the studio, goes to Generate (the shipped model is selected, bars strict, form AABB: the defaults), sets the
dial to 1.0, seed 5 and 8 variations, presses Generate, checks that every tune's problems list says "No problems
found." and that the score has two repeated strains, picks the first tune, presses Play (this machine has no sound
card: the cursor follows silently), grabs docs/screenshots/generate.png, then exports the tune as MIDI and WAV into a temporary folder and prints what it
checked: the MIDI read back with mido, the WAV's length and loudness.

    Xvfb :99 -screen 0 1400x900x24 &  DISPLAY=:99 python scripts/generate_journey.py
"""

from __future__ import annotations

import wave
from pathlib import Path

from window_driver import HOME, ROOT, StudioDriver


def main() -> int:
    import mido
    import numpy as np

    driver = StudioDriver("ABC Studio Journey")
    window, wait_until = driver.window, driver.wait_until
    panel = window.generate_panel
    window.tabs.setCurrentWidget(window.generate_slot)
    print("model:", panel.sampling_form.model_picker.current_path())
    print("bars:", panel.sampling_config().bars, "form:", panel.sampling_config().form)
    panel.sampling_form.temperature_dial.setValue(100)
    panel.sampling_form.random_seed.setChecked(False)
    panel.sampling_form.seed_spin.setValue(5)
    panel.sampling_form.count_spin.setValue(8)
    panel.generate()
    wait_until(lambda: len([e for e in panel.entries if not e.generating]) >= 8, limit_s=900)
    for row in range(len(panel.entries) - 1, -1, -1):  # ends on the first tune
        panel.tunes.list.setCurrentRow(row)
        wait_until(lambda: panel.preview is not None and panel.preview.engraved and panel.preview.text
                   == panel.entries[row].text)
        problems = [panel.tune_editor.problems.item(i).text() for i in range(panel.tune_editor.problems.count())]
        repeats = panel.entries[row].text.count(":|") + panel.entries[row].text.count("::")
        print(f"tune {row + 1}: {panel.tunes.list.item(row).text()!r}: problems {problems}, {repeats} end repeats")
    panel.play()
    wait_until(lambda: bool(panel._highlighted), limit_s=20)
    driver.pause(2500)
    print("highlighted notes while playing:", panel._highlighted)
    driver.grab(ROOT / "docs" / "screenshots" / "generate.png")
    panel.stop()

    job = panel.export_job()
    out = Path(HOME)
    assert panel.export_to(job, "midi", out / "tune.mid") and panel.export_to(job, "wav", out / "tune.wav")
    midi = mido.MidiFile(out / "tune.mid")
    notes = [m for m in midi.tracks[0] if m.type == "note_on" and m.velocity]
    meta = {m.type: m for m in midi.tracks[0] if m.is_meta}
    print(f"MIDI: {len(notes)} notes, {midi.length:.1f} s, tempo {mido.tempo2bpm(meta['set_tempo'].tempo):.0f} bpm,"
          f" meter {meta['time_signature'].numerator}/{meta['time_signature'].denominator}")
    with wave.open(str(out / "tune.wav")) as wav:
        frames = wav.readframes(wav.getnframes())
        seconds = wav.getnframes() / wav.getframerate()
    samples = np.frombuffer(frames, dtype=np.int16).astype(float)
    print(f"WAV: {seconds:.1f} s, RMS {np.sqrt(np.mean(samples ** 2)):.0f}, peak {np.abs(samples).max():.0f}")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
