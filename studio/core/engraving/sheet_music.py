"""Printable sheet music: one tune, some tunes or a whole tune book laid out on A4 or Letter pages, as PDF.

The music is verovio's engraving (the same as on screen, :mod:`studio.core.engraving.notation`, in its child process), at the
page's content width with verovio's own title off; this module sets each tune's title and, under it, the settings
that generated it (or its ``C:``/``O:``/``S:`` source), stacks the tunes on pages without splitting a tune that fits
on one page, numbers the pages and, for a book, opens with a title page listing the tunes and their pages. A tune
verovio cannot engrave is skipped and named (:attr:`SheetMusic.skipped`, and at the end of the contents).

The pages are SVG (millimetre units), so the PDF and the window's print preview draw the very same pages: the PDF
through librsvg's ``rsvg-convert`` (one process for all pages, titles and chord symbols kept as searchable text; 24
pages in 2.4 s where cairosvg took 87 s), the print dialog through Qt's SVG renderer. A 3,000-tune book reports
progress per tune and stops when ``cancelled()`` says so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from xml.sax.saxutils import escape

from studio.core.abc.text import read_headers, tune_title
from studio.core.engraving.notation import NotationRenderer, shared_renderer
from studio.core.tune_book import NOTE_PREFIX, StoredTune, generation_note, parse_generation_note


@dataclass(frozen=True)
class Paper:
    """A paper size and its margins, in millimetres."""

    name: str
    width: float
    height: float
    margin: float = 15.0

    @property
    def content_width(self) -> float:
        return self.width - 2 * self.margin


PAPERS = {"a4": Paper("A4", 210.0, 297.0), "letter": Paper("Letter", 215.9, 279.4, 15.0)}
_FONT = "DejaVu Serif"  # one family: Qt's SVG renderer reads no list of fallbacks
_TITLE, _SUBTITLE, _GAP, _FOOTER = 9.0, 5.5, 7.0, 8.0  # heights (mm): tune title, settings line, between tunes, footer
_CONTENTS_LINE = 5.2
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'width="([\d.]+)px" height="([\d.]+)px"')


@dataclass
class SheetTune:
    """A tune to print: its ABC, title and the line under the title."""

    text: str
    title: str
    subtitle: str = ""

    @classmethod
    def of(cls, tune, number: int = 1) -> "SheetTune":
        """From ABC text (a generation note inside is read) or any object with ``text`` and the generation settings
        (a ``StoredTune``, a window entry): the line under the title is the settings, else the tune's source."""
        if isinstance(tune, str):
            text, settings = parse_generation_note(tune)
            tune = StoredTune(text=text, **settings)
        text, note = tune.text, generation_note(tune)
        return cls(text, tune_title(text, f"Tune {number}"), _settings_line(note) if note else source_line(text))


def _settings_line(note: str) -> str:
    return "Generated: " + note[len(NOTE_PREFIX):].strip().replace("=", " ").replace(" None", "")


def source_line(text: str) -> str:
    """``C:``, ``O:`` and ``S:`` (composer, origin, source) joined, or ''."""
    headers = read_headers(text)
    return " · ".join(headers[f].strip() for f in ("C", "O", "S") if headers.get(f, "").strip())


