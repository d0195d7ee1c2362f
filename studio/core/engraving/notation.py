"""ABC -> engraved SVG, MIDI and a note timemap with verovio, run safely in a child process.

verovio kills the whole Python process with a segmentation fault on some malformed ABC (a stray ``]`` such as
``a]|``), and generated ABC is often malformed. So verovio never runs in the caller's process: a long-lived child
process (``python -c ...serve_requests()``) speaks one JSON line per request and per answer over pipes. When the
child dies (crash) or does not answer within ``timeout_s`` (hang), the caller gets a :class:`Rendering` whose
``error`` says so, the child is restarted on the next call, and the next call works again.

Only the first tune of a text is imported by verovio: pass one tune (see ``studio.core.abc.text.split_tunes``).
verovio does not expose the ABC character position of each note (its ABC importer keeps no source location), so
a note is known by its SVG/MEI element id only; the timemap links ids to times.

What verovio reads has the spellings it does not know written plainly (``!`` line breaks as new lines, back quotes
dropped: :func:`studio.core.abc.lexer.plain_spellings`) and its implied repeats written out (:func:`studio.core.abc.repeats.open_implied_repeats`,
against a verovio crash); Qt's fix-up of the SVG is ``studio.ui.widgets.svg_fix``.

The answer is awaited with ``select`` on the child's pipe (POSIX: Linux and macOS).
"""

from __future__ import annotations

import base64
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from studio.core.abc.lexer import plain_spellings
from studio.core.abc.repeats import open_implied_repeats

DEFAULT_TIMEOUT_S = 10.0
#: Longest text that is engraved or read as music (verovio, or music21 when verovio fails: longer takes seconds to
#: minutes); the window checks and exports longer text as ABC only, and corpora drop longer tunes.
MAX_ENGRAVED_CHARS = 20_000
#: Longer text is not sent to verovio: it would only run into the timeout (a tune is a few thousand characters).
MAX_RENDER_CHARS = 200_000
#: verovio page width in its units (tenths of a millimetre); 2100 is A4.
DEFAULT_PAGE_WIDTH = 2100
DEFAULT_SCALE = 40

_PROJECT_ROOT = Path(__file__).resolve().parents[3]


class RenderError(Exception):
    """Raised when ABC cannot be engraved (bad input, a verovio crash or a timeout); the message is for users."""


@dataclass(frozen=True)
class TimedEvent:
    """One instant of the timemap: the notes that start (``on``) and end (``off``) at ``tstamp_ms``.

    ``qstamp`` is the same instant in quarter notes from the start (independent of tempo); ``tempo`` is the
    quarter-note tempo in force (verovio's, from ``Q:`` or 120); ``measure`` the id of the bar that starts here
    ('' when none does).
    """

    tstamp_ms: float
    qstamp: float
    on: tuple[str, ...]
    off: tuple[str, ...]
    tempo: float
    measure: str = ""


@dataclass
class Rendering:
    """What verovio made of one tune. ``error`` is ``None`` on success, else a readable reason (then all else is empty)."""

    pages: list[str] = field(default_factory=list)
    midi: bytes = b""
    timemap: list[TimedEvent] = field(default_factory=list)
    note_ids: list[str] = field(default_factory=list)
    log: str = ""
    error: str | None = None
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def svg(self) -> str:
        """The first page's SVG ('' when rendering failed)."""
        return self.pages[0] if self.pages else ""

    def raise_for_error(self) -> Rendering:
        """Returns self, or raises :class:`RenderError` with the readable reason."""
        if self.error is not None:
            raise RenderError(self.error)
        return self

    def ids_sounding_at(self, qstamp: float) -> list[str]:
        """Ids of the notes sounding at ``qstamp`` quarter notes from the start (for a moving cursor)."""
        sounding: list[str] = []
        for event in self.timemap:
            if event.qstamp > qstamp:
                break
            sounding = [i for i in sounding if i not in event.off] + list(event.on)
        return sounding


# --------------------------------------------------------------------------- child process side


def _render_in_this_process(toolkit, request: dict) -> dict:
    """Runs verovio on one request (in the child). May crash the process: that is why it runs in the child."""
    options = {
        "inputFrom": "abc",
        "pageWidth": int(request.get("page_width") or DEFAULT_PAGE_WIDTH),
        "scale": int(request.get("scale") or DEFAULT_SCALE),
        "adjustPageHeight": True,
        "footer": "none",
        "breaks": "auto",
        **(request.get("options") or {}),
    }
    toolkit.resetOptions()
    toolkit.setOptions(options)
    if not toolkit.loadData(request["abc"]):
        return {"error": "verovio could not read this ABC: " + (toolkit.getLog().strip() or "no reason given")}
    pages = [toolkit.renderToSVG(page) for page in range(1, toolkit.getPageCount() + 1)]
    timemap = toolkit.renderToTimemap({"includeMeasures": True})
    if not timemap:
        return {"error": "verovio found no notes to engrave in this ABC. " + toolkit.getLog().strip()}
    midi = "" if request.get("pages_only") else toolkit.renderToMIDI()
    return {"pages": pages, "timemap": timemap, "midi": midi, "log": toolkit.getLog()}


def serve_requests(stdin=None, stdout=None) -> None:
    """The child's loop: reads one JSON request per line, writes one JSON answer per line, until EOF."""
    import verovio

    stdin = stdin or sys.stdin
    if stdout is None:
        # Answers go to a private copy of fd 1; whatever the C++ library prints goes to stderr instead.
        stdout = os.fdopen(os.dup(1), "w", encoding="utf-8")
        os.dup2(2, 1)
    toolkit = verovio.toolkit()
    for line in stdin:
        try:
            answer = _render_in_this_process(toolkit, json.loads(line))
        except Exception as exc:  # a Python-level failure is an answer, not a dead child
            answer = {"error": f"verovio failed: {type(exc).__name__}: {exc}"}
        stdout.write(json.dumps(answer) + "\n")
        stdout.flush()


