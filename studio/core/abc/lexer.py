"""The spellings of ABC 2.1 as real collections write them: one regular expression that cuts a tune into tokens.

:func:`lex` yields ``(kind, text, offset)`` for every piece of a tune in one left-to-right pass (linear time, no
backtracking blow-ups); :mod:`studio.core.abc.tokenizer` gives the pieces their musical meaning. What it reads,
beyond notes, rests, chords, grace notes, tuplets, slurs, ties and broken rhythm:

- fields on their own line (``K:D Major``, ``N::2nd setting``: a letter that is no note or rest may be followed by
  ``:`` or ``|`` in its value) and inline (``[K:..]``, ``[M:..]``, ``[L:..]``, ``[P:..]``); ``%`` comments and
  ``%%`` directives anywhere; a ``\\`` line continuation;
- bar lines, repeats and endings as abc2midi accepts them: ``|``, ``||``, ``[|``, ``|]``, ``:|]``, ``|:``, ``:|``,
  ``::``, ``:|:``, ``[|]`` (invisible), ``[:`` and ``:]`` (abc2midi reads them; abcm2ps
  refuses ``[:``), ``|1``, ``:|2``, ``[1``, ``[2``, ``[1,3``;
- decorations ``!trill!``, ``+trill+`` (ABC 2.0) and the one-letter ones (``~.HLMOPSTuvJRk``), chord symbols and
  annotations with free text (``"Am7"``, ``"^text"``);
- ``spacer``: back quotes between beamed notes (ABC 2.1 section 4.7: programs ignore them) and ``y`` spacers;
- ``line_break``: the ``!`` of older files (abc2win, thesession.org's exports). The standard leaves the choice to
  programs (section 12); this follows abcm2ps (``check_nl`` in its ``abcparse.c``): a ``!`` opens a decoration
  when another ``!`` closes it on the same line before any space, tab, ``|``, ``[``, ``]`` or ``:``; any other ``!``
  (at the end of a music line, or not closed so) is a line break. ``I:linebreak`` (or ``%%linebreak``) with ``!``
  makes every ``!`` a line break (decorations are then written ``+..+``); one without ``!`` and without ``<EOL>``
  makes every ``!`` a decoration, so an unclosed one is a mistake (``unknown``).

Characters that are no ABC become ``unknown`` tokens; nothing here raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction
from functools import lru_cache

#: Token kinds produced by :func:`lex` (``grace_note`` is a ``note`` inside braces, named by the tokenizer).
TOKEN_KINDS = (
    "field", "inline_field", "comment", "newline", "space", "continuation", "annotation", "decoration",
    "line_break", "spacer", "bar", "ending", "chord_start", "chord_end", "grace_start", "grace_end", "tuplet",
    "slur_start", "slur_end", "tie", "broken", "note", "grace_note", "rest", "multirest", "unknown",
)
#: How a ``!`` is read: ``abc2win`` (the default, abcm2ps's rule), ``break`` (``I:linebreak !``), ``decoration``.
BANG_MODES = ("abc2win", "break", "decoration")

#: The multiplier of a plain length: compared by identity by the tokenizer, so plain notes skip Fraction arithmetic.
UNIT_FACTOR = Fraction(1)
_MAX_LENGTH_DIGITS = 5
_LEN = r"\d*(?:/\d*)*"
_BANG = {
    "abc2win": r"|(?P<decoration>![^!\n \t|\[\]:]{1,40}!|\+[^+\n \t|]{1,40}\+|[~.HLMOPSTuvJRk])|(?P<line_break>!)",
    "break": r"|(?P<decoration>\+[^+\n \t|]{1,40}\+|[~.HLMOPSTuvJRk])|(?P<line_break>!)",
    "decoration": r"|(?P<decoration>![^!\n]{1,40}!|\+[^+\n \t|]{1,40}\+|[~.HLMOPSTuvJRk])",
}


def _master(bang: str) -> re.Pattern:
    return re.compile(
        r"(?P<newline>\n)"
        r"|(?P<field>(?m:^)[ \t]*(?:[H-Wh-w]:|[A-Za-z+]:(?![|:]))[^\n]*)"
        r"|(?P<comment>%[^\n]*)"
        r"|(?P<continuation>\\[ \t]*(?=\n|\Z))"
        r"|(?P<space>[ \t]+)"
        r"|(?P<inline_field>\[[A-Za-z]:[^\]\n]*\])"
        r"|(?P<annotation>\"[^\"\n]*\"?)"
        + _BANG[bang] +
        r"|(?P<spacer>`+|y\d*)"
        r"|(?P<bar>(?:\[\|\]|\[\|:*|\[:+|:+\|\]?:*|:+\]|\|\|:*|\|\]|\|:*|::+)(?:\d+(?:[,-]\d+)*)?)"
        r"|(?P<ending>\[\d+(?:[,-]\d+)*)"
        r"|(?P<chord_start>\[)"
        r"|(?P<chord_end>\]" + _LEN + r")"
        r"|(?P<grace_start>\{/?)"
        r"|(?P<grace_end>\})"
        r"|(?P<tuplet>\(\d+(?::\d*){0,2})"
        r"|(?P<slur_start>\()"
        r"|(?P<slur_end>\))"
        r"|(?P<tie>-)"
        r"|(?P<broken>>{1,3}|<{1,3})"
        r"|(?P<note>(?:\^\^|\^|__|_|=)?[A-Ga-g][',]*" + _LEN + r")"
        r"|(?P<rest>[zx]" + _LEN + r")"
        r"|(?P<multirest>Z\d*)"
        r"|(?P<unknown>[^\n \t\[\]{}()\-<>\"!+|:A-Ga-gzxyZ^_=~.HLMOPSTuvJRk\\%`]+|.)",
        re.DOTALL,
    )


_MASTERS = {bang: _master(bang) for bang in BANG_MODES}
_LINEBREAK_DIRECTIVE = re.compile(r"^[ \t]*(?:I:|%%)[ \t]*linebreak\b([^\n%]*)", re.MULTILINE)

#: A note token's parts: accidental, letter, octave marks, length (the transposer rewrites notes with it too).
NOTE_PARTS = re.compile(r"(\^\^|\^|__|_|=)?([A-Ga-g])([',]*)(.*)", re.DOTALL)
_LENGTH_PARTS = re.compile(r"(\d*)((?:/\d*)*)")
#: A field token's letter and value (``K:G``, inline ``[K:G]``).
FIELD_PARTS = re.compile(r"[ \t]*\[?([A-Za-z+]):([^\]]*)")


def bang_mode(text: str) -> str:
    """How the tune's ``!`` are read (:data:`BANG_MODES`), from its last ``I:linebreak`` or ``%%linebreak``."""
    if "linebreak" not in text:
        return "abc2win"
    values = _LINEBREAK_DIRECTIVE.findall(text)
    if not values:
        return "abc2win"
    value = values[-1]
    if "!" in value:
        return "break"
    return "abc2win" if "<EOL>" in value or not value.strip() else "decoration"