@dataclass
class SheetMusic:
    """Laid-out pages (SVG, millimetre units), what each tune's first page is, what was skipped and why."""

    paper: Paper
    pages: list[str] = field(default_factory=list)
    contents: list[tuple[str, int]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False


@dataclass
class _Block:
    svg: str
    width: float
    height: float  # in mm once placed at the content width


def _engrave(tune: SheetTune, paper: Paper, renderer: NotationRenderer) -> list[_Block] | str:
    """verovio's pages of one tune at the content width (page height: what is left under the title)."""
    page_height = paper.height - 2 * paper.margin - _FOOTER - _TITLE - _SUBTITLE
    rendering = renderer.render(tune.text, page_width=round(paper.content_width * 10), scale=100, pages_only=True,
                                options={"header": "none", "pageHeight": round(page_height * 10),
                                         "pageMarginLeft": 0, "pageMarginRight": 0, "pageMarginTop": 40,
                                         "pageMarginBottom": 20})
    if not rendering.ok:
        return rendering.error
    blocks = []
    for svg in rendering.pages:
        size = _SIZE.search(svg[:400])
        if not size:
            return "verovio's page has no size"
        width, height = float(size.group(1)), float(size.group(2))
        blocks.append(_Block(svg, width, height * paper.content_width / width))
    return blocks


def _nested(block: _Block, x: float, y: float, width: float) -> str:
    """A verovio page placed at (x, y) mm, ``width`` mm wide, as a nested <svg>."""
    opening = _SVG_OPEN.search(block.svg)
    body = block.svg[opening.end():]
    name = re.search(r'\bid="([^"]*)"', opening.group())  # verovio's style sheet is scoped by this id
    identity = f' id="{name.group(1)}"' if name else ""
    return (f'<svg{identity} x="{x:.2f}" y="{y:.2f}" width="{width:.2f}" height="{block.height:.2f}" '
            f'viewBox="0 0 {block.width:g} {block.width * block.height / width:g}" overflow="visible">{body}')


def _text(x: float, y: float, size: float, text: str, anchor: str = "middle", style: str = "") -> str:
    return (f'<text x="{x:.2f}" y="{y:.2f}" font-family="{_FONT}" font-size="{size:g}" text-anchor="{anchor}"'
            f"{style}>{escape(text)}</text>")


class _Pages:
    """The pages being filled, top to bottom."""

    def __init__(self, paper: Paper):
        self.paper = paper
        self.pages: list[list[str]] = []
        self.y = 0.0

    @property
    def bottom(self) -> float:
        return self.paper.height - self.paper.margin - _FOOTER

    def new_page(self) -> None:
        self.pages.append([])
        self.y = self.paper.margin

    def room(self) -> float:
        return self.bottom - self.y if self.pages else 0.0

    def add(self, height: float, element: str) -> None:
        self.pages[-1].append(element)
        self.y += height


def _place_tune(pages: _Pages, tune: SheetTune, blocks: list[_Block]) -> int:
    """Puts one tune on the pages (a new page when it does not fit in what is left); returns its first page."""
    paper = pages.paper
    head = _TITLE + (_SUBTITLE if tune.subtitle else 0)
    needed = head + blocks[0].height
    if pages.room() < needed + (_GAP if pages.pages and pages.pages[-1] else 0):
        pages.new_page()
    elif pages.pages[-1]:
        pages.y += _GAP
    first = len(pages.pages)
    middle = paper.width / 2
    pages.add(_TITLE, _text(middle, pages.y + 6.5, 6.0, tune.title, style=' font-weight="bold"'))
    if tune.subtitle:
        pages.add(_SUBTITLE, _text(middle, pages.y + 3.8, 3.4, tune.subtitle, style=' font-style="italic"'))
    for index, block in enumerate(blocks):
        if index and pages.room() < block.height:
            pages.new_page()
        pages.add(block.height, _nested(block, paper.margin, pages.y, paper.content_width))
    return first


def _contents(paper: Paper, title: str, contents: list[tuple[str, int]],
              skipped: list[tuple[str, str]]) -> list[list[str]]:
    """The title page and the pages after it: the book's title, then one line per tune with its page."""
    lines = [(f"{n}. {name}", str(page)) for n, (name, page) in enumerate(contents, 1)]
    lines += [(f"Not engraved: {name}", "") for name, _ in skipped]
    pages: list[list[str]] = [[_text(paper.width / 2, paper.margin + 14, 9.0, title, style=' font-weight="bold"'),
                               _text(paper.width / 2, paper.margin + 24, 4.0, f"{len(contents)} tunes",
                                     style=' font-style="italic"')]]
    y = paper.margin + 40
    right = paper.width - paper.margin
    for text, page in lines:
        if y > paper.height - paper.margin - _FOOTER:
            pages.append([])
            y = paper.margin + _CONTENTS_LINE
        pages[-1].append(_text(paper.margin, y, 3.6, text, anchor="start"))
        if page:
            pages[-1].append(_text(right, y, 3.6, page, anchor="end"))
        y += _CONTENTS_LINE
    return pages


def _page_svg(paper: Paper, elements: list[str], number: int, total: int, footer: str) -> str:
    y = paper.height - paper.margin + 2
    numbers = _text(paper.width - paper.margin, y, 3.2, f"{number} / {total}", anchor="end")
    label = _text(paper.margin, y, 3.2, footer, anchor="start", style=' fill="#555"') if footer else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
            f'width="{paper.width}mm" height="{paper.height}mm" viewBox="0 0 {paper.width} {paper.height}">'
            f'<rect width="{paper.width}" height="{paper.height}" fill="white"/>'
            + "".join(elements) + numbers + label + "</svg>")


