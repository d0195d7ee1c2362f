"""Takes the README's "Compose with the model" screenshot: a tune generated with the shipped model, a note of bar 5
clicked and a note of bar 6 shift-clicked in the score, Regenerate, the second candidate auditioned in place.

    xvfb-run -a -s '-screen 0 1400x900x24' python scripts/regenerate_screenshot.py
"""

from __future__ import annotations

import argparse

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from window_driver import ROOT, StudioDriver

from studio.core.generation.regenerate import tune_bars


def click(panel, note_id: str, shift: bool = False) -> None:
    rect = panel.score.note_rect(note_id)
    panel.score.ensureVisible(rect, 40, 40)
    QTest.mouseClick(panel.score.viewport(), Qt.LeftButton, Qt.ShiftModifier if shift else Qt.NoModifier,
                     panel.score.mapFromScene(rect.center()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots" / "regenerate.png"))
    args = parser.parse_args()

    driver = StudioDriver("ABC Studio Regenerate", (1400, 900))
    window, wait_until = driver.window, driver.wait_until
    panel = window.generate_panel
    window.tabs.setCurrentWidget(window.generate_slot)
    panel.sampling_form.random_seed.setChecked(False)
    panel.sampling_form.seed_spin.setValue(args.seed)
    panel.sampling_form.count_spin.setValue(1)
    panel.generate()
    wait_until(lambda: not panel.is_generating and panel.preview is not None and panel.preview.engraved
               and panel.regenerate_panel.map is not None, limit_s=300)
    composer = panel.regenerate_panel
    text = panel.tune_editor.editor.toPlainText()
    bars = {b.number: b for b in tune_bars(text)}
    click(panel, composer.map.ids_in(bars[5].start, bars[5].end)[0])
    click(panel, composer.map.ids_in(bars[6].start, bars[6].end)[-1], shift=True)
    print(composer.info.text())
    composer.regenerate()
    wait_until(lambda: composer.result is not None, limit_s=300)
    composer.list.setCurrentRow(1)
    wait_until(lambda: panel.preview.text == composer.result.candidates[1].text and composer.changed_marks)
    driver.pause(800)
    for candidate in composer.result.candidates[:3]:
        print(candidate.rank, repr(candidate.bars), f"{candidate.own:.1f} {candidate.after:.1f}", candidate.reason)
    driver.grab(args.out)
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
