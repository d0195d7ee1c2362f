"""studio.ui.widgets.threads: the one signal vocabulary, cancellation as a flag, errors as a signal, and stop_all joining."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread, Signal

from studio.ui.widgets import threads


class Counter(threads.Worker):
    """Counts until cancelled (or up to ``limit``), reporting every step."""

    progressed = Signal(int)

    def __init__(self, limit: int = 10**9, fail_at: int | None = None):
        super().__init__()
        self.limit, self.fail_at = limit, fail_at
        self.started = threading.Event()
        self.thread_seen = None

    def work(self):
        self.thread_seen = QThread.currentThread()
        count = 0
        while count < self.limit and not self.is_cancelled():
            count += 1
            if count == self.fail_at:
                raise ValueError(f"failed at {count}")
            if count == 1:
                self.progressed.emit(count)
                self.started.set()
        return count


def _record(worker):
    events = []
    worker.progressed.connect(lambda n: events.append(("progressed", n)))
    worker.succeeded.connect(lambda result: events.append(("succeeded", result)))
    worker.failed.connect(lambda message: events.append(("failed", message)))
    worker.finished.connect(lambda: events.append(("finished",)))
    return events


def test_the_outcome_arrives_once_the_thread_has_ended(qtbot):
    worker = Counter(limit=10)
    handle = threads.WorkerThread(worker)
    seen = []
    handle.succeeded.connect(lambda result: seen.append((result, handle.is_running(), handle in threads.running())))
    handle.finished.connect(lambda: seen.append("finished"))
    with qtbot.waitSignal(handle.finished, timeout=10_000):
        handle.start()
    assert seen == [(10, False, False), "finished"]


def test_a_worker_succeeds_off_the_gui_thread_and_finishes_last(qtbot):
    worker = Counter(limit=1000)
    events = _record(worker)
    handle = threads.WorkerThread(worker)
    with qtbot.waitSignal(handle.finished, timeout=10_000):
        handle.start()
    assert events == [("progressed", 1), ("succeeded", 1000), ("finished",)]
    assert worker.thread_seen is not QThread.currentThread()
    assert not handle.is_running() and handle not in threads.running()


def test_an_error_comes_back_as_failed(qtbot):
    worker = Counter(fail_at=3)
    events = _record(worker)
    handle = threads.start_worker(worker)
    with qtbot.waitSignal(handle.finished, timeout=10_000):
        pass
    assert events[-2:] == [("failed", "failed at 3"), ("finished",)]


def test_stop_all_cancels_and_joins_every_worker(qtbot):
    workers = [Counter(), Counter()]
    handles = [threads.start_worker(worker) for worker in workers]
    for worker in workers:
        assert worker.started.wait(10)
    assert threads.stop_all(10_000)
    assert all(worker.is_cancelled() for worker in workers)
    assert all(handle._thread.isFinished() for handle in handles)
    qtbot.waitUntil(lambda: not threads.running(), timeout=10_000)


def test_a_background_call_reports_its_result(qtbot):
    call = threads.BackgroundCall(sum, [1, 2, 3])
    results = []
    call.succeeded.connect(results.append)
    with qtbot.waitSignal(call.finished, timeout=10_000):
        call.start()
    assert results == [6] and not call.is_running()
