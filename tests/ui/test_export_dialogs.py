"""Export from the window, through its save dialogs: File > Export on the Generate tab writes the current tune in the
format of the filter the user picked (the suffix is added when the typed name has none) into the folder the next
dialog opens in; on the Train tab it writes the live loss chart; the Runs list exports its chart and its loss data.

The save dialog is Qt's static ``QFileDialog.getSaveFileName``: ``SaveDialog`` answers it like a user (what was
typed, which filter was picked) and records what each dialog was opened with. Everything else is real: the window,
a really trained tiny run, the files written and read back.
"""

from __future__ import annotations

import csv
import wave
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import mido
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog
from window_helpers import TIMEOUT, make_window, oneill_tunes, show_tune

from studio.core.sound.synth import find_soundfont
from studio.ui.generate.export import FORMATS

PNG, SVG, CSV = "PNG image (*.png)", "SVG drawing (*.svg)", "CSV table (*.csv)"


@dataclass
class Opened:
    """What one save dialog was opened with."""

    caption: str
    directory: str
    filters: str
    selected: str


class SaveDialog:
    """Answers ``QFileDialog.getSaveFileName``: queue what the user types and picks with ``answer``."""

    def __init__(self):
        self.opened: list[Opened] = []
        self._answers: list[tuple[str, str]] = []

    def answer(self, typed: Path, chosen_filter: str) -> None:
        """The next dialog returns the path ``typed`` with ``chosen_filter`` picked."""
        self._answers.append((str(typed), chosen_filter))

    def __call__(self, _parent, caption="", directory="", filters="", selected="", *_options):
        self.opened.append(Opened(caption, directory, filters, selected))
        return self._answers.pop(0)


@pytest.fixture
def save_dialog(monkeypatch) -> SaveDialog:
    dialog = SaveDialog()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    return dialog


@pytest.fixture
def window(qtbot):
    window = make_window(qtbot)
    yield window
    window.close()


def generate_tab(qtbot, window, *tunes: str):
    """The window on its Generate tab with ``tunes`` in the list (the last one current)."""
    window.tabs.setCurrentWidget(window.generate_slot)
    panel = window.generate_panel
    for tune in tunes:
        show_tune(qtbot, panel, tune)
    return panel


def midi_notes(path: Path) -> int:
    return sum(m.type == "note_on" and m.velocity > 0 for m in mido.merge_tracks(mido.MidiFile(str(path)).tracks))


def wav_frames(path: Path) -> int:
    with wave.open(str(path)) as wav:
        return wav.getnframes()


