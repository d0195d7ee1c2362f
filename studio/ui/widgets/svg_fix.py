"""verovio's SVG made drawable by Qt's QSvgRenderer (pure string work, no Qt; used by the score view).

QSvgRenderer ignores nested ``<svg>`` viewports and nested ``<tspan>`` chains, so verovio's pages came out blank
and without titles; :func:`flatten_svg_for_qt` rewrites both while keeping every element id.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

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
