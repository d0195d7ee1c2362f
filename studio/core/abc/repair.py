"""Best-effort repair of generated ABC so that it validates structurally and is safe to render.

Adds missing X/M/L/K headers (K last), drops stray ``]``, ``}`` and ``)`` and unknown junk, closes unclosed
chords, grace notes and slurs, removes a lone quote, drops tuplets that lack notes, and removes absurd lengths
and octave marks. Unreadable M:, L: or K: values are replaced by defaults.
Bar durations are left as they are: a wrong bar is music, not syntax.
"""

from __future__ import annotations

import re

from studio.core.abc.tokenizer import Token, tokenize
from studio.core.abc.validate import MAX_TUNE_CHARS, validate_tune

DEFAULT_HEADERS = {"X": "1", "M": "4/4", "L": "1/8", "K": "C"}
_FIELD_LINE = re.compile(r"^[ \t]*([A-Za-z]):(?![|:])(.*)$")
_NOTE_HEAD = re.compile(r"(\^\^|\^|__|_|=)?([A-Ga-g])")


def _split_header(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Header fields (up to the first K: or the first music line) and the remaining lines."""
    lines = text.split("\n")
    header: list[tuple[str, str]] = []
    for number, line in enumerate(lines):
        match = _FIELD_LINE.match(line)
        if match:
            header.append((match.group(1), match.group(2).strip()))
            if match.group(1) == "K":
                return header, lines[number + 1:]
        elif line.strip() and not line.lstrip().startswith("%"):
            return header, lines[number:]
    return header, []


def _readable(name: str, value: str) -> bool:
    """False for an M:, L: or K: value that the validator could not read (it is replaced by the default)."""
    probe = validate_tune(f"X:1\n{name}:{value}\nz")
    return not any(p.kind == "bad_header" for p in probe.problems)


def _header_text(header: list[tuple[str, str]]) -> str:
    header = [(n, v if n not in ("M", "L", "K") or _readable(n, v) else DEFAULT_HEADERS[n]) for n, v in header]
    present = {name for name, _ in header}
    key = next((value for name, value in header if name == "K"), DEFAULT_HEADERS["K"])
    out = [f"X:{next((v for n, v in header if n == 'X'), DEFAULT_HEADERS['X'])}"]
    out += [f"{name}:{value}" for name, value in header if name not in ("X", "K")]
    out += [f"{name}:{DEFAULT_HEADERS[name]}" for name in ("M", "L") if name not in present]
    out.append(f"K:{key or DEFAULT_HEADERS['K']}")
    return "\n".join(out)


def _plain_note(token: Token) -> str:
    """A note without its length and octave marks (used when they are absurd)."""
    match = _NOTE_HEAD.match(token.text)
    return (match.group(1) or "") + match.group(2) if match else ""


def _drop_lone_quotes(body: str) -> str:
    """Removes the last quote of every line with an odd number of them, so the rest reads as music again."""
    lines = body.split("\n")
    for number, line in enumerate(lines):
        if line.count('"') % 2:
            cut = line.rfind('"')
            lines[number] = line[:cut] + line[cut + 1:]
    return "\n".join(lines)


def _repair_body(body: str) -> str:
    out: list[str] = []
    chord_open = grace_open = False
    open_slurs = 0
    for token in tokenize(_drop_lone_quotes(body)):
        kind, text = token.kind, token.text
        if kind in ("bar", "newline", "field") or (kind == "chord_start" and chord_open):
            if chord_open:
                out.append("]")
                chord_open = False
            if grace_open and kind != "chord_start":
                out.append("}")
                grace_open = False
        if kind == "unknown" or (kind == "broken" and token.problem):
            continue
        if kind == "chord_start":
            chord_open = True
        elif kind == "chord_end":
            if not chord_open:
                continue
            chord_open = False
            if token.problem == "absurd_length":
                text = "]"
        elif kind == "grace_start":
            if grace_open:
                out.append("}")
            grace_open = True
        elif kind == "grace_end":
            if not grace_open:
                continue
            grace_open = False
        elif kind == "slur_start":
            open_slurs += 1
        elif kind == "slur_end":
            if not open_slurs:
                continue
            open_slurs -= 1
        elif kind == "tuplet" and token.problem:
            continue
        elif kind in ("note", "grace_note") and token.problem in ("absurd_length", "pitch_out_of_range"):
            text = _plain_note(token)
        elif kind == "rest" and token.problem == "absurd_length":
            text = text[0]
        out.append(text)
    if chord_open:
        out.append("]")
    if grace_open:
        out.append("}")
    out.append(")" * open_slurs)
    return "".join(out)


def _drop_unclosed_tuplets(text: str) -> str:
    report = validate_tune(text)
    spots = {(p.line, p.column) for p in report.problems if p.kind == "unclosed_tuplet"}
    if not spots:
        return text
    lines = text.split("\n")
    for line, column in sorted(spots, reverse=True):
        row = lines[line - 1]
        end = column + 1
        while end < len(row) and (row[end].isdigit() or row[end] == ":"):
            end += 1
        lines[line - 1] = row[:column] + row[end:]
    return "\n".join(lines)


def repair_tune(text: str) -> str:
    """A repaired copy of one tune: headers completed, structure closed, junk removed (never raises)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")[: MAX_TUNE_CHARS - 1000]
    header, body_lines = _split_header(text)
    body = _repair_body("\n".join(body_lines).strip("\n"))
    if not any(t.kind == "note" or t.kind == "rest" for t in tokenize(body)):
        body = (body + " z").strip()
    repaired = _header_text(header) + "\n" + body
    for _ in range(3):
        fixed = _drop_unclosed_tuplets(repaired)
        if fixed == repaired:
            break
        repaired = fixed
    return repaired
