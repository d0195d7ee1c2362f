"""What comes before a note, written as the ABC standard writes it: decorations next to their note, and free text
in quotes marked as an annotation.

ABC 2.1 (section 4.20 and the note's grammar) writes what comes before a note in this order: a slur's or tuplet's
``(``, grace notes, chord symbols and annotations, then the decorations (``~``, ``.``, ``u``, ``v``, ``!roll!``...),
then the accidental and the note. Some collections put a decoration first (Ryan's Mammoth writes bowings as
``u(AG)``, and ``.(AB)``, ``~{g}A`` occur): music21 reads either order, but abc2midi refuses a decoration that is not
followed by its note ("Malformed note"), and a model trained on both orders writes both. The standard also says a
quoted string is a chord symbol unless it starts with a placement (``^ _ < > @``); collections write dynamics,
fingerings and directions bare (``"p"``, ``"4"``, ``"D.C."``, ``"fine"``), which abc2midi then refuses or plays as
chords. :func:`standard_prefixes` moves each such run of decorations past the slur, tuplet, grace group and
annotations that follow it, so that it stands right before the note or chord it decorates, and writes a quoted
string that is no chord symbol (:func:`studio.core.abc.chords.is_chord_symbol`) as an annotation above the staff
(``"^p"``). The notes, their lengths and bars are unchanged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from studio.core.abc.chords import is_chord_symbol
from studio.core.abc.tokenizer import Token

#: Prefixes a decoration moves past (a grace group moves whole, from its ``{`` to its ``}``; a space stays before;
#: decorations written after the slur stay first).
_MOVED_PAST = ("slur_start", "tuplet", "annotation", "space", "decoration")
#: What a decoration may stand right before.
_DECORATED = ("note", "rest", "multirest", "chord_start")
#: The placements that make a quoted string an annotation.
ANNOTATION_PLACEMENTS = "^_<>@"


def _prefixes_after(tokens: list[Token], start: int) -> int:
    """The index after the slurs, tuplets, annotations and grace groups from ``start`` (``start`` if none)."""
    index = start
    while index < len(tokens):
        kind = tokens[index].kind
        if kind in _MOVED_PAST:
            index += 1
        elif kind == "grace_start":
            end = next((i for i in range(index + 1, len(tokens)) if tokens[i].kind == "grace_end"), None)
            if end is None:
                return index
            index = end + 1
        else:
            return index
    return index


def _decorations_by_their_note(tokens: list[Token]) -> tuple[list[Token], int]:
    """``tokens`` with every run of decorations that stands before a slur, tuplet, grace group or annotation moved
    to just before the note (or chord, or rest) they lead to, and how many runs moved. A run followed by anything
    else (a bar line, a line break, the end) stays where it is."""
    result: list[Token] = []
    moved = 0
    index = 0
    while index < len(tokens):
        if tokens[index].kind != "decoration":
            result.append(tokens[index])
            index += 1
            continue
        run_end = index
        while run_end < len(tokens) and tokens[run_end].kind == "decoration":
            run_end += 1
        after = _prefixes_after(tokens, run_end)
        if run_end < after < len(tokens) and tokens[after].kind in _DECORATED:
            result.extend(tokens[run_end:after])
            moved += 1
        else:
            after = run_end
        result.extend(tokens[index:run_end])
        index = after
    return result, moved


def placed_annotation(quoted: str) -> str:
    """A quoted string as the standard writes it: a chord symbol or a placed annotation as it is, free text with
    ``^`` (above the staff) added: ``"p"`` -> ``"^p"``."""
    inner = quoted[1:-1] if len(quoted) >= 2 and quoted[0] == quoted[-1] == '"' else None
    if not inner or inner[0] in ANNOTATION_PLACEMENTS or is_chord_symbol(inner):
        return quoted
    return f'"^{inner}"'


def standard_prefixes(tokens: list[Token]) -> tuple[list[Token], Counter]:
    """``tokens`` with decorations moved next to their notes and free text in quotes placed above the staff, and
    what changed (kind -> count)."""
    changes: Counter = Counter()
    tokens, changes["decorations moved to their note"] = _decorations_by_their_note(tokens)
    placed = []
    for token in tokens:
        if token.kind == "annotation":
            text = placed_annotation(token.text)
            if text != token.text:
                changes["annotations placed"] += 1
                token = replace(token, text=text)
        placed.append(token)
    return placed, +changes
