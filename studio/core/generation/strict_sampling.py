"""Strict sampling: every bar adds up to the meter, every tune is valid ABC, strains repeat as the form asks.

Before each character, each tune's :class:`~studio.core.abc.rhythm.RhythmState` says which characters keep its bar
completable to exactly the meter (and its ABC valid); the others are masked out of the model's distribution. The
allowed set depends only on the rhythm state's :meth:`~studio.core.abc.rhythm.RhythmState.key`, so it is computed
once per distinct state and cached (:class:`AllowedCharacters`). When a bar is full, the bar line is the only
choice; with a ``form`` the sampler writes the bar lines itself (``|:``, ``|``, ``:|:``, ``:|``, ``||``, ``|]``) at
the strain lengths and ends the tune after the last strain, as its plan says (:mod:`studio.core.generation.sampling_plans`; a
plan for a region of a tune may also give a bar a shorter length of its own). With a form and ``phrase_repeats``,
some bars copy an earlier bar as folk tunes do (bar 5 as bar 1, ...: :mod:`studio.core.generation.phrase_repeats`): the copy is
written through the model like forced bar lines, and only where it still adds up to the meter at its new place. With
a form and ``cadence`` ``home``, each strain's last bar must end on a target note (the tonic for the tune's last
strain, a tonic-triad note for the others: :mod:`studio.core.generation.cadence`), masked the same way.

Where masking paints itself into a corner (nothing allowed, or a bar that runs on too long without filling), the
tune backs off to its last bar line: the LSTM state, the logits and the rhythm state kept there are restored and
the bar is sampled again (each tune's random generator keeps advancing, so a seed still gives one result). After
:data:`MAX_TRIES` failed tries the bar is completed greedily (most likely allowed character, preferring notes).
"""

from __future__ import annotations

import re
from typing import Callable

import torch

from studio.core.abc.bar_clock import clock_code
from studio.core.abc.fields import default_unit_length, parse_meter
from studio.core.abc.rhythm import RhythmState
from studio.core.abc.strict_abc import GENERATED_DECORATIONS, NOTE_LETTERS
from studio.core.abc.text import read_headers
from studio.core.configs import SamplingConfig
from studio.core.generation.cadence import CadencePlan, CadenceState
from studio.core.generation.draw import draw, uniform
from studio.core.generation.sampling_plans import FormPlan
from studio.core.network.network_inputs import clocked, text_inputs
from studio.core.network.vocabulary import Vocabulary

#: Tries at sampling one bar before it is completed greedily.
MAX_TRIES = 3
#: Characters one bar may take before the sampler backs off (real bars take 8 to 40).
MAX_BAR_CHARACTERS = 100
#: Characters kept for closing a tune at the length limit.
CLOSING_MARGIN = 60
#: Characters a greedy completion prefers: they fill time or close what is open.
_COMPLETING = frozenset(NOTE_LETTERS) | frozenset("0123456789/}])|:")
#: What closes a quote or a decoration, which a greedy completion writes as soon as it may.
_CLOSERS = {"quote": '"', "deco": "!"}
MAX_CACHED_STATES = 200_000
_SHARED: dict[str, "AllowedCharacters"] = {}
_DEFAULT_METER = "4/4"


class StrictSamplingError(ValueError):
    """A primer that strict sampling cannot continue (e.g. no countable meter); the message says why."""