#: Repeat signs in their plain spelling: ``[:`` and ``:]`` (abc2midi's) as ``|:`` and ``:|``.
REPEAT_SPELLINGS = {"[:": "|:", ":]": ":|", "[::": "|:", "::]": ":|"}


def plain_spellings(text: str) -> str:
    """``text`` with the spellings only some programs know written plainly, the notes untouched: a ``!`` line break
    as a new line (dropped at the end of a line, where a new line follows anyway: two would end the tune), back
    quotes and ``y`` spacers dropped, ``[:`` and ``:]`` as ``|:`` and ``:|``. For verovio, which loses the notes after
    a ``!`` line break and crashes on ``|]!``."""
    pieces = list(lex(text))
    out = []
    for index, (kind, piece, _) in enumerate(pieces):
        if kind == "line_break":
            following = next((k for k, _, _ in pieces[index + 1:] if k not in ("space", "line_break")), "newline")
            out.append("" if following in ("newline", "comment") else "\n")
        elif kind != "spacer":
            out.append(REPEAT_SPELLINGS.get(piece, piece) if kind == "bar" else piece)
    return "".join(out)


def lex(text: str) -> Iterator[tuple[str, str, int]]:
    """``(kind, text, offset)`` of every token of ``text``, in order (kinds in :data:`TOKEN_KINDS`)."""
    for match in _MASTERS[bang_mode(text)].finditer(text):
        yield match.lastgroup, match.group(), match.start()


@lru_cache(maxsize=4096)
def parse_length(text: str) -> tuple[Fraction, bool]:
    """Multiplier of a note length suffix (``2``, ``/2``, ``/``, ``3/2``, ``//``) and whether it is absurd.

    Absurd suffixes (a zero, or more digits than any real length has) give the multiplier 1. Cached: a tune
    writes a handful of different suffixes thousands of times.
    """
    if not text:
        return UNIT_FACTOR, False
    match = _LENGTH_PARTS.match(text)
    digits, slashes = match.group(1), match.group(2)
    if len(digits) > _MAX_LENGTH_DIGITS:
        return UNIT_FACTOR, True
    numerator = int(digits) if digits else 1
    denominator = 1
    if slashes:
        for part in slashes.split("/")[1:]:
            if len(part) > _MAX_LENGTH_DIGITS:
                return UNIT_FACTOR, True
            denominator *= int(part) if part else 2
            if denominator > 10 ** 6:
                return UNIT_FACTOR, True
    if numerator == 0 or denominator == 0:
        return UNIT_FACTOR, True
    if numerator == denominator:
        return UNIT_FACTOR, False
    return Fraction(numerator, denominator), False
