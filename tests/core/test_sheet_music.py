"""PDF sheet music: real verovio pages, a real PDF read back with poppler (pdftotext, pdfinfo)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from studio.core.engraving.sheet_music import PAPERS, SheetTune, lay_out
from studio.core.export import export_sheet_music
from studio.core.tune_book import StoredTune

ROOT = Path(__file__).resolve().parents[2]
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("rsvg-convert") is None,
                                   reason="poppler-utils or librsvg2-bin is not installed (./studio.sh test "
                                          "installs them)")
CHORDS = """X:1
T:Chords On Top
M:4/4
L:1/8
K:D
|:"D"DFAd "Bm7"fdAF|"Em"EFGA "A7"Bcde:|
"""


def _text(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _placed(svg: str) -> list[tuple[float, float]]:
    """(top, bottom) in mm of each engraved block on a page."""
    return [(float(y), float(y) + float(h)) for y, h in re.findall(r'<svg id="[^"]*" x="[\d.]+" y="([\d.]+)" '
                                                                     r'width="[\d.]+" height="([\d.]+)"', svg)]


@needs_poppler
def test_a_book_has_a_title_page_contents_searchable_titles_chords_and_page_numbers(tmp_path, oneills):
    tunes = [StoredTune(text=CHORDS, temperature=0.8, seed=7)] + [t.text for t in oneills.tunes[:11]]
    pdf = tmp_path / "book.pdf"
    result = export_sheet_music(tunes, pdf=pdf, book_title="Session Tunes")
    assert result.written == [pdf] and not result.skipped
    first = _text(pdf, 1)
    assert "Session Tunes" in first and "12 tunes" in first
    assert re.search(r"1\. Chords On Top\s+2", first) and "2. The Enchanted Valley" in first
    second = _text(pdf, 2)
    assert "Chords On Top" in second and "Generated: temperature 0.8 seed 7" in second
    assert all(symbol in second for symbol in ("Bm7", "Em", "A7"))
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                              text=True).stdout).group(1))
    assert re.search(rf"Session Tunes\s+2\s*/\s*{pages}\n", second)
    assert re.search(rf"{pages}\s*/\s*{pages}\n", _text(pdf, pages))


def test_tunes_that_fit_on_a_page_are_never_split_and_stay_inside_the_margins(oneills):
    paper = PAPERS["letter"]
    tunes = [SheetTune.of(t.text, n) for n, t in enumerate(oneills.tunes[:30], 1)]
    music = lay_out(tunes, paper, "O'Neill's")
    blocks = [block for page in music.pages for block in _placed(page)]
    assert len(blocks) == 30  # one engraved block per tune: none was split
    assert all(paper.margin <= top and bottom <= paper.height - paper.margin for top, bottom in blocks)
    assert [page for _, page in music.contents] == sorted(page for _, page in music.contents)
    assert len({page for _, page in music.contents}) < 30  # several tunes share a page


@needs_poppler
def test_a_tune_that_cannot_be_engraved_is_skipped_and_named(tmp_path):
    pdf = tmp_path / "two.pdf"
    result = export_sheet_music(["X:1\nT:Nothing To Play\nK:C\n", CHORDS], pdf=pdf, paper="letter")
    assert result.skipped and result.skipped[0][0] == "Nothing To Play"
    text = _text(pdf)
    assert "Not engraved: Nothing To Play" in text and "Chords On Top" in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "612 x 792 pts (letter)" in info


def test_a_long_book_reports_progress_and_stops_when_asked(tmp_path, oneills):
    seen = []
    result = export_sheet_music([t.text for t in oneills.tunes[:40]], pdf=tmp_path / "stopped.pdf",
                                progress=lambda done, total, title: seen.append((done, total)),
                                cancelled=lambda: len(seen) >= 3)
    assert result.cancelled and seen == [(1, 40), (2, 40), (3, 40)]
    assert not (tmp_path / "stopped.pdf").exists() and not result.written


@needs_poppler
def test_cli_writes_the_pdf_and_one_musicxml_per_tune(tmp_path):
    book = tmp_path / "my-book.abc"
    book.write_text(CHORDS + "\n" + CHORDS.replace("X:1", "X:2").replace("Chords On Top", "Second"), "utf-8")
    done = subprocess.run([sys.executable, "-m", "studio", "export", str(book), "--pdf", str(tmp_path / "b.pdf"),
                           "--musicxml", str(tmp_path / "xml"), "--paper", "letter"], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "xml").iterdir()) == ["01-chords-on-top.musicxml", "02-second.musicxml"]
    assert "my book" in _text(tmp_path / "b.pdf", 1)
