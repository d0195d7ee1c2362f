"""The main window: tabs, menus, remembered geometry, corpus drops, and closing safely while a run trains."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent

from studio.core.corpus import builtin_corpus_files
from studio.ui.main_window import STOP_AND_KEEP, corpus_candidate
from window_helpers import TIMEOUT, make_window, start_long_tiny_run


def test_tabs_menus_and_status_bar(qtbot):
    window = make_window(qtbot)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["Train", "Generate", "Quality"]
    menus = {action.text().replace("&", ""): action.menu() for action in window.menuBar().actions()}
    assert {"File", "Help"} <= set(menus)
    file_actions = [a.text().replace("&", "") for a in menus["File"].actions() if a.text()]
    assert {"Open corpus...", "Open checkpoint...", "Export...", "Quit"} <= set(file_actions)
    help_actions = [a.text().replace("&", "") for a in menus["Help"].actions()]
    assert {"Keyboard shortcuts", "About ABC Studio"} <= set(help_actions)
    assert "Ready" in window.statusBar().currentMessage()
    window.close()


def test_the_window_fits_half_a_full_hd_screen(qtbot):
    """Snapped beside a browser on a 1920 x 1080 screen (960 px wide), every tab still fits: a row of seven buttons
    in the Runs panel once made the window 1,247 px wide at least."""
    window = make_window(qtbot)
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        hint = window.minimumSizeHint()
        assert hint.width() <= 960 and hint.height() <= 1000, (window.tabs.tabText(index), hint)
    window.close()


def test_geometry_and_tab_are_remembered(qtbot):
    window = make_window(qtbot)
    window.resize(1111, 777)
    window.tabs.setCurrentIndex(1)
    assert window.close()
    again = make_window(qtbot)
    # the platform applies a restored geometry as the window settles (the tests' offscreen screen is 1600x1000)
    qtbot.waitUntil(lambda: abs(again.width() - 1111) <= 8 and abs(again.height() - 777) <= 8, timeout=5000)
    assert again.tabs.currentIndex() == 1
    again.close()


def test_a_dropped_abc_file_is_offered_as_the_corpus(qtbot, small_corpus_path, answer_dialog, tmp_path):
    window = make_window(qtbot)
    assert corpus_candidate(small_corpus_path) == small_corpus_path
    assert corpus_candidate(str(tmp_path)) == str(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    assert corpus_candidate(str(tmp_path / "notes.txt")) is None

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(small_corpus_path)])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()

    answered = answer_dialog("Yes")
    with qtbot.waitSignal(window.train_panel.corpus_picker.corpus_loaded, timeout=TIMEOUT) as loaded:
        assert window.offer_corpus(small_corpus_path)
    assert answered == ["Yes"]
    assert len(loaded.args[0].tunes) == 50
    window.close()


def test_closing_while_training_can_be_cancelled(qtbot, small_corpus_path, answer_dialog):
    window = make_window(qtbot, small_corpus_path)
    start_long_tiny_run(qtbot, window)
    answered = answer_dialog("Cancel")
    assert window.close() is False
    assert answered == ["Cancel"] and window.isVisible() and window.train_panel.is_training()
    window.train_panel.stop_and_wait()


def test_closing_while_training_stops_and_keeps_the_run(qtbot, small_corpus_path, answer_dialog, qtlog):
    window = make_window(qtbot, small_corpus_path)
    start_long_tiny_run(qtbot, window)
    run = window.train_panel.current_run()
    answered = answer_dialog(STOP_AND_KEEP)
    assert window.close() is True
    assert answered == [STOP_AND_KEEP]
    summary = run.summary()
    assert summary["status"] == "stopped" and summary["steps_done"] >= 3
    assert run.last_checkpoint.exists() and not (run.path / "run.lock").exists()
    qtbot.waitUntil(lambda: not window.train_panel.is_training(), timeout=TIMEOUT)
    assert not [r for r in qtlog.records if "QThread" in r.message]


def test_generate_and_quality_tabs_are_built_when_first_shown(qtbot, small_corpus_path):
    window = make_window(qtbot, small_corpus_path)
    qtbot.waitUntil(window.train_panel.chart_slot.is_built, timeout=TIMEOUT)  # the visible chart, after painting
    assert not window.generate_slot.is_built() and not window.quality_slot.is_built()
    # a run saves a checkpoint while the Generate tab does not exist yet: its model list finds it once built
    panel = window.train_panel
    panel.form.set_preset("tiny")
    for name, value in (("iterations", "3"), ("checkpoint_interval", "3"), ("validation_interval", "3")):
        panel.form.set_value(name, value)
    with qtbot.waitSignal(panel.run_ended, timeout=TIMEOUT):
        panel.train_button.click()
    checkpoint = str(panel.current_run().last_checkpoint)
    assert not window.generate_slot.is_built()
    window.tabs.setCurrentWidget(window.generate_slot)
    qtbot.waitUntil(window.generate_slot.is_built, timeout=TIMEOUT)
    assert checkpoint in window.generate_panel.sampling_form.model_picker.paths()
    window.tabs.setCurrentIndex(2)
    qtbot.waitUntil(window.quality_slot.is_built, timeout=TIMEOUT)
    experiments = window.quality_panel.experiments  # experiments run on the corpus opened in the Train tab...
    assert experiments.corpus_spec == small_corpus_path and "0001-0050.abc" in experiments.corpus_label.text()
    fife = next(str(f) for f in builtin_corpus_files("miscFolk") if "americanfife" in str(f))
    with qtbot.waitSignal(window.train_panel.corpus_picker.corpus_loaded, timeout=TIMEOUT):
        window.open_corpus(fife)  # ...and on the next one opened there
    assert experiments.corpus_spec == fife and Path(fife).stem in experiments.corpus_label.text()
    window.close()


def test_closing_mid_experiment_stops_and_joins_it(qtbot, small_corpus_path):
    """The window waits for the experiment's thread while it closes: the thread must quit without the GUI thread's
    help (a queued finished -> quit would wait for the very thread that is blocked waiting)."""
    from studio.ui.widgets import threads

    window = make_window(qtbot)
    window.tabs.setCurrentIndex(2)
    qtbot.waitUntil(window.quality_slot.is_built, timeout=TIMEOUT)
    panel = window.quality_panel
    panel.experiments.corpus_spec = small_corpus_path
    panel.experiments.builder.preset.setCurrentText("tiny")
    panel.experiments.builder.variable.setCurrentText("batch_size")
    panel.experiments.builder.values.setText("8,4")
    panel.experiments.builder.iterations.setValue(100_000)
    panel.experiments.builder.tunes.setValue(2)
    panel.experiments.start_button.click()
    session = panel.experiments.session
    with qtbot.waitSignal(session.progressed, timeout=400_000):  # training has started
        pass
    assert session.is_running()
    assert window.close() is True
    assert not session.is_running() or session.wait(0), "the experiment's thread still runs after the close"
    qtbot.waitUntil(lambda: not threads.running(), timeout=TIMEOUT)
