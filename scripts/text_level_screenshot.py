"""Takes the README's screenshots of the Text control: the Train tab with the Lab preset at the canonical level
(docs/screenshots/train-text-level.png) and the report of what the rewrite changes (train-text-report.png).

    xvfb-run -a -s '-screen 0 1400x900x24' python scripts/text_level_screenshot.py
"""

from __future__ import annotations


from window_driver import ROOT, StudioDriver


def main() -> int:
    out = ROOT / "docs" / "screenshots"
    driver = StudioDriver("ABC Studio Screenshots", (1380, 860))
    panel = driver.window.train_panel
    panel.load_default_corpus()
    driver.wait_until(lambda: panel.corpus_picker.corpus() is not None)
    panel.form.set_preset("lab")
    panel.form.editors["text_level"].setFocus()
    driver.pause(300)
    driver.grab(out / "train-text-level.png")
    panel.text_report_button.click()
    driver.wait_until(lambda: getattr(panel, "text_level_dialog", None) is not None)
    driver.pause(300)
    panel.text_level_dialog.grab().save(str(out / "train-text-report.png"))
    driver.window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
