"""ABC text cut into the tokens a token model reads (folk-rnn's unit), joined back to the very same text.

:func:`abc_tokens` reads a tune with the studio's one reader (:func:`studio.core.abc.lexer.lex`) and keeps its pieces
as units, so a note with its accidental, octave marks and length (``^c'3/2``, ``z2``) is one token, and so is a bar
line or repeat (``|``, ``:|``, ``|:``, ``||``, ``|]``, ``::``), an ending (``[1``), a broken rhythm (``>``), a tuplet
mark (``(3``), a chord symbol in quotes (``"Am"``), a decoration (``~``, ``!trill!``), a space, a new line, a slur or
chord bracket, a grace brace, a tie, an inline field (``[K:G]``).

Header fields: a field whose values come from a small set (``M:6/8``, ``L:1/8``, ``K:Gmaj``, ``R:reel``) is one token
(its new line is the next token, as in the body). The free-text fields :data:`SPELLED_FIELDS` are spelled: their
``X:`` or ``T:`` is one token and their value follows character by character, since a title or a tune number as one
token would be a word seen once (every held-out title would be unknown, and the ``X:`` numbers would fill the
vocabulary with thousands of units that say nothing about the music).

``"".join(abc_tokens(text)) == text`` for every text: the lexer gives every character to exactly one piece.
"""

from __future__ import annotations

from studio.core.abc.lexer import lex

#: Fields written character by character after their one-token ``X:`` / ``T:`` (titles, tune numbers).
SPELLED_FIELDS = ("X", "T")


def abc_tokens(text: str) -> list[str]:
    """The tokens of ``text`` in order; joined, they give ``text`` back."""
    out: list[str] = []
    for kind, piece, _ in lex(text):
        if kind == "field":
            colon = piece.index(":") + 1
            if piece[:colon].strip()[:1] in SPELLED_FIELDS:
                out.append(piece[:colon])
                out.extend(piece[colon:])
                continue
        out.append(piece)
    return out
