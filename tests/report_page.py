"""An HTML report read back for the tests: its elements with their attributes and ancestry, its tables' cells."""

from __future__ import annotations

from html.parser import HTMLParser

_VOID = {"meta", "br", "img", "input", "link", "source", "hr", "wbr"}


class ReportPage(HTMLParser):
    """Collects what the tests look at: elements with their attributes and the ancestry of each, table cells."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.elements: list[tuple[str, dict, tuple[str, ...]]] = []  # (tag, attributes, classes of ancestors)
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        ancestry = tuple(c for _, a in self.stack for c in (a.get("class") or "").split())
        self.elements.append((tag, attributes, ancestry))
        if tag == "table" and attributes.get("id"):
            self._table = attributes["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        self._in_style = tag == "style"
        if tag not in _VOID:
            self.stack.append((tag, attributes))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), ()))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        if tag == "table":
            self._table = None
        self._in_style = False
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in_style:
            self.styles.append(data)

    def inside(self, tag: str, css_class: str) -> list[dict]:
        return [a for t, a, ancestry in self.elements if t == tag and css_class in ancestry]


def read_report(path) -> ReportPage:
    """The report page at ``path``, parsed."""
    from pathlib import Path

    page = ReportPage()
    page.feed(Path(path).read_text(encoding="utf-8"))
    return page