class AllowedCharacters:
    """The characters allowed after each rhythm state, as boolean rows over the vocabulary, cached by state key.

    The cache lives as long as the object; :func:`allowed_characters` keeps one per vocabulary for the process
    (states recur from call to call), emptied when it holds :data:`MAX_CACHED_STATES`.
    """

    def __init__(self, vocabulary: Vocabulary):
        self.chars = vocabulary.chars
        self.cache: dict[tuple, torch.Tensor] = {}
        self.anything = torch.ones(len(self.chars), dtype=torch.bool)
        # outside quotes, decorations and the header, letters of one class behave alike: try one of each
        classes: dict[str, list[int]] = {}
        for index, ch in enumerate(self.chars):
            kind = ("note" if ch in NOTE_LETTERS else "decoration" if ch in GENERATED_DECORATIONS
                    else "rest" if ch in "zx" else "letter" if ch.isalpha() else ch)
            classes.setdefault(kind, []).append(index)
        self.classes = [(self.chars[members[0]], torch.tensor(members)) for members in classes.values()]
        # a strain's last bar (a cadence target): each note letter has its own pitch
        self.pitch_classes = [(ch, members) for ch, members in self.classes if ch not in NOTE_LETTERS] + [
            (ch, torch.tensor([index])) for index, ch in enumerate(self.chars) if ch in NOTE_LETTERS]

    @staticmethod
    def _allows(state: RhythmState, ch: str) -> bool:
        after = state.copy().feed(ch)
        return not after.forbidden and after.viable()

    def only(self, forced: str) -> torch.Tensor:
        key = ("only", forced)
        if key not in self.cache:
            self.cache[key] = torch.tensor([ch == forced for ch in self.chars], dtype=torch.bool)
        return self.cache[key]

    def bar_line_fills(self, state: RhythmState) -> bool:
        """True when a bar line written now would close a bar lasting exactly the meter."""
        key = ("fills", state.key())
        fills = self.cache.get(key)
        if fills is None:
            probe = state.copy().feed("|")
            fills = self.cache[key] = not probe.forbidden and probe.full_bars > state.full_bars
        return fills

    def row(self, state: RhythmState) -> torch.Tensor:
        key = state.key()
        row = self.cache.get(key)
        if row is None:
            if state.in_body and state.mode not in ("quote", "deco", "field"):
                row = torch.zeros(len(self.chars), dtype=torch.bool)
                for ch, members in (self.classes if state.target is None else self.pitch_classes):
                    if self._allows(state, ch):
                        row[members] = True
            else:
                row = torch.tensor([self._allows(state, ch) for ch in self.chars], dtype=torch.bool)
            self.cache[key] = row
        return row


def allowed_characters(vocabulary: Vocabulary) -> AllowedCharacters:
    """The process's :class:`AllowedCharacters` for a vocabulary."""
    masks = _SHARED.get(vocabulary.chars)
    if masks is None or len(masks.cache) > MAX_CACHED_STATES:
        masks = _SHARED[vocabulary.chars] = AllowedCharacters(vocabulary)
    return masks


def complete_primer_header(primer: str) -> str:
    """The primer with M: and L: lines added before its K: line when it has a K: line without them."""
    fields = read_headers(primer)
    if "K" not in fields or ("M" in fields and "L" in fields):
        return primer
    meter = fields.get("M", _DEFAULT_METER)
    unit = default_unit_length(parse_meter(meter))
    added = ("" if "M" in fields else f"M:{meter}\n") + ("" if "L" in fields else f"L:{unit.numerator}/{unit.denominator}\n")
    match = re.search(r"^K:", primer, re.MULTILINE)
    return primer[:match.start()] + added + primer[match.start():]


