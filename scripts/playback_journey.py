"""Plays a generated tune the way a folk musician asks for it and takes the playback screenshot.

Launches the studio, generates a tune with the shipped model (seed 5), then: automatic chords, transposed up 2
semitones, a one-bar count-in, Loop on strain A; presses Play (no sound card here: the player runs on its clock) and
checks that the score cursor moves over engraved notes and that the strain comes round again. Grabs
docs/screenshots/playback.png and prints the tracks of the MIDI the player loaded.

    xvfb-run -a -s '-screen 0 1400x900x24' python scripts/playback_journey.py
"""

from __future__ import annotations

from window_driver import ROOT, StudioDriver


def main() -> int:
    driver = StudioDriver("ABC Studio Playback Journey")
    window, wait_until = driver.window, driver.wait_until
    panel = window.generate_panel
    window.tabs.setCurrentWidget(window.generate_slot)
    panel.playback.output_combo.setCurrentIndex(panel.playback.output_combo.findData("clock"))
    panel.sampling_form.random_seed.setChecked(False)
    panel.sampling_form.seed_spin.setValue(5)
    panel.sampling_form.count_spin.setValue(1)
    panel.generate()
    wait_until(lambda: any(not e.generating for e in panel.entries) and not panel.is_generating)
    panel.tunes.list.setCurrentRow(0)
    wait_until(lambda: panel.preview is not None and panel.preview.engraved)
    print("tune:\n" + panel.preview.text)
    controls = panel.playback.arrangement
    controls.accompaniment_combo.setCurrentIndex(controls.accompaniment_combo.findData("auto"))
    controls.transpose_spin.setValue(2)
    controls.count_in_combo.setCurrentIndex(controls.count_in_combo.findData(1))
    controls.choose_strain(0)
    panel.playback.loop_check.setChecked(True)
    midi = panel.playback.loaded_midi
    print("options:", panel.playback.loaded_options)
    print("tracks:", [(t.name, sum(1 for m in t if m.type == "note_on" and m.velocity)) for t in midi.tracks],
          f"{midi.length:.1f} s; loop: {controls.passage_combo.currentText()}")
    lit: list[tuple[str, ...]] = []
    positions: list[float] = []
    panel.playback.player.position_changed.connect(positions.append)
    panel.playback.player.position_changed.connect(lambda _ms: lit.append(tuple(panel._highlighted)))
    panel.play()
    wait_until(lambda: len(set(lit) - {()}) >= 6, limit_s=60)
    driver.pause(1500)
    driver.grab(ROOT / "docs" / "screenshots" / "playback.png")
    wait_until(lambda: any(b < a / 2 for a, b in zip(positions, positions[1:])), limit_s=120)
    print(f"cursor lit {len(set(lit) - {()})} different notes; the strain came round again "
          f"(position went back to the start after {max(positions) / 1000:.1f} s)")
    panel.stop()
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
