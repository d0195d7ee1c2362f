"""Takes the README's "What temperature does, seen" screenshot: the Generate tab with the next-character chart at two
temperatures and the surprise colouring on, over a real O'Neill tune pasted into the editor.

Launches the studio, goes to Generate (the shipped model is selected), pastes O'Neill's tune ``--tune`` (index in the
first file of music21's copy), turns the dial to ``--temperature``, turns Surprise on, waits for the inspection, puts
the cursor where the model hesitated most in the first 40 characters of notes (highest entropy at T=1), and grabs
docs/screenshots/what-the-model-sees.png. Also prints the chart's caption.

    xvfb-run -a -s '-screen 0 1400x900x24' python scripts/inspection_screenshot.py
"""

from __future__ import annotations

import argparse

from window_driver import ROOT, StudioDriver


def oneill_tune(index: int) -> str:
    from music21 import corpus

    from studio.core.abc.text import clean_tune, decode_abc_bytes, split_tunes

    path = sorted(p for p in corpus.getCorePaths(fileExtensions=("abc",)) if "oneills1850" in str(p))[0]
    with open(path, "rb") as handle:
        return clean_tune(split_tunes(decode_abc_bytes(handle.read()))[index])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", type=int, default=3)
    parser.add_argument("--temperature", type=float, default=1.6)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots" / "what-the-model-sees.png"))
    args = parser.parse_args()

    driver = StudioDriver("ABC Studio Inspection", (1400, 900))
    window, wait_until = driver.window, driver.wait_until
    panel = window.generate_panel
    window.tabs.setCurrentWidget(window.generate_slot)
    print("model:", panel.sampling_form.model_picker.current_path())
    text = oneill_tune(args.tune)
    panel.add_tune(text)
    wait_until(lambda: panel.preview is not None and panel.preview.engraved)
    panel.set_temperature(args.temperature)
    inspector = panel.inspector
    inspector.surprise.toggle.setChecked(True)
    wait_until(lambda: inspector.inspection is not None and inspector.highlighter.active, limit_s=120)
    seen = inspector.inspection
    body = text.index("\n", text.index("\nK:") + 1) + 1
    first_line = range(body + 1, min(text.index("\n", body), body + 40))  # where the editor shows it
    hesitant = max(first_line, key=lambda offset: seen.distribution_at(offset, 1.0).entropy_bits)
    inspector.show_distribution_at(hesitant)
    wait_until(lambda: inspector.chart.inspection is not None and inspector.chart.offset == hesitant)
    driver.pause(800)
    print(inspector.chart.caption.text().replace("<br>", "\n"))
    print(inspector.surprise.mean_label.text())
    driver.grab(args.out)
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