class StrictTune:
    """One tune being sampled strictly: its text, rhythm state, forced characters and last bar-line snapshot.

    ``draw`` (a uniform number in [0, 1) from the tune's generator) decides phrase repeats; None writes none.
    ``cadence`` sets the target note of each strain's last bar (None: no cadence).
    """

    def __init__(self, state: RhythmState, text: str, plan: FormPlan | None, draw: Callable[[], float] | None = None,
                 cadence: CadencePlan | None = None):
        self.state = state
        self.text = text
        self.plan = plan
        self.draw = draw if plan is not None else None
        self.cadence = cadence if plan is not None else None
        self.full_bar_texts: list[str] = []  # the text of each full bar written after the primer
        self.primer_full_bars = state.full_bars
        self.copies: dict[int, int] = {}  # bar number -> the earlier bar it copies
        self.decided_bar = 0  # the last bar whose phrase repeat was decided
        self.bar_start = len(text)
        self.forced = ""
        self.done = False
        self.closing = False
        self.log_likelihood = 0.0
        self.written = 0
        self.tries = 0
        self.streamed = len(text)
        self.saved: tuple | None = None
        self.snapshot_due = True
        self.body_start: int | None = None
        if state.in_body and state.after_bar:  # a primer ending at a bar line
            self._bar_begins()

    # -- what may come next ------------------------------------------------------------------------------------
    def plan_forced(self, masks: AllowedCharacters) -> None:
        state = self.state
        if self.forced or not state.in_body:
            return
        if self.body_start is None:
            self.body_start = len(self.text)
        if self.plan is not None and state.mode == "bar" and state.bar_lines == 1 and state.music_bars == 1 \
                and not state.full_bars and state.tok == "|":
            self.forced = self.plan.pickup_bar_line()[1:]
        elif (self.plan is not None or self.closing) and state.mode != "bar" and masks.bar_line_fills(state):
            if self.closing:
                repeat = state.repeat_open or (self.plan is not None and self.plan.repeated)
                self.forced = (":|" if repeat else "|]") + "\n\n"
            else:
                self.forced = self.plan.bar_line(state.full_bars + 1)
        elif self.draw is not None and (state.mode == "bar" or state.after_bar) and not self.closing \
                and self.decided_bar <= state.full_bars:
            self.forced = self._phrase_repeat(masks)

    def _phrase_repeat(self, masks: AllowedCharacters) -> str:
        """The text of the earlier bar that the next bar copies, or "" (drawn once per bar; see the module doc)."""
        bar_number = self.decided_bar = self.state.full_bars + 1
        source = self.plan.phrase_source(bar_number, self.copies, self.draw)
        if source is None or self.text.rstrip("|:\n ").endswith("-"):
            return ""
        index = source - 1 - self.primer_full_bars
        copy = self.full_bar_texts[index] if 0 <= index < len(self.full_bar_texts) else self.plan.written_bar(source)
        if not copy:
            return ""
        probe = self.state.copy()
        for ch in copy:
            if probe.feed(ch).forbidden:
                return ""
        if not masks.bar_line_fills(probe):
            return ""
        self.copies[bar_number] = source
        return copy

    def allowed(self, masks: AllowedCharacters) -> torch.Tensor:
        if self.done:
            return masks.anything
        self.plan_forced(masks)
        if self.forced:
            return masks.only(self.forced[0])
        row = masks.row(self.state)
        if self.plan is not None and self.state.in_body:
            row = row & self._form_row(masks)
        return row

    def _form_row(self, masks: AllowedCharacters) -> torch.Tensor:
        """With a form the sampler writes the bar lines: the model may only end a pickup with '|'."""
        state = self.state
        banned = {":"} | ({"|", "]", "1", "2"} if state.mode == "bar" else set())
        if not state.bar_lines and not state.bar_has_notes:
            banned.add("|")  # a bar line before the first note: '|:' would then enclose the pickup (abc2midi warns)
        if state.line_start:
            banned.add("\n")
        key = ("form", frozenset(banned))
        row = masks.cache.get(key)
        if row is None:
            row = torch.tensor([ch not in banned for ch in masks.chars], dtype=torch.bool)
            masks.cache[key] = row
        return row

    def stuck(self, row: torch.Tensor) -> bool:
        if self.done or self.saved is None or self.forced:
            return False
        return not bool(row.any()) or (self.state.in_body and len(self.text) - self.saved[1] > MAX_BAR_CHARACTERS)

    @property
    def greedy(self) -> bool:
        return self.tries >= MAX_TRIES or self.closing

    # -- moving on ---------------------------------------------------------------------------------------------
    def accept(self, ch: str, log_probability: float) -> None:
        bar_lines = self.state.bar_lines
        full_bars = self.state.full_bars
        in_body = self.state.in_body
        self.state.feed(ch)
        if self.state.bar_lines != bar_lines:
            self._bar_begins()
            if self.state.full_bars != full_bars:
                self.full_bar_texts.append(self.text[self.bar_start:].lstrip("|:] \n").rstrip(" \n"))
            self.bar_start = len(self.text)
        self.text += ch
        self.log_likelihood += log_probability
        self.written += 1
        if self.forced:
            self.forced = self.forced[1:]
        if self.state.ended:
            self.done = True
        elif self.state.bar_lines != bar_lines or self.state.in_body != in_body:
            self.snapshot_due = True

    def _bar_begins(self) -> None:
        """A bar line was written: the next bar's cadence target and, where the plan says, its own length."""
        if self.cadence is not None:
            self.state.target = self.cadence.target(self.state)
        length = self.plan.bar_length(self.state.full_bars + 1) if self.plan is not None else None
        if length is not None:
            self.state.meter = length

    def save(self, hidden: torch.Tensor, cell: torch.Tensor, logits: torch.Tensor, i: int,
             on_text: Callable[[int, str], None] | None) -> None:
        self.saved = (self.state.copy(), len(self.text), self.log_likelihood, self.written, self.forced,
                      len(self.full_bar_texts), self.bar_start, hidden[:, i].clone(), cell[:, i].clone(),
                      logits[i].clone())
        self.snapshot_due = False
        self.tries = 0
        self.flush(i, on_text)

    def back_off(self, hidden: torch.Tensor, cell: torch.Tensor, logits: torch.Tensor, i: int) -> None:
        state, length, self.log_likelihood, self.written, self.forced, bars, self.bar_start, h, c, row = self.saved
        self.state = state.copy()
        self.text = self.text[:length]
        del self.full_bar_texts[bars:]
        hidden[:, i] = h
        cell[:, i] = c
        logits[i] = row
        self.tries += 1

    def flush(self, i: int, on_text: Callable[[int, str], None] | None) -> None:
        if on_text and len(self.text) > self.streamed:
            on_text(i, self.text[self.streamed:])
        self.streamed = len(self.text)

    def final_text(self) -> str:
        """The text, with the first strain's ``|:`` written at the body's start when no pickup placed it."""
        text = self.text
        if self.plan is not None and self.plan.repeated and self.body_start is not None:
            body = text[self.body_start:]
            if "|:" not in body[:body.find("::") if "::" in body else len(body)]:
                text = text[:self.body_start] + "|:" + body
        return text

    def mean_log_likelihood(self) -> float:
        return self.log_likelihood / self.written if self.written else 0.0