def lay_out(tunes: list[SheetTune], paper: str | Paper = "a4", book_title: str = "",
            progress: Callable[[int, int, str], None] | None = None, cancelled: Callable[[], bool] | None = None,
            renderer: NotationRenderer | None = None) -> SheetMusic:
    """The pages of ``tunes``; a title page with the contents when there are several. ``progress(done, total,
    title)`` is called after each tune; when ``cancelled()`` turns true the pages so far are laid out and
    ``SheetMusic.cancelled`` is set."""
    paper = PAPERS[paper.lower()] if isinstance(paper, str) else paper
    renderer = renderer or shared_renderer()
    music = SheetMusic(paper)
    pages = _Pages(paper)
    for done, tune in enumerate(tunes, 1):
        if cancelled is not None and cancelled():
            music.cancelled = True
            break
        blocks = _engrave(tune, paper, renderer)
        if isinstance(blocks, str):
            music.skipped.append((tune.title, blocks))
        else:
            music.contents.append((tune.title, _place_tune(pages, tune, blocks)))
        if progress is not None:
            progress(done, len(tunes), tune.title)
    book = len(tunes) > 1
    front: list[list[str]] = []
    if book:  # laid out twice: the tunes' pages come after the contents, whose length is known once laid out
        offset = len(_contents(paper, book_title, music.contents, music.skipped))
        music.contents = [(name, page + offset) for name, page in music.contents]
        front = _contents(paper, book_title or "Tunes", music.contents, music.skipped)
    bodies = front + pages.pages
    footer = book_title if book else ""
    music.pages = [_page_svg(paper, elements, n, len(bodies), footer if n > 1 else "")
                   for n, elements in enumerate(bodies, 1)]
    return music


class PdfError(Exception):
    """The PDF could not be written (no ``rsvg-convert``, a failed conversion, cancelled); the message is for users."""


def write_pdf(music: SheetMusic, path: str | Path, cancelled: Callable[[], bool] | None = None) -> Path:
    """Writes the pages as one PDF with ``rsvg-convert`` (librsvg: titles and chord symbols stay searchable text,
    fonts embedded). Raises PdfError."""
    program = shutil.which("rsvg-convert")
    if program is None:
        raise PdfError("PDF needs rsvg-convert (Debian/Ubuntu: sudo apt-get install librsvg2-bin; ./studio.sh "
                       "installs it).")
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="abc-studio-pages-") as folder:
        files = []
        for number, svg in enumerate(music.pages, 1):
            files.append(Path(folder) / f"page-{number:05d}.svg")
            files[-1].write_text(svg, encoding="utf-8")
        partial = path.with_name(path.name + ".part")
        process = subprocess.Popen([program, "-f", "pdf", "-o", str(partial), *map(str, files)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while process.poll() is None:
            if cancelled is not None and cancelled():
                process.kill()
                process.wait()
                partial.unlink(missing_ok=True)
                raise PdfError("Stopped: no PDF was written.")
            time.sleep(0.05)
        if process.returncode != 0:
            partial.unlink(missing_ok=True)
            raise PdfError(f"rsvg-convert could not write {path}: {process.stderr.read().decode(errors='replace')}")
    partial.replace(path)
    return path
