"""Regenerating chosen bars of a tune in place: candidates that add up and lead into the bars after them.

:func:`tune_bars` finds each bar's music (its characters between bar lines; a short bar opening the tune or a strain
is a pickup, bar 0, as musicians count). :func:`regenerate` reads the tune up to the chosen bars (the model's state after the bars
before them) and samples ``count`` candidates with strict bars (:mod:`studio.core.generation.strict_sampling`): the same
number of bars, each lasting the meter (a strain's last bar shortened to complement a pickup keeps its own length:
:class:`BarSpan`), with the tune's own bar lines between them (so repeats and endings inside
the selection are kept) and, where a chosen bar ends a strain, the written last note's pitch class as its cadence
target (:mod:`studio.core.generation.cadence`). Each candidate, and the bars as written, is then read by the model with the
rest of the tune kept as it is (:func:`read_after`, from the state after the bars before them): ``own`` is the log-likelihood of the
candidate's characters, ``after`` that of everything after them. Candidates are ranked by ``after`` alone
(:func:`lead_in`: how much likelier the rest of the tune reads after a candidate than after the written bars), so the
chosen bars lead into the next ones. The model reads the tune as its training text wrote it (comment lines and fields it never
saw are left out: :func:`~studio.core.network.inspection.known_characters`); the tune's own text is kept around the bars.

Why ``after`` alone and not ``own + after``: the candidates were drawn from the model itself, so how likely each is
on its own was already weighed when it was drawn (at the dial's temperature: the user's choice of how adventurous
they may be); adding it again prefers the plainest candidates whatever follows them. p(candidate | before, after) is
proportional to p(candidate | before) p(after | before, candidate), and samples drawn by the first factor are weighed
by the second; every candidate is followed by the same text, so ``after`` compares like with like. Measured
(``bench/regenerate_quality.py``, O'Neill's validation tunes, bars 5-6 among 15 candidates): the written bars rank
in the top half in 90% and 94% of two samples of tunes (own + after: 69% and 74%), and the top candidate's last note
is a third or less from the next bar's first note in 77% and 82% (the written bars: 82% and 86%; a random candidate:
49% and 45%).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Callable

import torch

from studio.core.abc.bar_clock import BarClock
from studio.core.abc.timeline import TICKS_PER_WHOLE, read_bars, ticks
from studio.core.abc.tokenizer import scan_tune
from studio.core.configs import SamplingConfig
from studio.core.generation.cadence import CadenceState
from studio.core.generation.model_key import ModelKey
from studio.core.generation.sampling_plans import REGION_END, RegionCadence, RegionPlan
from studio.core.generation.strict_sampling import CLOSING_MARGIN, MAX_BAR_CHARACTERS, StrictSamplingError, sample_strict
from studio.core.network.inspection import known_characters, padded_codes
from studio.core.network.network_inputs import network_inputs, unit_codes
from studio.core.network.token_vocabulary import CharactersOnly, require_characters
from studio.core.quality.scoring import TUNE_ENDING

#: Token kinds that are no bar's music: its bar lines, line breaks and spaces, fields and comments around it.
_NOT_MUSIC = frozenset({"bar", "ending", "space", "newline", "comment", "field", "continuation", "line_break"})


class RegenerationError(ValueError):
    """Bars that cannot be regenerated (none chosen, no countable meter, ...); the message says why, for the user."""


@dataclass(frozen=True)
class BarSpan:
    """One bar's music: ``text[start:end]``, its number as musicians count (a pickup is bar 0), whether it ends a
    strain, and ``length``: how long the bar lasts when it is written again (whole notes; None without a meter):
    the meter, or its own written length for a pickup and for a strain's last bar shortened on purpose (a pickup
    opening its strain or the next one makes it a whole bar); ``ending``: the bar is in a numbered ending (volta)."""

    number: int
    start: int
    end: int
    ends_strain: bool
    ending: bool = False
    length: Fraction | None = None

    @property
    def pickup(self) -> bool:
        return self.number == 0


def tune_bars(text: str) -> list[BarSpan]:
    """The bars of a tune with their music's character ranges (see :class:`BarSpan`)."""
    scanned = scan_tune(text)
    written, tokens = read_bars(scanned), scanned.tokens
    meter = ticks(scanned.meter) if scanned.meter else None
    spans, number, durations = [], 0, []
    for k, bar in enumerate(written):
        stop = written[k + 1].first_token if k + 1 < len(written) else len(tokens)
        music = [t for t in tokens[bar.first_token:stop] if t.kind not in _NOT_MUSIC]
        # a short bar opening the tune or a strain is a pickup: bar 0, never regenerated
        pickup = (k == 0 or written[k - 1].ends_section) and k + 1 < len(written) and meter is not None \
            and 0 < bar.duration < meter
        number += 0 if pickup else 1
        if music:
            ends = bar.ends_section or k + 1 == len(written)
            spans.append(BarSpan(0 if pickup else number, music[0].offset, music[-1].offset + len(music[-1].text),
                                 ends, bool(bar.volta)))
            durations.append(bar.duration)
    return _with_lengths(spans, durations, meter)


