"""The rhythm of an ABC tune followed one character at a time: what strict sampling asks before each character.

:class:`RhythmState` is fed the text of a tune (primer, then each sampled character) and tracks the header, the meter
and unit length (``M:``, ``L:``, inline ``[M:..]``/``[L:..]``), and the time used in the current bar, with the
durations :mod:`studio.core.abc.tokenizer` gives (its parsing helpers are reused: note lengths, broken rhythm,
tuplets, chords take their first note's length, grace notes, decorations and quotes take no time).

Two questions drive the sampler: after :meth:`RhythmState.feed`, ``forbidden`` says the character breaks the strict
subset of ABC that strict sampling writes (e.g. a bar line in a bar that does not add up, an unclosed chord at a bar
line, a header value that cannot be read), and :meth:`RhythmState.viable` (from
:class:`~studio.core.abc.strict_abc.BarCompletion`) says whether the current bar can still be completed to exactly
the meter. The primer is fed the same way (its ``forbidden`` flags are ignored: a primer may use
any ABC). The state is a flat record of immutable values, so :meth:`copy` is cheap and a copy kept at a bar line lets
the sampler back off to it."""

from __future__ import annotations

from fractions import Fraction

from studio.core.abc.fields import default_unit_length, meter_parts, parse_meter, parse_unit_length
from studio.core.abc.lexer import parse_length
from studio.core.abc.rhythm_groups import GroupModes
from studio.core.abc.strict_abc import (
    ALL_DECORATIONS, GENERATED_DECORATIONS, MAX_OCTAVE_MARKS, NOTE_LETTERS, ONE,
    SUFFIX_PREFIXES, SUFFIX_SET, BarCompletion, TextModes, feed_header,
)
from studio.core.abc.tokenizer import BROKEN_FACTORS, LONGEST_DURATION, SHORTEST_DURATION, parse_tuplet

#: The state of an empty text. Lexical ``mode``: idle, note, rest, acc, chord_suffix, bracket, ending, field,
#: comment, paren, tuplet, broken, quote, deco, bar; ``context``: idle, chord or grace. ``music_bars`` counts the
#: closed bars with notes (the first is the pickup), ``full_bars`` those lasting the meter, ``closed_duration`` the
#: last closed bar's time, ``after_bar`` means only spaces and line breaks followed the last bar line, ``snapshot``
#: the state before a letter that a ':' may turn into a field (``K:`` at a line start, ``[M:``), ``final`` follows a
#: '|]' (only the tune's end may follow), ``ended`` a blank line, ``decorated`` a decoration (a note must follow:
#: abc2midi), ``repeat_open`` an unclosed '|:', ``had_pickup`` a short first bar (a ':|' may then only close a '|:'),
#: ``staccato`` a '.' waiting for its note and ``last_staccato`` the last note had one (abc2midi cannot apply a
#: broken rhythm to a staccato note: "Notes not equal durations"), ``graced`` a grace group waiting for its note
#: (abc2midi's roll '~' adds grace notes of its own: "Intervening note needed between grace notes"); ``hornpipe``
#: an ``R:hornpipe`` header, which abc2midi plays with its own broken rhythm on eighth pairs: only in 2/4, 4/4 or C,
#: and no staccato dots ("Cannot apply broken rhythm"); ``meter_text`` the ``M:`` value as written; ``strain_bars``
#: the bars with notes closed since the strain began (the body's start or a bar line other than '|') and
#: ``strain_first`` the time of the strain's first such bar (None before it closes), which the strain clock reads.
_INITIAL = dict(
    phase="header", line="", fields=(), header_lines=0, meter=None, meter_numerator=4, unit=None, mode="idle",
    context="idle", tok="", used=Fraction(0), pending_base=Fraction(0), octaves=0, chord_first=None, chord_notes=0,
    grace_notes=0, last=None, last_written=None, broken_next=ONE, broken_need=None, tuplet_left=0, tuplet_factor=ONE,
    slurs=0, bar_has_notes=False, music_bars=0, full_bars=0, bar_lines=0, last_bar="", closed_duration=Fraction(0),
    after_bar=False,
    line_start=False, snapshot=None, final=False, ended=False, forbidden=False, decorated=False,
    repeat_open=False, had_pickup=False, upper=False, staccato=False, last_staccato=False, graced=False,
    hornpipe=False, meter_text=None, strain_bars=0, strain_first=None,
)