# --------------------------------------------------------------------------- caller side


def _describe_exit(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


def _note_ids_in_order(timemap: list[TimedEvent]) -> list[str]:
    seen: dict[str, None] = {}
    for event in timemap:
        for note_id in event.on:
            seen.setdefault(note_id, None)
    return list(seen)


def _timemap_from_json(entries: list[dict]) -> list[TimedEvent]:
    events = []
    tempo = 120.0
    for entry in entries:
        tempo = float(entry.get("tempo", tempo))
        events.append(
            TimedEvent(
                tstamp_ms=float(entry.get("tstamp", 0.0)),
                qstamp=float(entry.get("qstamp", 0.0)),
                on=tuple(entry.get("on", ())),
                off=tuple(entry.get("off", ())),
                tempo=tempo,
                measure=str(entry.get("measureOn", "")),
            )
        )
    return events


class NotationRenderer:
    """Renders ABC with verovio in a long-lived child process that is restarted after a crash or a timeout.

    Thread-safe (one request at a time). ``restarts`` counts how many times the child had to be started again.
    """

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S):
        self.timeout_s = timeout_s
        self.restarts = 0
        self._process: subprocess.Popen | None = None
        self._buffer = b""
        self._lock = threading.Lock()

    # -- child lifetime
    def _start_child(self) -> subprocess.Popen:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), env.get("PYTHONPATH")]))
        code = "from studio.core.engraving.notation import serve_requests; serve_requests()"
        self._buffer = b""
        return subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=str(_PROJECT_ROOT),
        )

    def _ensure_child(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None:
            if self._process is not None:
                self.restarts += 1
            self._process = self._start_child()
        return self._process

    def _kill_child(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    @property
    def child_pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def _read_line(self, process: subprocess.Popen, deadline: float) -> bytes | str:
        """One answer line, or "timeout" when the deadline passed, or "eof" when the child closed its output."""
        fd = process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout"
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return "eof"
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    # -- public API
    def render(self, abc_text: str | bytes, *, page_width: int | None = None, scale: int | None = None,
               options: dict | None = None, pages_only: bool = False) -> Rendering:
        """Engraves the first tune of ``abc_text``. Never raises for bad input: see ``Rendering.error``.

        ``options`` are more verovio options (``pageHeight``, ``header``...); ``pages_only`` skips the MIDI (the
        pages and the timemap are made)."""
        if isinstance(abc_text, bytes):
            abc_text = abc_text.decode("utf-8", errors="replace")
        if not abc_text.strip():
            return Rendering(error="There is no ABC to render (the text is empty).")
        if len(abc_text) > MAX_RENDER_CHARS:
            return Rendering(error=f"This ABC is too long to engrave ({len(abc_text):,} characters; the limit is "
                                   f"{MAX_RENDER_CHARS:,}). Is it one tune?")
        readable = open_implied_repeats(plain_spellings(abc_text))
        request = json.dumps({"abc": readable, "page_width": page_width, "scale": scale,
                              "options": options, "pages_only": pages_only}) + "\n"
        started = time.perf_counter()
        with self._lock:
            process = self._ensure_child()
            try:
                process.stdin.write(request.encode("utf-8", errors="surrogatepass"))
                process.stdin.flush()
            except (BrokenPipeError, OSError):
                pass  # the child died: reported below
            line = self._read_line(process, time.monotonic() + self.timeout_s)
            if isinstance(line, str):
                timed_out = line == "timeout"
                if not timed_out:
                    try:
                        process.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        pass
                self._kill_child()
                elapsed = (time.perf_counter() - started) * 1000
                if timed_out:
                    reason = f"verovio did not finish within {self.timeout_s:g} s; it was stopped."
                elif process.returncode is not None and process.returncode < 0:
                    reason = (
                        f"verovio crashed on this ABC ({_describe_exit(process.returncode)}). The tune may still "
                        "be valid (verovio fails on some constructions, e.g. a stray ']'); playing and exporting "
                        "read it with music21 instead. The renderer restarts for the next tune."
                    )
                else:
                    reason = (
                        f"The verovio process stopped ({_describe_exit(process.returncode)}); is verovio "
                        "installed in this Python? It is started again for the next tune."
                    )
                return Rendering(error=reason, elapsed_ms=elapsed)
        answer = json.loads(line)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.get("error"):
            return Rendering(error=answer["error"], elapsed_ms=elapsed)
        timemap = _timemap_from_json(answer.get("timemap", []))
        return Rendering(
            pages=answer.get("pages", []),
            midi=base64.b64decode(answer.get("midi", "")),
            timemap=timemap,
            note_ids=_note_ids_in_order(timemap),
            log=answer.get("log", ""),
            elapsed_ms=elapsed,
        )

    def close(self) -> None:
        """Stops the child process (it is started again by the next ``render``)."""
        with self._lock:
            if self._process is not None:
                try:
                    self._process.stdin.close()
                    self._process.wait(timeout=2)
                except (OSError, subprocess.TimeoutExpired):
                    self._kill_child()
                self._process = None

    def __enter__(self) -> NotationRenderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_shared: NotationRenderer | None = None
_shared_lock = threading.Lock()


def shared_renderer() -> NotationRenderer:
    """The process-wide renderer (one child process for the whole application)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = NotationRenderer()
        return _shared


def render_abc(abc_text: str, **options) -> Rendering:
    """Renders with the shared renderer and raises :class:`RenderError` on failure."""
    return shared_renderer().render(abc_text, **options).raise_for_error()