def _with_lengths(spans: list[BarSpan], durations: list[int], meter: int | None) -> list[BarSpan]:
    """The spans with their lengths (see :class:`BarSpan`): a strain's short last bar keeps its own length when it
    and the pickup opening its strain (played again on a repeat) or the next strain make one whole bar."""
    if meter is None:
        return spans
    lengths, opening = [], 0
    for k, (span, duration) in enumerate(zip(spans, durations)):
        opening = duration if span.pickup else 0 if k and spans[k - 1].ends_strain else opening
        following = durations[k + 1] if k + 1 < len(spans) and spans[k + 1].pickup else 0
        own = span.pickup or (span.ends_strain and 0 < duration < meter and meter - duration in (opening, following))
        lengths.append(Fraction(duration if own else meter, TICKS_PER_WHOLE))
    return [replace(span, length=length) for span, length in zip(spans, lengths)]


def tune_strains(text: str) -> list[tuple[BarSpan, ...]]:
    """The tune's strains: its bars grouped up to each strain's end (a strain's pickup opens it; a second ending
    belongs to the strain of the first)."""
    strains, current = [], []
    for bar in tune_bars(text):
        if not current and bar.ending and strains:
            current = list(strains.pop())
        current.append(bar)
        if bar.ends_strain:
            strains.append(tuple(current))
            current = []
    return strains + ([tuple(current)] if current else [])


@dataclass(frozen=True)
class Selection:
    """Whole bars ``first``..``last`` (numbers as in :class:`BarSpan`) and what was done to the asked selection."""

    bars: tuple[BarSpan, ...]
    note: str = ""

    @property
    def first(self) -> int:
        return self.bars[0].number

    @property
    def last(self) -> int:
        return self.bars[-1].number

    @property
    def start(self) -> int:
        return self.bars[0].start

    @property
    def end(self) -> int:
        return self.bars[-1].end

    def label(self) -> str:
        return f"bar {self.first}" if self.first == self.last else f"bars {self.first}-{self.last}"


def select_bars(text: str, first: int, last: int | None = None) -> Selection:
    """Bars ``first``..``last`` by number; a pickup (bar 0) is left out, saying so."""
    last = first if last is None else last
    bars = tune_bars(text)
    if not bars:
        raise RegenerationError("the tune has no bars of music")
    if first > last:
        first, last = last, first
    chosen = tuple(b for b in bars if first <= b.number <= last and b.number > 0)
    if not chosen:
        raise RegenerationError(f"the tune has bars {max(bars[0].number, 1)}-{bars[-1].number}, not {first}-{last}")
    note = "the pickup (bar 0) is kept: it is shorter than the meter" if first == 0 and bars[0].number == 0 else ""
    return Selection(chosen, note)


def select_characters(text: str, start: int, end: int) -> Selection:
    """The whole bars that characters ``start``..``end`` touch; a selection that is not whole bars is widened (said)."""
    bars = [b for b in tune_bars(text) if b.number > 0 and b.start < max(end, start + 1) and b.end > start]
    if not bars:
        raise RegenerationError("select some notes of the bars to regenerate (the pickup cannot be regenerated)")
    selection = Selection(tuple(bars))
    if text[start:end].strip() != text[selection.start:selection.end].strip():
        return Selection(selection.bars, f"the selection was widened to whole bars: {selection.label()}")
    return selection


@dataclass
class Candidate:
    """A choice of bars: ``bars`` (their text), ``text`` (the tune with them in place), the log-likelihoods in nats
    of the bars (``own``) and of the rest of the tune after them (``after``), the ``score`` in nats it was ranked by
    (higher first; what it measures is the ranking's: :func:`lead_in` for bars, own plus after for a new strain), and
    a reason in words."""

    bars: str
    text: str
    own: float
    after: float
    score: float = 0.0
    original: bool = False
    rank: int = 0
    reason: str = ""


@dataclass
class Regeneration:
    """The ranked candidates (best first), the bars as written scored the same way (None for a new strain:
    :mod:`studio.core.generation.new_strain`, whose ``selection`` is a :class:`~studio.core.generation.new_strain.StrainSlot`), and notes
    for the user."""

    selection: Selection
    candidates: list[Candidate]
    original: Candidate | None
    notes: list[str] = field(default_factory=list)


def characters_only(vocabulary, what: str) -> None:
    """Raises RegenerationError when ``vocabulary`` is a token model's (regeneration samples characters)."""
    try:
        require_characters(vocabulary, what)
    except CharactersOnly as exc:
        raise RegenerationError(str(exc)) from exc


