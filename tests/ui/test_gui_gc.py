"""Garbage collection runs in the GUI thread: cyclic garbage holding Qt objects is never freed by a worker thread."""

from __future__ import annotations

import gc
import threading

from PySide6.QtWidgets import QPushButton, QWidget

from studio.ui.widgets.gui_gc import collect_in_gui_thread, gui_thread_collector
from studio.ui.widgets.threads import BackgroundCall


class _Recorder:
    """Notes the thread that frees it."""

    freed_in: list[str] = []

    def __del__(self):
        _Recorder.freed_in.append(threading.current_thread().name)


def _cyclic_widget_garbage() -> None:
    widget = QWidget()
    QPushButton("a child too", widget)
    widget.recorder = _Recorder()
    widget.itself = widget  # a cycle: only the cyclic collector can free it


def _allocate_a_lot() -> list:
    """What a worker does: makes many container objects (more than generation 0's threshold) and returns them."""
    return [[i] for i in range(20 * gc.get_threshold()[0])]


def test_automatic_collection_is_off_and_the_timer_collects_in_the_gui_thread(qtbot, qapp):
    assert collect_in_gui_thread(qapp) is True
    assert not gc.isenabled()
    collector = gui_thread_collector()
    before = list(collector.collections)
    _Recorder.freed_in.clear()
    _cyclic_widget_garbage()

    call = BackgroundCall(_allocate_a_lot)
    results = []
    call.succeeded.connect(results.append)  # kept, so the worker's allocations count towards a collection
    with qtbot.waitSignal(call.finished, timeout=60_000):
        call.start()
    assert _Recorder.freed_in == [] or _Recorder.freed_in == [threading.main_thread().name]
    qtbot.waitUntil(lambda: bool(_Recorder.freed_in), timeout=10_000)
    assert _Recorder.freed_in == [threading.main_thread().name]
    assert sum(collector.collections) > sum(before)


def _generations_collected(collector, rounds: int = 30) -> list[int | None]:
    generations, kept = [], []
    for _ in range(rounds):
        kept.append([[] for _ in range(20)])  # more new containers than generation 0's threshold (5, below)
        generations.append(collector.collect_if_due())
    return generations


def test_full_collections_follow_the_interpreters_rule_and_are_spaced_out(qapp, monkeypatch):
    import studio.ui.widgets.gui_gc as gui_gc

    collect_in_gui_thread(qapp)
    collector = gui_thread_collector()
    thresholds = gc.get_threshold()
    gc.set_threshold(5, 1, 1)  # every generation falls due within a few rounds
    try:
        monkeypatch.setattr(gui_gc, "FULL_COLLECTION_MIN_GAP_S", 0)
        _generations_collected(collector)  # settles what earlier tests left
        small_growth = _generations_collected(collector)
        grown_by_half = [[] for _ in range(len(gc.get_objects(generation=2)) // 2)]
        monkeypatch.setattr(gui_gc, "FULL_COLLECTION_MIN_GAP_S", 3600)
        too_soon = _generations_collected(collector)
        monkeypatch.setattr(gui_gc, "FULL_COLLECTION_MIN_GAP_S", 0)
        due = _generations_collected(collector)
    finally:
        gc.set_threshold(*thresholds)
    assert 0 in small_growth and 1 in small_growth and 2 not in small_growth  # the oldest grew far less than 25%
    assert 2 not in too_soon
    assert 2 in due and len(grown_by_half) > 0
