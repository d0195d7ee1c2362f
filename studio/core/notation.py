"""ABC -> engraved SVG, MIDI and a note timemap with verovio, run safely in a child process.

verovio kills the whole Python process with a segmentation fault on some malformed ABC (a stray ``]`` such as
``a]|``), and generated ABC is often malformed. So verovio never runs in the caller's process: a long-lived child
process (``python -c ...serve_requests()``) speaks one JSON line per request and per answer over pipes. When the
child dies (crash) or does not answer within ``timeout_s`` (hang), the caller gets a :class:`Rendering` whose
``error`` says so, the child is restarted on the next call, and the next call works again.

Only the first tune of a text is imported by verovio: pass one tune (see ``studio.core.abc.text.split_tunes``).
verovio does not expose the ABC character position of each note (its ABC importer keeps no source location), so
a note is known by its SVG/MEI element id only; the timemap links ids to times.

:func:`flatten_svg_for_qt` rewrites verovio's SVG so that Qt's ``QSvgRenderer`` draws it (see its docstring).

The answer is awaited with ``select`` on the child's pipe (POSIX: Linux and macOS).
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from studio.core.abc.text import first_tune_end
from studio.core.abc.tokenizer import tokenize

DEFAULT_TIMEOUT_S = 10.0
#: Longest text that is engraved or read as music (verovio, or music21 when verovio fails: longer takes seconds to
#: minutes); the window checks and exports longer text as ABC only, and corpora drop longer tunes.
MAX_ENGRAVED_CHARS = 20_000
#: Longer text is not sent to verovio: it would only run into the timeout (a tune is a few thousand characters).
MAX_RENDER_CHARS = 200_000
#: verovio page width in its units (tenths of a millimetre); 2100 is A4.
DEFAULT_PAGE_WIDTH = 2100
DEFAULT_SCALE = 40

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


class RenderError(Exception):
    """Raised when ABC cannot be engraved (bad input, a verovio crash or a timeout); the message is for users."""


@dataclass(frozen=True)
class TimedEvent:
    """One instant of the timemap: the notes that start (``on``) and end (``off``) at ``tstamp_ms``.

    ``qstamp`` is the same instant in quarter notes from the start (independent of tempo); ``tempo`` is the
    quarter-note tempo in force (verovio's, from ``Q:`` or 120).
    """

    tstamp_ms: float
    qstamp: float
    on: tuple[str, ...]
    off: tuple[str, ...]
    tempo: float


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
    }
    toolkit.resetOptions()
    toolkit.setOptions(options)
    if not toolkit.loadData(request["abc"]):
        return {"error": "verovio could not read this ABC: " + (toolkit.getLog().strip() or "no reason given")}
    pages = [toolkit.renderToSVG(page) for page in range(1, toolkit.getPageCount() + 1)]
    timemap = toolkit.renderToTimemap()
    if not timemap:
        return {"error": "verovio found no notes to engrave in this ABC. " + toolkit.getLog().strip()}
    midi = toolkit.renderToMIDI()
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
            )
        )
    return events


def open_implied_repeats(abc_text: str) -> str:
    """``abc_text`` with the start-repeat written out that an end-repeat implies, for verovio's sake.

    Folk ABC often writes two strains as ``...:| ...:|``: the second ``:|`` repeats from the first. verovio (5.x)
    crashes (SIGSEGV) whenever an end-repeat has no start-repeat since the previous end-repeat (``d2:||G:|``,
    ``:|d|g:|``, ``:|2d:|``); the model writes such tunes often and O'Neill's has some. So the missing ``|:`` is
    put where the new strain starts: the plain bar line right after the previous ``:|`` becomes ``|:``, or ``|:``
    is added after that ``:|``. When the previous ``:|`` leads into a variant ending (``:|2``) there is no safe
    place, and the later end-repeat is drawn as a plain bar line instead. Only what verovio reads changes, never
    the user's text."""
    end = first_tune_end(abc_text)  # verovio engraves the first tune only: the rest is passed on untouched
    tune, rest = abc_text[:end], abc_text[end:]
    if tune.count(":") < 2 or ":|" not in tune and "::" not in tune:
        return abc_text
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in tune
    tokens = [t for t in tokenize(tune) if t.kind not in ("space", "newline")]
    previous_end = None  # index in tokens of the last end-repeat with no start-repeat since
    for index, token in enumerate(tokens):
        if token.kind != "bar":
            continue
        ends, starts = token.text.startswith(":"), token.text.endswith(":")
        if ends and previous_end is not None:
            edits.append(_start_after(tokens, previous_end) or _plain_bar(token))
        if starts:
            previous_end = None
        elif ends:
            previous_end = index
    for start, stop, replacement in sorted(edits, reverse=True):
        tune = tune[:start] + replacement + tune[stop:]
    return tune + rest


def _start_after(tokens: list, index: int) -> tuple[int, int, str] | None:
    """The edit that starts a repeat just after the end-repeat ``tokens[index]``, or None (a variant ending)."""
    end_repeat = tokens[index]
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    if any(c.isdigit() for c in end_repeat.text) or following is not None and (  # ":|2", then "[2" or "|2"
            following.kind == "ending" or following.kind == "bar" and any(c.isdigit() for c in following.text)):
        return None
    if following is not None and following.kind == "bar" and following.text in ("|", "||"):
        return following.offset, following.offset + len(following.text), "|:"
    after = end_repeat.offset + len(end_repeat.text)
    return after, after, "|:"


def _plain_bar(end_repeat) -> tuple[int, int, str]:
    return end_repeat.offset, end_repeat.offset + len(end_repeat.text), end_repeat.text.lstrip(":") or "|"


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
        code = "from studio.core.notation import serve_requests; serve_requests()"
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
    def render(self, abc_text: str | bytes, *, page_width: int | None = None, scale: int | None = None) -> Rendering:
        """Engraves the first tune of ``abc_text``. Never raises for bad input: see ``Rendering.error``."""
        if isinstance(abc_text, bytes):
            abc_text = abc_text.decode("utf-8", errors="replace")
        if not abc_text.strip():
            return Rendering(error="There is no ABC to render (the text is empty).")
        if len(abc_text) > MAX_RENDER_CHARS:
            return Rendering(error=f"This ABC is too long to engrave ({len(abc_text):,} characters; the limit is "
                                   f"{MAX_RENDER_CHARS:,}). Is it one tune?")
        request = json.dumps({"abc": open_implied_repeats(abc_text), "page_width": page_width, "scale": scale}) + "\n"
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


# --------------------------------------------------------------------------- SVG for Qt

_SVG_TAG = re.compile(r"<svg\b[^>]*?>|</svg\s*>", re.DOTALL)
_ATTRIBUTE = re.compile(r'([\w:-]+)\s*=\s*"([^"]*)"')
_NUMBER = re.compile(r"^\s*(-?[\d.]+)\s*(px)?\s*$")


def _attributes(tag: str) -> dict[str, str]:
    return dict(_ATTRIBUTE.findall(tag))


def _length(value: str | None) -> float | None:
    match = _NUMBER.match(value or "")
    return float(match.group(1)) if match else None


def _viewport_size(attrs: dict[str, str], parent: tuple[float, float]) -> tuple[float, float]:
    """Width and height of an <svg> element's viewport in its parent's user units (100% when not given)."""
    width = _length(attrs.get("width"))
    height = _length(attrs.get("height"))
    return (width if width is not None else parent[0], height if height is not None else parent[1])


def _user_space_size(attrs: dict[str, str], viewport: tuple[float, float]) -> tuple[float, float]:
    view_box = attrs.get("viewBox", "").replace(",", " ").split()
    if len(view_box) == 4:
        return float(view_box[2]), float(view_box[3])
    return viewport


def _group_for_nested_svg(attrs: dict[str, str], parent: tuple[float, float]) -> tuple[str, tuple[float, float]]:
    """The <g> that replaces a nested <svg> (x/y, viewBox with preserveAspectRatio 'xMidYMid meet')."""
    width, height = _viewport_size(attrs, parent)
    x, y = _length(attrs.get("x")) or 0.0, _length(attrs.get("y")) or 0.0
    transform = []
    view_box = attrs.get("viewBox", "").replace(",", " ").split()
    if len(view_box) == 4:
        vx, vy, vw, vh = map(float, view_box)
        scale = min(width / vw, height / vh) if vw and vh else 1.0
        x += (width - vw * scale) / 2 - vx * scale
        y += (height - vh * scale) / 2 - vy * scale
        if x or y:
            transform.append(f"translate({x:g},{y:g})")
        transform.append(f"scale({scale:g})")
        inner = (vw, vh)
    else:
        if x or y:
            transform.append(f"translate({x:g},{y:g})")
        inner = (width, height)
    kept = {k: v for k, v in attrs.items() if k not in {"x", "y", "width", "height", "viewBox",
                                                            "preserveAspectRatio", "overflow", "version"}
            and not k.startswith("xmlns")}
    if transform:
        kept["transform"] = " ".join(transform)
    text = "".join(f' {k}="{v}"' for k, v in kept.items())
    return f"<g{text}>", inner


_TEXT_ELEMENT = re.compile(r"<text\b[^>]*?(?:/>|>.*?</text\s*>)", re.DOTALL)


def _flatten_text(match: re.Match) -> str:
    """``<text><tspan id=a x=..><tspan id=b><tspan font-size=..>words</tspan></tspan></tspan></text>`` (a chain
    of single tspans, as verovio writes titles, chord symbols and lyrics) -> ``<g id=a><g id=b><text x=..
    font-size=..>words</text></g></g>``: Qt drops nested tspans. Anything else is left as it is."""
    fragment = match.group(0)
    try:
        element = ET.fromstring(fragment)
    except ET.ParseError:
        return fragment
    attributes = dict(element.attrib)
    wrappers: list[dict[str, str]] = []
    while len(element) == 1 and not (element.text or "").strip() and not (element[0].tail or "").strip():
        element = element[0]
        if element.tag != "tspan" or len(element.attrib) == 0:
            return fragment
        wrappers.append({k: v for k, v in element.attrib.items() if k in ("id", "class")})
        attributes.update({k: v for k, v in element.attrib.items() if k not in ("id", "class")})
    if len(element) or not wrappers:
        return fragment
    wrappers = [w for w in wrappers if w]
    open_groups = "".join("<g" + "".join(f" {k}={quoteattr(v)}" for k, v in w.items()) + ">" for w in wrappers)
    text_attributes = "".join(f" {k}={quoteattr(v)}" for k, v in attributes.items())
    return f"{open_groups}<text{text_attributes}>{escape(element.text or '')}</text>{'</g>' * len(wrappers)}"


def flatten_svg_for_qt(svg: str) -> str:
    """Makes verovio's SVG drawable by Qt's QSvgRenderer, keeping every element id (pure string work, no Qt).

    * Every nested ``<svg>`` (verovio's ``<svg class="definition-scale" viewBox=...>``) becomes a ``<g>`` with the
      equivalent ``translate``/``scale`` transform: QSvgRenderer ignores nested viewports and draws the page blank.
      After this, ``QSvgRenderer.boundsOnElement(note_id)`` finds each note.
    * Chains of nested ``<tspan>`` inside ``<text>`` (titles, chord symbols, lyrics) become one ``<text>`` inside
      ``<g>`` elements that carry the tspans' ids: QSvgRenderer drops nested tspans, so titles went missing.
    """
    svg = _TEXT_ELEMENT.sub(_flatten_text, svg)
    out: list[str] = []
    stack: list[tuple[bool, tuple[float, float]]] = []  # (was replaced by <g>, user-space size inside)
    position = 0
    for match in _SVG_TAG.finditer(svg):
        out.append(svg[position:match.start()])
        position = match.end()
        tag = match.group(0)
        if tag.startswith("</"):
            replaced, _ = stack.pop() if stack else (False, (0.0, 0.0))
            out.append("</g>" if replaced else tag)
            continue
        attrs = _attributes(tag)
        self_closing = tag.endswith("/>")
        if not stack:
            viewport = _viewport_size(attrs, (0.0, 0.0))
            out.append(tag)
            if not self_closing:
                stack.append((False, _user_space_size(attrs, viewport)))
            continue
        group, inner = _group_for_nested_svg(attrs, stack[-1][1])
        out.append(group[:-1] + "/>" if self_closing else group)
        if not self_closing:
            stack.append((True, inner))
    out.append(svg[position:])
    return "".join(out)
