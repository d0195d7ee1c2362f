"""Checks one ABC tune: headers, structure (chords, slurs, tuplets, grace notes, quotes) and bar durations.

The bar check follows what ``abc2midi FILE -c`` reports, so both agree on real tunes: the first bar (pickup) is
never checked; a short bar that ends at a section line (``||``, ``:|``, ``|:``, ``::``, ``|]``, ``[|``) carries
its time into the next bar, so a closing half-bar and the pickup after it add up to one bar; a second ending
(``:|2``, ``[2``) drops what the first ending carried; a final bar after the last bar line is not checked. Every
other bar must last exactly what the meter says (a short final bar closed by a plain ``|`` is reported, as
abc2midi does).

:func:`is_safe_for_verovio` tells whether a text can be given to verovio in-process (a stray ``]`` makes it
crash with a segmentation fault, see NOTES.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import re

from studio.core.abc.fields import parse_meter, parse_unit_length
from studio.core.abc.tokenizer import Bar, ScannedTune, Token, scan_tune

#: Longest text analysed; the rest of a longer text is ignored and reported as ``too_long``.
MAX_TUNE_CHARS = 200_000

#: Problem kinds that make a tune structurally invalid (bar durations are reported separately).
STRUCTURAL_KINDS = frozenset({
    "missing_header", "unclosed_chord", "stray_bracket", "unclosed_slur", "stray_slur", "unclosed_tuplet",
    "unclosed_grace", "stray_grace", "unclosed_quote", "unknown_symbol", "absurd_length", "pitch_out_of_range",
    "too_long", "no_notes", "bad_header",
})
_REQUIRED_HEADERS = ("M", "K")
_SECTION_BAR_CHARS = frozenset(":]")
_KEY = re.compile(r"\s*(?:[A-G][#b]?\s*(?:[A-Za-z]*)(?:\s|$)|none|HP|Hp)")
_SHOWN_UNKNOWN = 20


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a tune, located at a 1-based line and 0-based column of the tune's text."""

    kind: str
    message: str
    line: int
    column: int


@dataclass(slots=True)
class ValidationReport:
    """What :func:`validate_tune` found: problems, and how many bars were checked and failed."""

    problems: list[Problem] = field(default_factory=list)
    bars_checked: int = 0
    bars_failed: int = 0
    scan: ScannedTune | None = None

    @property
    def bar_error_rate(self) -> float:
        """Share of checked bars whose duration does not match the meter (0 when no bar was checked)."""
        return self.bars_failed / self.bars_checked if self.bars_checked else 0.0

    @property
    def structurally_valid(self) -> bool:
        """True when nothing but bar durations is wrong."""
        return not any(p.kind in STRUCTURAL_KINDS for p in self.problems)

    @property
    def ok(self) -> bool:
        """True when there is no problem at all."""
        return not self.problems

    def kinds(self) -> set[str]:
        """The distinct problem kinds found."""
        return {p.kind for p in self.problems}

    def bar_problems(self) -> list[Problem]:
        """The ``bar_duration`` problems, in order."""
        return [p for p in self.problems if p.kind == "bar_duration"]


def _is_section_line(bar: Bar) -> bool:
    """True when the bar ends at a double bar, a repeat or a final bar (where a short bar may carry over)."""
    closing = bar.closing
    return "||" in closing or "[|" in closing or any(ch in _SECTION_BAR_CHARS for ch in closing)


def _describe(duration: Fraction) -> str:
    return f"{duration.numerator}/{duration.denominator}" if duration.denominator != 1 else str(duration.numerator)


def check_bars(bars: list[Bar]) -> tuple[list[Problem], int]:
    """Bar-duration problems of a tune's bars (rules in the module docstring) and the number of bars checked."""
    problems: list[Problem] = []
    checked = 0
    carried = Fraction(0)
    for position, bar in enumerate(bars):
        if bar.ending is not None and bar.ending[:1] != "1":
            carried = Fraction(0)
        if position == 0 or bar.meter is None:
            carried = Fraction(0)
            continue
        total = carried + bar.duration
        if not total:
            continue  # two bar lines in a row with nothing carried: nothing to check
        if bar.closing[-1:].isdigit() and not bar.closing.endswith("1"):
            carried = Fraction(0)  # a first ending ends here: its time is not followed by what comes next
            continue
        if total < bar.meter and (_is_section_line(bar) or not bar.closing):
            carried = total
            continue
        carried = Fraction(0)
        checked += 1
        if total != bar.meter:
            word = "too long" if total > bar.meter else "too short"
            problems.append(Problem(
                "bar_duration",
                f"bar {position + 1} is {word}: it lasts {_describe(total)} of a whole note, the meter needs "
                f"{_describe(bar.meter)}",
                bar.line, bar.column))
    return problems, checked


