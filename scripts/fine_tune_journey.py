"""Drives issue 25's journey in the real window as a newcomer with their own tunes does, and takes its screenshots.

Copies a collection's ABC files into a folder of "my tunes" (music21's miscFolk by default), opens the folder in the
Train tab, picks Start from: the shipped model (the form locks to its network and chooses the Fine-tune preset),
presses Train and waits for the run to end, with the base's held-out loss drawn as the line to beat, and for the row
that scores the run beside its base on the new tunes and on O'Neill's. Then, in Generate, it picks the run's best
checkpoint, generates tunes (strict bars, AABB, T=1.0) and prints their meters and modes beside those of the
collection and of the same number of tunes from the shipped model. Its two screenshots go to ``--out``: the Train
tab at the end of the run (the README's docs/screenshots/train-fine-tune.png) and the Generate tab.

    Xvfb :99 -screen 0 1400x900x24 &  DISPLAY=:99 python scripts/fine_tune_journey.py [--corpus miscFolk] \\
        [--iterations N] [--tunes 12] [--out FOLDER]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from window_driver import HOME, StudioDriver


def generated(driver, panel, model_path: str, count: int) -> list[str]:
    """``count`` tunes the Generate tab writes with ``model_path`` at T=1.0, seed 1."""
    picker = panel.sampling_form.model_picker
    picker.refresh()
    picker.combo.setCurrentIndex(picker.combo.findData(model_path))
    panel.sampling_form.temperature_dial.setValue(100)
    panel.sampling_form.random_seed.setChecked(False)
    panel.sampling_form.seed_spin.setValue(1)
    panel.sampling_form.count_spin.setValue(count)
    before = len(panel.entries)
    panel.generate()
    driver.wait_until(lambda: len([e for e in panel.entries[before:] if not e.generating]) >= count, limit_s=900)
    return [entry.text for entry in panel.entries[before:]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default="miscFolk", help="a built-in collection to copy as the user's folder")
    parser.add_argument("--iterations", type=int, default=None, help="steps (the Fine-tune preset's when not given)")
    parser.add_argument("--tunes", type=int, default=12, help="tunes to generate from the run and the base")
    parser.add_argument("--out", default=None, help="folder for the screenshots (a new temporary one if not given)")
    args = parser.parse_args()
    from studio.core.corpus import builtin_corpus_files, load_corpus
    from studio.core.paths import SHIPPED_MODEL
    from studio.core.quality.meters_and_modes import meter_mode_counts, shares_text

    folder = Path(HOME) / "my-tunes"
    folder.mkdir()
    for path in builtin_corpus_files(args.corpus):
        shutil.copy(path, folder / path.name)
    driver = StudioDriver("ABC Studio Journey", (1380, 860))
    window, train = driver.window, driver.window.train_panel
    window.open_corpus(str(folder))
    driver.wait_until(lambda: train.corpus_picker.corpus() is not None)
    train.start_from.refresh()
    assert train.start_from.choose("shipped"), "the shipped model could not be chosen"
    print("preset:", train.form.preset_box.currentText(), "| locked:", train.start_from.info.text())
    if args.iterations:  # typed in as a user would: the form is then Custom
        train.form.set_value("iterations", str(args.iterations))
    ended = []
    train.run_ended.connect(ended.append)
    train.train_button.click()
    driver.wait_until(lambda: bool(ended), limit_s=3600)
    run = ended[0].run
    print("run:", run.id, "| stop:", run.meta().get("status"), "| line to beat:", train.chart.line_to_beat.value())
    driver.wait_until(lambda: "per melody note" in train.start_from.scores.text(), limit_s=900)
    print("scores:", train.start_from.scores.text())
    out = Path(args.out or tempfile.mkdtemp(prefix="fine-tune-journey-"))
    out.mkdir(parents=True, exist_ok=True)
    driver.pause(300)
    driver.grab(out / "train-fine-tune.png")

    generate = window.generate_panel
    window.tabs.setCurrentWidget(window.generate_slot)
    tunes = {"the collection": [t.text for t in load_corpus(str(folder)).tunes],
             "the shipped model": generated(driver, generate, str(SHIPPED_MODEL), args.tunes),
             "the fine-tuned run": generated(driver, generate, str(run.best_checkpoint), args.tunes)}
    for label, texts in tunes.items():
        meters, modes = meter_mode_counts(texts)
        print(f"{label} ({len(texts)} tunes): meters {shares_text(meters)}; modes {shares_text(modes)}")
    generate.tunes.list.setCurrentRow(len(generate.entries) - 1)
    driver.wait_until(lambda: generate.preview is not None and generate.preview.engraved)
    driver.pause(500)
    driver.grab(out / "generate-fine-tuned.png")
    print("first fine-tuned tune:\n" + tunes["the fine-tuned run"][0])
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