def model_text(text: str, vocabulary) -> str:
    """The text as the model reads it (comment lines and fields it never saw left out)."""
    offsets, _unknown = known_characters(text, vocabulary)
    return "".join(text[i] for i in offsets)


def _cadence_targets(text: str, selection: Selection) -> list[int | None]:
    """Each chosen bar's written last melody note's pitch class where the bar ends a strain, else None."""
    state, done, targets = CadenceState(), 0, []
    for bar in selection.bars:
        state.feed_text(text[done:bar.end])
        done = bar.end
        targets.append(state.copy().feed(" ").last_pc if bar.ends_strain else None)  # a space ends the last note
    return targets


def _split_candidate(generated: str, separators: list[str]) -> list[str] | None:
    """The bars of a sampled text (bars joined by ``separators``, then the plan's ending), or None if unfinished."""
    if not generated.endswith(REGION_END):
        return None
    rest, bars = generated[:-len(REGION_END)], []
    for separator in separators:
        cut = rest.find(separator)
        if cut < 0:
            return None
        bars.append(rest[:cut])
        rest = rest[cut + len(separator):]
    return [bar.strip(" \n") for bar in bars + [rest]]  # the tune's own line breaks stay where they are


def tune_ending(suffix: str) -> str:
    """The model's text after a region, ended as the training text ends a tune (one blank line, not more)."""
    return suffix.rstrip("\n") + TUNE_ENDING


def primer_state(primer: str) -> CadenceState:
    """The state strict sampling starts from after ``primer``; a meter it cannot count is refused in words."""
    start = CadenceState().feed_text(primer)
    if start.meter is None:
        raise RegenerationError("the tune has no meter that bars can be counted in (M: missing, 'none' or "
                                "unreadable): strict bars cannot be written")
    return start


def sample_bars(sampler, primer: str, plan: RegionPlan, targets: list[int | None], count: int, temperature: float,
                seed: int, should_stop=None, seen: set[str] | None = None) -> list[list[str]]:
    """The bars of ``count`` strictly sampled candidates for the region ``plan`` describes (after ``primer``, the
    model's text), with cadence ``targets``, and phrase repeats where the plan numbers its bars in a form.
    Candidate ``i`` draws from a generator seeded ``seed + i``; unfinished ones and repeats (also of ``seen``,
    texts without spaces) are dropped."""
    config = SamplingConfig(temperature=temperature, count=count, form="free", cadence="free",
                            phrase_repeats=plan.strain_bars is not None,
                            max_length=len(primer) + (MAX_BAR_CHARACTERS + 10) * len(plan.lengths) + 2 * CLOSING_MARGIN)
    if config.problems():
        raise RegenerationError("; ".join(f"{k} {v}" for k, v in config.problems().items()))
    generators = [torch.Generator().manual_seed(seed + i) for i in range(count)]
    try:
        with torch.no_grad():
            tunes = sample_strict(sampler.model, sampler.vocabulary, config, primer, generators, None, should_stop,
                                  sampler.device, plan=plan, cadence=lambda draw: RegionCadence(plan.before, targets))
    except StrictSamplingError as exc:
        raise RegenerationError(str(exc)) from exc
    seen, choices = set(seen or ()), []
    for tune in tunes:
        sampled = _split_candidate(tune.text[len(primer):], plan.separators)
        if sampled and "".join(sampled).replace(" ", "") not in seen:
            seen.add("".join(sampled).replace(" ", ""))
            choices.append(sampled)
    return choices


def regenerate(sampler, text: str, selection: Selection, count: int = 16, temperature: float = 1.0,
               seed: int = 0, should_stop: Callable[[], bool] | None = None,
               progress: Callable[[str], None] | None = None) -> Regeneration:
    """Samples ``count`` candidates for the chosen bars and ranks them (see the module docstring).

    ``sampler`` is a :class:`~studio.core.generation.sampling.Sampler` (model, vocabulary, device); candidate ``i`` draws from a
    generator seeded ``seed + i``. Candidates that repeat another (or the written bars) are dropped. A model that
    learnt every tune in one key reads the tune in that key (:mod:`studio.core.generation.model_key`)."""
    characters_only(sampler.vocabulary, "regenerating bars")
    key = ModelKey.for_tune(sampler, text)
    if not key.moves:
        return _regenerate_as_written(sampler, text, selection, count, temperature, seed, should_stop, progress)
    moved = key.into(text)
    moved_selection = replace(select_bars(moved, selection.first, selection.last), note=selection.note)
    made = _regenerate_as_written(sampler, moved, moved_selection, count, temperature, seed, should_stop, progress)
    return key.back(made, text, selection.start, selection.end, selection)


