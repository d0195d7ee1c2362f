"""Plain-text handling of ABC files: decoding, splitting a tune book into tunes, headers, clean-up.

A tune starts at a line ``X:`` and runs to the next blank line (or the next ``X:``). Cleaning keeps what carries
music (the fields X, T, M, L, K, R and the body) and drops bibliographic fields, lyrics and ``%`` comments.
"""

from __future__ import annotations

import re

#: Header fields kept by :func:`clean_tune`, in the order they are written.
KEPT_HEADER_FIELDS = ("X", "T", "M", "L", "R", "K")
#: Fields that may change mid-tune and are kept when they appear in the body.
KEPT_BODY_FIELDS = ("K", "M", "L")

_FIELD_LINE = re.compile(r"^([A-Za-z]):(?![|:])(.*)$")
_TUNE_START = re.compile(r"^[ \t]*X:", re.MULTILINE)
_SPACES = re.compile(r"[ \t]+")


def decode_abc_bytes(data: bytes) -> str:
    """Decodes the bytes of an ABC file: UTF-8 (with or without BOM), UTF-16 with a BOM, else latin-1.

    Line endings are normalised to ``\\n`` and NUL bytes removed, so the result is always a usable ``str``.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def split_tunes(text: str) -> list[str]:
    """Splits a tune book into tune texts, each starting with its ``X:`` line (text before the first X is dropped)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    starts = [m.start() for m in _TUNE_START.finditer(text)]
    tunes = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[start:end]
        # A blank line ends the tune: whatever follows it (free text) is not music.
        blank = re.search(r"\n[ \t]*\n", chunk)
        if blank:
            chunk = chunk[: blank.start()]
        chunk = chunk.strip("\n")
        if chunk.strip():
            tunes.append(chunk.lstrip())
    return tunes


def first_tune_end(text: str) -> int:
    """Where the second tune of ``text`` starts (its ``X:`` line), or ``len(text)`` when there is only one."""
    matches = _TUNE_START.finditer(text)
    next(matches, None)
    second = next(matches, None)
    return second.start() if second is not None else len(text)


def _split_header_body(tune: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Returns the header fields up to and including the first K: line, and the remaining body lines."""
    header: list[tuple[str, str]] = []
    lines = tune.split("\n")
    for i, line in enumerate(lines):
        match = _FIELD_LINE.match(line.strip())
        if match and not line.strip().startswith("|"):
            header.append((match.group(1), match.group(2).strip()))
            if match.group(1) == "K":
                return header, lines[i + 1 :]
        elif line.strip().startswith("%") or not line.strip():
            continue
        else:
            return header, lines[i:]
    return header, []


def read_headers(tune: str) -> dict[str, str]:
    """Header fields of a tune (field letter -> value of its first occurrence), up to the K: line."""
    fields: dict[str, str] = {}
    for name, value in _split_header_body(tune)[0]:
        fields.setdefault(name, value)
    return fields


def tune_title(tune: str, fallback: str = "") -> str:
    """The tune's ``T:`` (its first title), or ``fallback`` when it has none."""
    return read_headers(tune).get("T", "").strip() or fallback


def _strip_comment(line: str) -> str:
    """Removes a ``%`` comment (not an escaped ``\\%``) and any ``%%`` directive."""
    in_quote = False
    for i, ch in enumerate(line):
        if ch == '"':
            in_quote = not in_quote
        elif ch == "%" and not in_quote and (i == 0 or line[i - 1] != "\\"):
            return line[:i]
    return line


def clean_tune(tune: str) -> str:
    """A tune reduced to what carries music: X, T, M, L, R, K and the body, whitespace normalised.

    Returns an empty string when the tune has no K: field (it cannot be read as music).
    """
    header, body_lines = _split_header_body(tune)
    fields: dict[str, str] = {}
    for name, value in header:
        if name in KEPT_HEADER_FIELDS and name not in fields:
            fields[name] = _SPACES.sub(" ", value)
    if "K" not in fields:
        return ""
    out = [f"{name}:{fields[name]}" for name in KEPT_HEADER_FIELDS if name in fields]
    for line in body_lines:
        line = _SPACES.sub(" ", _strip_comment(line)).strip()
        if not line:
            continue
        match = _FIELD_LINE.match(line)
        if match and not line.startswith("|"):
            if match.group(1) in KEPT_BODY_FIELDS:
                out.append(f"{match.group(1)}:{match.group(2).strip()}")
            continue
        out.append(line)
    return "\n".join(out)
