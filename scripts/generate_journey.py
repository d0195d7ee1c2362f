"""Drives the Generate tab as a newcomer does and takes its README screenshot.

Launches the studio, goes to Generate (the shipped model is selected), sets the dial to 0.8 and seed 5, presses
Generate, picks the first tune, presses Play (this machine has no sound card: the cursor follows silently), grabs
docs/screenshots/generate.png, then exports the tune as MIDI and WAV into a temporary folder and prints what it
checked: the MIDI read back with mido, the WAV's length and loudness.

    Xvfb :99 -screen 0 1400x900x24 &  DISPLAY=:99 python scripts/generate_journey.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HOME = tempfile.mkdtemp(prefix="abc-journey-")
os.environ["ABC_STUDIO_HOME"] = HOME
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    import mido
    import numpy as np
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    app.setOrganizationName("ABC Studio Journey")
    app.setApplicationName("ABC Studio")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, HOME)
    from studio.ui.main_window import MainWindow

    window = MainWindow(load_corpus_at_start=False)
    window.resize(1400, 900)
    window.show()
    loop = QEventLoop()

    def wait_until(condition, poll_ms: int = 100, limit_s: float = 120) -> None:
        timer, waited = QTimer(), [0]

        def poll():
            waited[0] += poll_ms
            if condition() or waited[0] > limit_s * 1000:
                loop.quit()

        timer.timeout.connect(poll)
        timer.start(poll_ms)
        loop.exec()
        timer.stop()
        if not condition():
            raise SystemExit(f"gave up waiting after {limit_s} s")

    panel = window.generate_panel
    window.tabs.setCurrentWidget(panel)
    print("model:", panel.model_picker.current_path())
    panel.temperature_dial.setValue(80)
    panel.random_seed.setChecked(False)
    panel.seed_spin.setValue(5)
    panel.count_spin.setValue(2)
    panel.generate()
    wait_until(lambda: len([e for e in panel.entries if not e.generating]) >= 2)
    panel.tune_list.setCurrentRow(0)
    wait_until(lambda: panel.preview is not None and panel.preview.engraved)
    panel.play()
    wait_until(lambda: bool(panel._highlighted), limit_s=20)
    QTimer.singleShot(2500, loop.quit)
    loop.exec()
    print("highlighted notes while playing:", panel._highlighted)
    window.grab().save(str(ROOT / "docs" / "screenshots" / "generate.png"))
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