def sample_strict(model, vocabulary: Vocabulary, config: SamplingConfig, primer: str, generators: list,
                  on_text: Callable[[int, str], None] | None, should_stop: Callable[[], bool] | None,
                  device: torch.device, plan=None, cadence: Callable | None = None) -> list[StrictTune]:
    """Samples ``config.count`` tunes strictly (module docstring); ``plan``, ``cadence`` (draw -> plan) override."""
    start = CadenceState().feed_text(primer)
    if start.in_body and (start.meter is None or not start.viable()):
        raise StrictSamplingError("strict bars need a primer whose meter can be counted and whose last bar can "
                                  "still add up to it")
    count = config.count
    plan = plan or FormPlan.of(config.form, config.strain_bars)
    masks = allowed_characters(vocabulary)
    completing = torch.tensor([ch in _COMPLETING for ch in vocabulary.chars], dtype=torch.bool)
    if config.top_k == 1:  # greedy: the likelier choice of each rule, the same for every seed
        draws = [lambda: 0.5] * count
    else:
        draws = [(lambda g=g: uniform(g)) for g in generators]
    home = cadence or (lambda draw: CadencePlan(plan.strains, plan.strain_bars, draw))
    tunes = [StrictTune(start.copy(), primer, plan, draw if config.phrase_repeats else None,
                        home(draw) if cadence or (plan and config.cadence == "home") else None) for draw in draws]
    if on_text:
        for i in range(count):
            on_text(i, primer)
    inputs = torch.tensor([text_inputs(primer, vocabulary, model.config.clock)] * count,
                          dtype=torch.long, device=device)
    logits, (hidden, cell) = model(inputs)
    logits = logits[:, -1, :].clone()
    step = 0
    stopped = False
    while step < config.max_length * 3 + CLOSING_MARGIN * 8 and not all(t.done for t in tunes):
        if should_stop and should_stop():
            stopped = True
            break
        step += 1
        for i, tune in enumerate(tunes):
            if tune.snapshot_due and not tune.done:
                tune.save(hidden, cell, logits, i, on_text)
            if not tune.done and len(tune.text) >= config.max_length - CLOSING_MARGIN:
                tune.closing = True
        rows = []
        for i, tune in enumerate(tunes):
            row = tune.allowed(masks)
            if tune.stuck(row):
                tune.back_off(hidden, cell, logits, i)
                row = tune.allowed(masks)
            rows.append(row)
        allowed = torch.stack(rows)
        log_probs = torch.log_softmax(logits.float(), dim=-1)
        codes = draw(logits, config.temperature, generators, config.top_k, allowed)
        for i, tune in enumerate(tunes):
            if tune.done:
                continue
            code = int(codes[i])
            if tune.greedy and not tune.forced:
                closer = _CLOSERS.get(tune.state.mode)
                preferred = masks.only(closer) if closer else completing
                preferred = allowed[i] & preferred
                choice = preferred if bool(preferred.any()) else allowed[i]
                code = int(logits[i].float().masked_fill(~choice, float("-inf")).argmax())
            elif not bool(allowed[i, code]):  # rounding at the top of the cumulative distribution
                code = int(allowed[i].nonzero()[-1])
            codes[i] = code
            tune.accept(vocabulary.chars[code], float(log_probs[i, code]))
        ticks = [clock_code(tune.state, model.config.clock) for tune in tunes] if model.config.clock != "none" else None
        logits, (hidden, cell) = model(clocked(codes, ticks).to(device), (hidden, cell))
        logits = logits[:, -1, :].clone()
    for i, tune in enumerate(tunes):
        if not tune.done and tune.saved is not None and tune.state.in_body and not stopped:
            tune.text = tune.text[:tune.saved[1]]  # out of steps: end at the last bar line
            tune.text += "|" if tune.text.endswith(":") else ""
        tune.flush(i, on_text)
    return tunes