class RhythmState(TextModes, GroupModes, BarCompletion):
    """Where a tune stands after the characters fed so far (see the module docstring and ``_INITIAL``)."""

    def __init__(self) -> None:
        self.__dict__.update(_INITIAL)

    def copy(self) -> "RhythmState":
        clone = object.__new__(type(self))
        clone.__dict__ = self.__dict__.copy()
        return clone

    def key(self) -> tuple:
        """Everything the allowed next characters depend on (bar counts and positions left out)."""
        if self.phase == "header":
            return ("header", self.line, self.fields, self.header_lines, self.hornpipe, self.meter_text)
        return (self.mode, self.context, self.tok, self.meter, self.used, self.unit, self.meter_numerator,
                self.pending_base, self.octaves, self.chord_first, self.chord_notes, self.grace_notes, self.last,
                self.last_written, self.broken_next, self.broken_need, self.tuplet_left, self.tuplet_factor,
                self.slurs > 0, self.bar_has_notes, self.music_bars > 0, self.bar_lines > 0, self.after_bar,
                self.line_start, self.snapshot is None, self.final, self.ended, self.decorated,
                self.repeat_open, self.had_pickup, self.upper, self.staccato, self.last_staccato, self.graced,
                self.hornpipe)

    @property
    def in_body(self) -> bool:
        return self.phase == "body"

    def bar_full(self) -> bool:
        """True when the current bar lasts exactly the meter and nothing is pending: a bar line must follow."""
        return (self.phase == "body" and self.meter is not None and self.used == self.meter and self.mode == "idle"
                and self.context == "idle" and not self.tuplet_left and self.broken_next == 1)

    def can_end(self) -> bool:
        """True when the tune may end here (a blank line): right after a bar line, with something in it."""
        return (self.phase == "body" and self.after_bar and self.mode == "idle" and self.context == "idle"
                and self.last_bar in ("|", "||", "|]", ":|") and not self.repeat_open
                and self.music_bars > 0 and not self.slurs and not self.tuplet_left and self.broken_next == 1)

    # ---- feeding ------------------------------------------------------------------------------------------
    def feed(self, ch: str) -> "RhythmState":
        """Moves past one character; sets ``forbidden`` when strict sampling must not write it here."""
        self.forbidden = False
        if self.phase == "header":
            self._header(ch)
        else:
            self._body(ch)
        return self

    def feed_text(self, text: str) -> "RhythmState":
        for ch in text:
            self.feed(ch)
        self.forbidden = False
        return self

    def _deny(self) -> None:
        self.forbidden = True
    def _header(self, ch: str) -> None:
        feed_header(self, ch)

    def apply_field(self, letter: str, value: str) -> None:
        if letter == "R":
            self.hornpipe = value.strip().lower().startswith("hornpipe")
        if letter == "M":
            self.meter_text = value.strip()
            self.meter = parse_meter(value)
            parts = meter_parts(value)
            self.meter_numerator = parts[0] if parts else 4
        elif letter == "L":
            self.unit = parse_unit_length(value) or self.unit
        elif letter == "K" and self.unit is None:
            self.unit = default_unit_length(self.meter)

    def _body(self, ch: str) -> None:
        snapshot, self.snapshot = self.snapshot, None
        if snapshot is not None and ch == ":" and self.tok == "" and self.mode in ("idle", "note"):
            # 'K:' at a line start or '[M:' is a field, not the note, decoration or chord begun
            self.__dict__ = snapshot.__dict__.copy()
            self.mode, self.tok, self.line_start, self.snapshot = "field", snapshot.tok + ":", False, None
            self._deny()
            return
        bracket = self.mode == "bracket"
        if self.mode == "idle" and self.context != "idle":
            (self._in_chord if self.context == "chord" else self._in_grace)(ch)
        else:
            getattr(self, "_mode_" + self.mode)(ch)
        if bracket and snapshot is not None and ch in NOTE_LETTERS:
            self.snapshot = snapshot.copy()
            self.snapshot.tok = "[" + ch

    def _redispatch(self, ch: str) -> None:
        self.mode = "idle"
        self.tok = ""
        {"idle": self._mode_idle, "chord": self._in_chord, "grace": self._in_grace}[self.context](ch)

    def _mode_idle(self, ch: str) -> None:
        line_start, self.line_start = self.line_start, False
        decorated, self.decorated = self.decorated, False
        if decorated and ch not in NOTE_LETTERS and ch not in "^_=[!" and ch not in GENERATED_DECORATIONS:
            self._deny()
        if self.bar_full() and ch not in "|:" and not (ch == ")" and self.slurs):
            self._deny()
        if self.final and ch != "\n":
            self._deny()
        if ch not in " \n":
            self.after_bar = self.after_bar and ch in "|:"
        if line_start and (ch.isalpha() or ch == "+"):
            self.snapshot = self.copy()
            self.snapshot.mode, self.snapshot.tok = "idle", ch
        if ch in NOTE_LETTERS:
            self._start_note("note", ch)
        elif ch in "^_=":
            self.mode, self.tok = "acc", ch
        elif ch in "zx":
            self._start_note("rest", ch)
        elif ch == "|" or ch == ":":
            if ch == ":" and self.had_pickup and not self.repeat_open:
                self._deny()
            self._close_bar()
            self.mode, self.tok = "bar", ch
        elif ch == "\n":
            if not self.after_bar:
                self._deny()
            if line_start:
                self.ended = True
                if not self.can_end():
                    self._deny()
            self.line_start = True
        elif ch == " ":
            pass
        elif ch == "[":
            self.snapshot = self.copy()
            self.mode, self.tok = "bracket", ""
        elif ch == "{":
            self.context, self.grace_notes, self.tok = "grace", 0, ""
            if self.graced:  # two grace groups on one note: abc2midi wants a note between
                self._deny()
        elif ch == "(":
            self.mode = "paren"
        elif ch == ")":
            if self.slurs:
                self.slurs -= 1
            else:
                self._deny()
        elif ch in "<>":
            if self.last is None or self.tuplet_left or self.last != self.last_written or self.last_staccato:
                self._deny()
            self.mode, self.tok = "broken", ch
        elif ch == '"':
            self.mode, self.tok = "quote", ""
        elif ch == "!" or ch == "+":
            self.mode, self.tok = "deco", ch
            if ch == "+":
                self._deny()
        elif ch in ALL_DECORATIONS:
            self.decorated = True
            if ch not in GENERATED_DECORATIONS or (ch in "~." and self.graced):
                self._deny()
            if ch == ".":
                self.staccato = True
                if self.broken_need is not None or self.hornpipe:
                    self._deny()
        elif ch == "%":
            self.mode = "comment"
            self._deny()
        else:  # ties, continuations, stray brackets, digits, letters that are no ABC: no time, never generated
            self._deny()

    def _start_note(self, mode: str, ch: str) -> None:
        self.mode, self.tok, self.octaves, self.upper = mode, "", 0, ch.isupper()
        self.pending_base = self.unit
        self.bar_has_notes = True
        if self.context == "idle":
            self.graced = False
        if mode == "rest" and self.context != "idle":
            self._deny()

    def _mode_acc(self, ch: str) -> None:
        if ch in NOTE_LETTERS:
            self._start_note("note", ch)
        elif ch == self.tok and ch in "^_":
            self.tok += ch
        else:
            self._deny()
            self._redispatch(ch)

    def _mode_note(self, ch: str) -> None:
        if ch in "',":
            if (self.tok or self.octaves >= MAX_OCTAVE_MARKS or self.mode == "rest"
                    or (ch == "'") == self.upper):  # abc2midi: c' and C, only
                self._deny()
            self.octaves += 1
            return
        if ch.isdigit() or ch == "/":
            if self.tok + ch not in SUFFIX_PREFIXES or self.context == "chord":
                self._deny()
            self.tok += ch
            return
        if self.tok not in SUFFIX_SET:
            self._deny()
        written = self.pending_base * parse_length(self.tok)[0]
        if self.context == "grace":
            self.grace_notes += 1
        elif self.context == "chord":
            self.chord_notes += 1
            if self.chord_first is None:
                self.chord_first = written
        else:
            self._timed(written)
        self._redispatch(ch)

    _mode_rest = _mode_note

    def _timed(self, written: Fraction) -> None:
        """A note, rest or chord of the written length has ended: broken rhythm and tuplet applied (tokenizer's)."""
        if self.broken_need is not None and written != self.broken_need:
            self._deny()
        duration = written * self.broken_next
        self.broken_next, self.broken_need = ONE, None
        if self.tuplet_left > 0:
            duration *= self.tuplet_factor
            self.tuplet_left -= 1
        if not SHORTEST_DURATION <= duration <= LONGEST_DURATION:
            self._deny()
        self.used += duration
        self.last, self.last_written = duration, written
        self.last_staccato, self.staccato = self.staccato, False

    def _mode_paren(self, ch: str) -> None:
        if ch.isdigit():
            self.mode, self.tok = "tuplet", "(" + ch
            if ch in "01" or self.tuplet_left or self.broken_need is not None:  # abc2midi: no tuplet after '>'
                self._deny()
        else:
            self.slurs += 1
            self._redispatch(ch)

    def _mode_tuplet(self, ch: str) -> None:
        if ch.isdigit() or (ch == ":" and self.tok.count(":") < 2):
            self._deny()  # strict sampling writes '(3', reads '(3:2:3' and '(10'
            self.tok += ch
            return
        parsed = parse_tuplet(self.tok, self.meter_numerator)
        if parsed is None:
            self._deny()
        else:
            self.tuplet_factor, self.tuplet_left = parsed
        self._redispatch(ch)

    def _mode_broken(self, ch: str) -> None:
        if ch == self.tok[0] and len(self.tok) < 3:
            self.tok += ch
            return
        self._apply_broken()
        self._redispatch(ch)

    def _apply_broken(self) -> None:
        before, after = BROKEN_FACTORS[self.tok]
        if self.last is not None:
            self.used += self.last * (before - 1)
            self.last = self.last * before
            self.broken_next, self.broken_need = after, self.last_written

    def _close_bar(self) -> None:
        """A bar line begins: checks the bar (pickup and full bars, nothing left open) and starts the next one."""
        if self.slurs or self.tuplet_left or self.broken_next != 1 or self.context != "idle":
            self._deny()
        if self.after_bar and self.bar_lines and not self.bar_has_notes:
            self._deny()  # two bar lines in a row: an empty bar
        if self.bar_has_notes:
            if self.meter is not None and not (self.used == self.meter or (
                    self.music_bars == 0 and 0 < self.used < self.meter)):
                self._deny()
            self.music_bars += 1
            self.strain_bars += 1
            if self.strain_first is None:
                self.strain_first = self.used
            self.had_pickup = self.had_pickup or (self.music_bars == 1 and self.used != self.meter)
            if self.meter is not None and self.used == self.meter:
                self.full_bars += 1
        elif self.used:
            self._deny()
        self.bar_lines += 1
        self.closed_duration, self.used = self.used, Fraction(0)
        self.last = self.last_written = None
        self.bar_has_notes = False
        self.after_bar = True

    def _mode_bar(self, ch: str) -> None:
        tok = self.tok
        grows = ((tok == "|" and ch in "|]:12") or (tok == ":" and ch in ":|") or (tok == ":|" and ch in ":2")
                 or (tok == "||" and ch == ":") or (tok == "|:" and ch == ":") or (tok == "::" and ch == ":"))
        if grows:
            if ch.isdigit():
                self._deny()  # endings are read, never written: abc2midi wants them in a strict order
            self.tok += ch
            if self.tok in ("||:", "|::", ":::"):
                self._deny()
            return
        if tok == ":":
            self._deny()  # a lone ':' is no bar line
        self.last_bar, self.final = tok, tok == "|]"
        if tok != "|" and not tok[-1].isdigit():  # a double bar or a repeat sign (not an ending): a strain begins
            self.strain_bars, self.strain_first = 0, None
        if tok.startswith(":"):
            self.repeat_open = tok.endswith(":") and len(tok) > 1
        elif tok.endswith(":"):
            self.repeat_open = True
        self._redispatch(ch)