def tune_count(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    return text.count("\nX:") + text.startswith("X:")


def test_the_chosen_filter_picks_the_format_and_adds_its_suffix(qtbot, window, save_dialog, tmp_path):
    tunes = oneill_tunes()[:2]
    generate_tab(qtbot, window, *tunes)
    kinds = ["midi", "abc", "book"] + (["wav"] if find_soundfont() else [])
    for kind in kinds:
        save_dialog.answer(tmp_path / f"typed {kind}", FORMATS[kind][0])
        window.export_current()
        written = tmp_path / f"typed {kind}.{FORMATS[kind][1]}"
        assert written.is_file(), (kind, sorted(p.name for p in tmp_path.iterdir()))
        assert window.statusBar().currentMessage() == f"Exported {written}"
        if kind == "midi":
            assert midi_notes(written) > 50
        elif kind == "wav":
            assert wav_frames(written) > 44_100  # more than a second of sound
        elif kind == "abc":
            assert written.read_text(encoding="utf-8").strip() == tunes[1].strip()
        else:
            assert tune_count(written) == 2
    first = save_dialog.opened[0]
    assert first.selected == FORMATS["midi"][0]  # MIDI is offered first...
    assert all(FORMATS[kind][0] in first.filters for kind in FORMATS)  # ...among every format
    assert len(list(tmp_path.glob("typed *"))) == len(kinds)


def test_export_current_writes_the_current_tune(qtbot, window, save_dialog, tmp_path):
    tunes = oneill_tunes()[3:5]
    panel = generate_tab(qtbot, window, *tunes)
    panel.tunes.list.setCurrentRow(0)
    QSettings().setValue("export/folder", str(tmp_path))
    save_dialog.answer(tmp_path / "current", FORMATS["midi"][0])
    window.export_current()
    suggested = Path(save_dialog.opened[0].directory)
    assert suggested.parent == tmp_path and suggested.suffix == ".mid"
    assert suggested.name == panel.export_job().default_name("midi")
    assert panel.entries[0].title.split()[0].lower() in suggested.name.lower()  # named after the current tune
    assert midi_notes(tmp_path / "current.mid") > 20

    save_dialog.answer(tmp_path / "current.abc", FORMATS["abc"][0])
    window.export_current()
    assert (tmp_path / "current.abc").read_text(encoding="utf-8").strip() == tunes[0].strip()


def test_nothing_to_export_opens_no_dialog(window, save_dialog):
    window.tabs.setCurrentWidget(window.generate_slot)
    window.export_current()
    assert save_dialog.opened == []
    assert "Nothing to export" in window.statusBar().currentMessage()


def test_the_next_export_dialog_opens_in_the_folder_and_format_used_last(qtbot, window, save_dialog, tmp_path):
    panel = generate_tab(qtbot, window, oneill_tunes()[0])
    folder = tmp_path / "exports"
    folder.mkdir()
    save_dialog.answer(folder / "first", FORMATS["abc"][0])
    window.export_current()
    assert (folder / "first.abc").is_file()
    assert QSettings().value("export/folder") == str(folder)

    save_dialog.answer(folder / "second", FORMATS["midi"][0])
    window.export_current()  # opens in the last folder, on the last format (ABC)
    assert save_dialog.opened[1].directory == str(folder / panel.export_job().default_name("abc"))
    assert save_dialog.opened[1].selected == FORMATS["abc"][0]
    assert (folder / "second.mid").is_file()


@pytest.fixture
def trained_window(qtbot, small_corpus_path):
    """The window after a real 4-step tiny run on the Train tab (its points are on the live chart)."""
    window = make_window(qtbot, small_corpus_path)
    panel = window.train_panel
    panel.form.set_preset("tiny")
    for name in ("iterations", "checkpoint_interval", "validation_interval"):
        panel.form.set_value(name, "4")
    with qtbot.waitSignal(panel.run_ended, timeout=TIMEOUT):
        panel.train_button.click()
    assert len(panel.chart.train_data()[0]) == 4
    yield window
    window.close()


def is_png(path: Path) -> bool:
    image = QImage(str(path))
    return path.read_bytes().startswith(b"\x89PNG") and not image.isNull() and image.width() > 100


def is_svg(path: Path) -> bool:
    root = ET.parse(path).getroot()
    return root.tag.endswith("svg") and any(element.tag.endswith("path") for element in root.iter())


def test_the_live_chart_exports_as_png_or_svg_by_the_chosen_filter(trained_window, save_dialog, tmp_path):
    window = trained_window
    assert window.tabs.currentWidget() is window.train_panel
    save_dialog.answer(tmp_path / "loss", PNG)
    window.export_current()
    assert is_png(tmp_path / "loss.png")
    assert save_dialog.opened[0].filters == f"{PNG};;{SVG}"

    folder = tmp_path / "charts"
    folder.mkdir()
    save_dialog.answer(folder / "loss", SVG)
    window.export_current()
    assert is_svg(folder / "loss.svg"), sorted(p.name for p in folder.iterdir())
    assert window.statusBar().currentMessage() == f"Chart saved to {folder / 'loss.svg'}"

    save_dialog.answer(folder / "again.png", PNG)
    window.export_current()
    assert Path(save_dialog.opened[2].directory).parent == folder  # the folder used last
    assert is_png(folder / "again.png")


def test_the_runs_list_exports_its_chart_and_loss_data(trained_window, save_dialog, tmp_path):
    runs = trained_window.train_panel.runs_panel
    run = trained_window.train_panel.current_run()
    runs.refresh()
    runs.select_runs([run.id])
    save_dialog.answer(tmp_path / "comparison", SVG)
    runs.buttons["Export chart..."].click()
    assert is_svg(tmp_path / "comparison.svg"), sorted(p.name for p in tmp_path.iterdir())

    save_dialog.answer(tmp_path / "loss data", CSV)
    runs.buttons["Export CSV..."].click()
    assert save_dialog.opened[1].directory == str(tmp_path / "loss.csv")  # in the folder used last
    with open(tmp_path / "loss data.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["step"]) for r in rows if r["kind"] == "train"] == [1, 2, 3, 4]
    assert {r["run_id"] for r in rows} == {run.id}
