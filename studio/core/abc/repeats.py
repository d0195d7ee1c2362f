"""Writing out the repeats that folk ABC leaves implied (an ABC text rewrite, done for verovio's sake)."""

from __future__ import annotations

from studio.core.abc.text import first_tune_end
from studio.core.abc.tokenizer import tokenize


def open_implied_repeats(abc_text: str) -> str:
    """``abc_text`` with the start-repeat written out that an end-repeat implies, for verovio's sake.

    Folk ABC often writes two strains as ``...:| ...:|``: the second ``:|`` repeats from the first. verovio (5.x)
    crashes (SIGSEGV) whenever an end-repeat has no start-repeat since the previous end-repeat (``d2:||G:|``,
    ``:|d|g:|``, ``:|2d:|``); the model writes such tunes often and O'Neill's has some. So the missing ``|:`` is
    put where the new strain starts: the plain bar line right after the previous ``:|`` becomes ``|:``, or ``|:``
    is added after that ``:|``. When the previous ``:|`` leads into a variant ending (``:|2``) there is no safe
    place, and the later end-repeat is drawn as a plain bar line instead. Only what verovio reads changes, never
    the user's text. A ``::`` (end one strain, start the next: strict sampling's AABB writes it) or ``:|:`` (which
    crashes verovio 6) becomes ``:||:``, which verovio engraves and plays as two repeats. An empty bar right after a
    start-repeat (``:|\n|:| d2``, ``:|:|``: verovio 6 crashes at the start of a line) loses its second bar line."""
    end = first_tune_end(abc_text)  # verovio engraves the first tune only: the rest is passed on untouched
    tune, rest = abc_text[:end], abc_text[end:]
    if tune.count(":") < 2 or ":|" not in tune and "::" not in tune:
        return abc_text
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in tune
    tokens = [t for t in tokenize(tune) if t.kind not in ("space", "newline")]
    previous_end = None  # index in tokens of the last end-repeat with no start-repeat since
    for index, token in enumerate(tokens):
        if token.kind != "bar":
            continue
        after_start = index and tokens[index - 1].kind == "bar" and tokens[index - 1].text[-1] == ":"
        if token.text in ("|", "||") and after_start:
            edits.append((token.offset, token.offset + len(token.text), ""))  # the empty bar after a start-repeat
            continue
        ends, starts = token.text.startswith(":"), token.text.endswith(":")
        if token.text in ("::", ":|:") and previous_end is None:  # verovio reads '::' as no repeat, ':||:' right
            edits.append((token.offset, token.offset + len(token.text), ":||:"))
        elif ends and previous_end is not None:
            edits.append(_start_after(tokens, previous_end) or _plain_bar(token))
        if starts:
            previous_end = None
        elif ends:
            previous_end = index
    for start, stop, replacement in sorted(edits, reverse=True):
        tune = tune[:start] + replacement + tune[stop:]
    return tune + rest


def _start_after(tokens: list, index: int) -> tuple[int, int, str] | None:
    """The edit that starts a repeat just after the end-repeat ``tokens[index]``, or None (a variant ending)."""
    end_repeat = tokens[index]
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    if any(c.isdigit() for c in end_repeat.text) or following is not None and (  # ":|2", then "[2" or "|2"
            following.kind == "ending" or following.kind == "bar" and any(c.isdigit() for c in following.text)):
        return None
    if following is not None and following.kind == "bar" and following.text in ("|", "||"):
        return following.offset, following.offset + len(following.text), "|:"
    after = end_repeat.offset + len(end_repeat.text)
    return after, after, "|:"


def _plain_bar(end_repeat) -> tuple[int, int, str]:
    return end_repeat.offset, end_repeat.offset + len(end_repeat.text), end_repeat.text.lstrip(":") or "|"