def _structure_problems(tokens: list[Token]) -> list[Problem]:
    """Unclosed or stray brackets, slurs, tuplets, grace notes and quotes; unknown symbols; absurd values."""
    problems: list[Problem] = []
    open_chord: Token | None = None
    open_grace: Token | None = None
    open_slurs: list[Token] = []
    open_tuplet: Token | None = None
    tuplet_left = 0
    unknown_count = 0

    def add(kind: str, message: str, token: Token) -> None:
        problems.append(Problem(kind, message, token.line, token.column))

    def close_open_chord() -> None:
        nonlocal open_chord
        if open_chord is not None:
            add("unclosed_chord", "a chord '[' is not closed by ']'", open_chord)
            open_chord = None

    for token in tokens:
        kind = token.kind
        if kind == "chord_start":
            close_open_chord()
            open_chord = token
        elif kind == "chord_end":
            if open_chord is None:
                add("stray_bracket", "a ']' closes no chord", token)
            open_chord = None
            if tuplet_left:
                tuplet_left -= 1
        elif kind in ("bar", "newline"):
            close_open_chord()
            if kind == "bar" and tuplet_left and open_tuplet is not None:
                add("unclosed_tuplet", f"tuplet '{open_tuplet.text}' lacks notes", open_tuplet)
                tuplet_left = 0
            if kind == "bar" and open_grace is not None:
                add("unclosed_grace", "grace notes '{' are not closed by '}'", open_grace)
                open_grace = None
        elif kind == "grace_start":
            if open_grace is not None:
                add("unclosed_grace", "grace notes '{' are not closed by '}'", open_grace)
            open_grace = token
        elif kind == "grace_end":
            if open_grace is None:
                add("stray_grace", "a '}' closes no grace notes", token)
            open_grace = None
        elif kind == "slur_start":
            open_slurs.append(token)
        elif kind == "slur_end":
            if open_slurs:
                open_slurs.pop()
            else:
                add("stray_slur", "a ')' closes no slur", token)
        elif kind == "tuplet":
            if tuplet_left and open_tuplet is not None:
                add("unclosed_tuplet", f"tuplet '{open_tuplet.text}' lacks notes", open_tuplet)
            if token.problem is None:
                open_tuplet = token
                parts = token.text[1:].split(":")
                tuplet_left = min(int(parts[2][:3]) if len(parts) > 2 and parts[2] else int(parts[0][:3]), 64)
        elif kind in ("note", "rest") and open_chord is None:
            if tuplet_left:
                tuplet_left -= 1
        elif kind == "annotation" and token.problem == "unclosed":
            add("unclosed_quote", 'a quote \'"\' is not closed on its line', token)
        elif kind == "unknown":
            unknown_count += 1
            if unknown_count <= _SHOWN_UNKNOWN:
                shown = token.text[:20].encode("unicode_escape").decode("ascii")
                add("unknown_symbol", f"'{shown}' is no ABC symbol", token)
        if token.problem == "absurd_length":
            add("absurd_length", f"'{token.text[:20]}' has an absurd length", token)
        elif token.problem == "pitch_out_of_range":
            add("pitch_out_of_range", f"'{token.text[:20]}' lies outside the MIDI range", token)
    close_open_chord()
    if open_grace is not None:
        add("unclosed_grace", "grace notes '{' are not closed by '}'", open_grace)
    for token in open_slurs:
        add("unclosed_slur", "a slur '(' is not closed by ')'", token)
    if tuplet_left and open_tuplet is not None:
        add("unclosed_tuplet", f"tuplet '{open_tuplet.text}' lacks notes", open_tuplet)
    if unknown_count > _SHOWN_UNKNOWN:
        last = problems[-1] if problems else Problem("", "", 1, 0)
        problems.append(Problem("unknown_symbol", f"{unknown_count - _SHOWN_UNKNOWN} more unknown symbols",
                                last.line, last.column))
    return problems


def _header_problems(scan: ScannedTune) -> list[Problem]:
    """M:, L: and K: values that cannot be read."""
    problems = []
    meter = scan.fields.get("M")
    if meter is not None and parse_meter(meter) is None and meter.strip().lower() not in ("none", ""):
        problems.append(Problem("bad_header", f"the meter 'M:{meter[:20]}' cannot be read", 1, 0))
    unit = scan.fields.get("L")
    if unit is not None and parse_unit_length(unit) is None:
        problems.append(Problem("bad_header", f"the unit length 'L:{unit[:20]}' cannot be read", 1, 0))
    key = scan.fields.get("K")
    if key is not None and key.strip() and not _KEY.match(key):
        problems.append(Problem("bad_header", f"the key 'K:{key[:20]}' cannot be read", 1, 0))
    return problems


def validate_tune(text: str) -> ValidationReport:
    """Checks one tune; never raises. Problems come in text order within each group (headers, structure, bars)."""
    problems: list[Problem] = []
    if len(text) > MAX_TUNE_CHARS:
        problems.append(Problem("too_long", f"the tune has {len(text):,} characters; only the first "
                                f"{MAX_TUNE_CHARS:,} were checked", 1, 0))
        text = text[:MAX_TUNE_CHARS]
    scan = scan_tune(text)
    for name in _REQUIRED_HEADERS:
        if name not in scan.fields:
            problems.append(Problem("missing_header", f"the header has no {name}: field", 1, 0))
    problems.extend(_header_problems(scan))
    problems.extend(_structure_problems(scan.tokens))
    if not scan.bars:
        problems.append(Problem("no_notes", "the tune has no notes", 1, 0))
    bar_problems, checked = check_bars(scan.bars)
    problems.extend(bar_problems)
    return ValidationReport(problems, checked, len(bar_problems), scan)


def is_safe_for_verovio(text: str) -> bool:
    """True when verovio can load the text in-process: no stray or unclosed chord bracket, nothing unreadable."""
    if len(text) > MAX_TUNE_CHARS or "\x00" in text:
        return False
    scan = scan_tune(text)
    depth = 0
    for token in scan.tokens:
        if token.kind == "chord_start":
            if depth:
                return False
            depth = 1
        elif token.kind == "chord_end":
            if not depth:
                return False
            depth = 0
        elif token.kind in ("bar", "newline") and depth:
            return False
        elif token.kind == "unknown" and ("]" in token.text or "[" in token.text):
            return False
        elif token.kind in ("field", "comment", "annotation") and "]" in token.text and token.kind != "field":
            return False
    return depth == 0