def _regenerate_as_written(sampler, text, selection, count, temperature, seed, should_stop, progress) -> Regeneration:
    vocabulary, bars = sampler.vocabulary, selection.bars
    written = [text[b.start:b.end] for b in bars]
    gaps = [text[a.end:b.start] for a, b in zip(bars, bars[1:])]
    model_gaps = [model_text(gap, vocabulary) for gap in gaps]
    primer, suffix = model_text(text[:selection.start], vocabulary), model_text(text[selection.end:], vocabulary)
    start = primer_state(primer)
    lengths = [bar.length or start.meter for bar in bars]
    if progress:
        progress(f"sampling {count} candidates for {selection.label()}")
    choices = sample_bars(sampler, primer, RegionPlan(start.full_bars, model_gaps, lengths),
                          _cadence_targets(text, selection), count, temperature, seed, should_stop,
                          seen={"".join(written).replace(" ", "")})
    if progress:
        progress(f"reading the rest of the tune after {len(choices)} candidates")
    return _ranked(sampler, text, selection, [written] + choices, gaps, model_gaps, primer, suffix)


def joined(bars: list[str], gaps: list[str]) -> str:
    """Bars with the text between them (``gaps``, one fewer than the bars)."""
    return "".join(bar + gap for bar, gap in zip(bars, gaps + [""]))


@torch.no_grad()
def read_after(model, primer: list[int], continuations: list[list[int]], splits: list[int],
               vocabulary=None) -> list[tuple[float, float]]:
    """Log-likelihoods (nats) of each continuation after ``primer`` (read once, its state shared by every row),
    split at ``splits[i]`` characters: ``(first part, the rest)``. A network with a bar clock needs the
    ``vocabulary`` (the clock is read from the text)."""
    model.eval()
    device = next(model.parameters()).device
    clock = model.config.clock
    if clock != "none":  # the primer's clock read once, each continuation's on from there
        reader = BarClock(clock)
        primer = network_inputs(primer, vocabulary, clock, reader)
        continuations = [network_inputs(more, vocabulary, clock, reader.copy()) for more in continuations]
    logits, (hidden, cell) = model(torch.tensor([primer], dtype=torch.long, device=device))
    rows = len(continuations)
    data = padded_codes(continuations).to(device)
    state = (hidden.expand(-1, rows, -1).contiguous(), cell.expand(-1, rows, -1).contiguous())
    read, _ = model(data, state)
    predicted = torch.cat([logits[:, -1:].expand(rows, -1, -1), read[:, :-1]], dim=1)
    nll = -torch.log_softmax(predicted.float(), dim=-1).gather(2, unit_codes(data)[..., None]).squeeze(2)
    positions = torch.arange(data.shape[1], device=device)[None, :]
    lengths = torch.tensor([len(c) for c in continuations], device=device)[:, None]
    cuts = torch.tensor(splits, device=device)[:, None]
    first = (nll * (positions < cuts)).sum(dim=1)
    rest = (nll * ((positions >= cuts) & (positions < lengths))).sum(dim=1)
    return [(-float(a), -float(b)) for a, b in zip(first, rest)]


def lead_in(candidate: Candidate, original: Candidate) -> float:
    """The score regenerated bars are ranked by (see the module docstring): how much likelier, in nats, the rest of
    the tune reads after ``candidate`` than after the bars as written (``original``); positive leads in better."""
    return candidate.after - original.after


def _ranked(sampler, text, selection, choices, gaps, model_gaps, primer, suffix) -> Regeneration:
    """Scores each choice (the written bars first) by what follows it (:func:`lead_in`), best first."""
    encode = sampler.vocabulary.encode
    heads = [encode(joined(bars, model_gaps)) for bars in choices]
    tail = encode(tune_ending(suffix))
    scores = read_after(sampler.model, encode(primer), [head + tail for head in heads], [len(h) for h in heads],
                        sampler.vocabulary)
    made = [Candidate(joined(bars, gaps), text[:selection.start] + joined(bars, gaps) + text[selection.end:],
                      own=own, after=after, original=i == 0)
            for i, (bars, (own, after)) in enumerate(zip(choices, scores))]
    for candidate in made:
        candidate.score = lead_in(candidate, made[0])
    original, candidates = made[0], sorted(made[1:], key=lambda c: -c.score)
    for rank, candidate in enumerate(candidates, 1):
        candidate.rank = rank
        candidate.reason = _reason(candidate, original)
    original.reason = "the bars as written"
    notes = [selection.note] if selection.note else []
    return Regeneration(selection, candidates, original, notes)


def _reason(candidate: Candidate, original: Candidate) -> str:
    own = candidate.own - original.own
    lead = "leads into the next bars" + (" better" if candidate.score >= 0 else " less well")
    return (f"{lead} than the written bars; {'likelier' if own >= 0 else 'less likely'} on its own "
            f"({own:+.1f} nats, not scored)")
