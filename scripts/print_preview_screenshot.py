"""Screenshot of File > Print...: Qt's print preview of two selected tunes, one with chord symbols
(docs/screenshots/print-preview.png). Run under a display, e.g. ``xvfb-run -s '-screen 0 1400x1000x24'``."""

from __future__ import annotations

import sys

from window_driver import ROOT, StudioDriver

KESH = """X:1
T:The Kesh
C:Trad., chords for the session
M:6/8
L:1/8
K:G
|:"G"GAG GAB|"D"ABA ABd|"G"edd gdd|"C"edB "D7"dBA|
"G"GAG GAB|"D"ABA ABd|"C"edd gdB|1 "D7"AGF "G"G3:|2 "D7"AGF "G"G2B||
"""


def main() -> int:
    from studio.core.corpus import load_corpus

    driver = StudioDriver("ABC Studio print preview")
    window = driver.window
    window.tabs.setCurrentWidget(window.generate_slot)
    panel = window.generate_panel
    for text in (KESH, load_corpus("oneills1850").tunes[1].text):
        panel.add_tune(text)
    panel.tunes.list.selectAll()
    window.print_tunes()
    runner = panel.exporter.sheets
    driver.wait_until(lambda: runner.preview is not None and runner.preview.isVisible())
    from PySide6.QtPrintSupport import QPrintPreviewWidget

    runner.preview.resize(1300, 950)
    view = runner.preview.findChild(QPrintPreviewWidget)
    view.setCurrentPage(2)  # the tunes (page 1 is the title page with the contents)
    driver.pause(1500)
    target = ROOT / "docs" / "screenshots" / "print-preview.png"
    runner.preview.grab().save(str(target))
    print(f"saved {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
