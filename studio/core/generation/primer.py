"""The primer: the start of a tune that the model continues. Built from the window's meter, key and free ABC, or
read from the command line's ``--primer``; both write line breaks as ``\\n``."""

from __future__ import annotations

import re

from studio.core.configs import DEFAULT_PRIMER

#: Escapes understood in typed primers (a single line in the window and in a shell).
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\"}
_ESCAPE = re.compile(r"\\([nt\\])")


def decode_escapes(text: str) -> str:
    """``\\n`` -> a line break, ``\\t`` -> a tab, ``\\\\`` -> a backslash; everything else (accents too) unchanged."""
    return _ESCAPE.sub(lambda match: _ESCAPES[match.group(1)], text)


def build_primer(meter: str, key: str, free_abc: str) -> str:
    """The text the model continues: ``X:1``, the chosen meter (with ``L:1/8``) and key lines ("any" or empty
    leaves them out), then the free ABC."""
    primer = "X:1\n"
    if meter and meter != "any":
        primer += f"M:{meter}\nL:1/8\n"
    if key and key != "any":
        primer += f"K:{key}\n"
    return primer + decode_escapes(free_abc)


def primer_from_argument(text: str | None) -> str:
    """The primer given on the command line (``'X:1\\nM:6/8\\nK:D\\n'``), or the default ``X:1`` line."""
    return decode_escapes(text) if text else DEFAULT_PRIMER
