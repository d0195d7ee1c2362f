"""The lexical modes of a :class:`~studio.core.abc.rhythm.RhythmState` inside groups: a chord ``[CEG]`` and its
length suffix, a grace group ``{g}``, and what follows a ``[`` (a chord, an inline field, ``[|`` or an ending).
A mixin: the state's fields and its ``_deny``, ``_start_note``, ``_timed``, ``_close_bar`` and ``_mode_idle``
come from the class it is mixed into."""

from __future__ import annotations

from studio.core.abc.lexer import parse_length
from studio.core.abc.strict_abc import MAX_CHORD_NOTES, MAX_GRACE_NOTES, NOTE_LETTERS, SUFFIX_PREFIXES, SUFFIX_SET


class GroupModes:
    """Chords, grace groups and brackets, one character at a time (see the module docstring)."""

    def _in_chord(self, ch: str) -> None:
        if self.chord_notes >= MAX_CHORD_NOTES and (ch in NOTE_LETTERS or ch in "^_="):
            self._deny()  # abc2midi: "Too many notes in chord"
        if ch in NOTE_LETTERS:
            self._start_note("note", ch)
        elif ch in "^_=":
            self.mode, self.tok = "acc", ch
        elif ch == "]":
            self.context = "idle"
            if self.chord_first is None:
                self._deny()
            else:
                self.mode, self.tok = "chord_suffix", ""
        elif ch in "|:\n":
            self._deny()
            self.context, self.chord_first = "idle", None
            self._mode_idle(ch)
        else:
            self._deny()

    def _mode_chord_suffix(self, ch: str) -> None:
        if ch.isdigit() or ch == "/":
            if self.tok + ch not in SUFFIX_PREFIXES:
                self._deny()
            self.tok += ch
            return
        if self.tok not in SUFFIX_SET:
            self._deny()
        self._timed(self.chord_first * parse_length(self.tok)[0])
        self.chord_first = None
        self._redispatch(ch)

    def _in_grace(self, ch: str) -> None:
        if ch in NOTE_LETTERS:
            if self.grace_notes >= MAX_GRACE_NOTES:
                self._deny()
            self._start_note("note", ch)
        elif ch in "^_=":
            self.mode, self.tok = "acc", ch
        elif ch == "/" and self.grace_notes == 0 and not self.tok:
            self.tok = "/"
        elif ch == "}":
            self.context = "idle"
            self.graced = True
            if not self.grace_notes:
                self._deny()
            if self.grace_notes:
                self.bar_has_notes = True
        else:
            self._deny()
            if ch in "|\n":
                self.context = "idle"
                self._mode_idle(ch)

    def _mode_bracket(self, ch: str) -> None:
        if not self.tok and ch == "|":
            self._deny()
            self._close_bar()
            self.mode, self.tok = "bar", "[|"
        elif not self.tok and ch.isdigit():
            self._deny()  # '[1' endings are read, never written: strict sampling writes '|1'
            self.mode, self.tok = "ending", ch
        elif not self.tok and ch.isalpha() and ch not in NOTE_LETTERS:
            self._deny()
            self.mode, self.tok = "field", "[" + ch
        else:
            self.mode, self.context, self.chord_first, self.chord_notes = "idle", "chord", None, 0
            self._in_chord(ch)
