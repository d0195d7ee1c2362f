"""A new strain after a tune's last one (a C strain after an AABB tune's B), written by the model in the tune's form.

:func:`new_strain` mirrors the tune's last strain (:func:`~studio.core.generation.regenerate.tune_strains`): as many bars, the
same text between them (bar lines, repeat signs, endings, line breaks), written after the last strain's closing bar
line (``|]`` made ``||``) and a start of repeat when the last strain opened with one. Each bar lasts the meter, but
where the tune's last bar is short (it completes a pickup): then the new strain opens with a pickup that completes
that bar, and its own last bar is as short, so the bars still add up across the join (abc2midi counts them so).
Candidates are sampled strictly from the model's state after the whole tune
(:func:`~studio.core.generation.regenerate.sample_bars`), with phrase repeats numbered as the strain's place in the form gives
them (bar 5 as bar 1, ..., the last bars as the last strain's) and the cadence home rule moved to the new strain: its
last note on the tonic, since it now ends the tune.

A new strain has no bars after it to lead into, so candidates are ranked by their own log-likelihood plus that of
the tune's ending after them (the closing bar line, then the end of the tune), and each reason says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Callable

from studio.core.abc.keys import read_key
from studio.core.abc.timeline import TICKS_PER_WHOLE, read_bars
from studio.core.generation.model_key import ModelKey
from studio.core.generation.regenerate import (
    Candidate, Regeneration, RegenerationError, characters_only, joined, model_text, primer_state, read_after,
    sample_bars, tune_ending, tune_strains,
)
from studio.core.generation.sampling_plans import RegionPlan

_CLOSING = re.compile(r"\s*([|:\[\]]+)")


@dataclass(frozen=True)
class StrainSlot:
    """Where a new strain goes: ``text[start:end]`` (empty, right after the last strain's last note) gives way to a
    candidate's text; its bars are numbered ``first``..``last`` as musicians count."""

    start: int
    end: int
    first: int
    last: int
    note: str = ""

    def label(self) -> str:
        return f"a new strain (bars {self.first}-{self.last})"


def _opening(text: str, last) -> str:
    """The text that closes the last strain (``last``, its bars) and opens a new one (see the module docstring)."""
    closing = _CLOSING.match(text, last[-1].end)
    bar_line = closing.group(1) if closing else "|"
    opens_repeat = text[:last[0].start].rstrip().endswith(":")
    return ("||" if bar_line == "|]" else bar_line) + "\n" + ("|:" if opens_repeat else "")


def new_strain(sampler, text: str, count: int = 16, temperature: float = 1.0, seed: int = 0,
               should_stop: Callable[[], bool] | None = None,
               progress: Callable[[str], None] | None = None) -> Regeneration:
    """Samples ``count`` new strains after the tune's last one and ranks them (see the module docstring).

    Candidate ``i`` draws from a generator seeded ``seed + i``; repeated candidates are dropped. A model that
    learnt every tune in one key reads the tune in that key (:mod:`studio.core.generation.model_key`)."""
    characters_only(sampler.vocabulary, "a new strain")
    key = ModelKey.for_tune(sampler, text)
    made = _new_strain_as_written(sampler, key.into(text), count, temperature, seed, should_stop, progress)
    if not key.moves:
        return made
    insert = _last_strain(text)[-1].end
    return key.back(made, text, insert, insert, replace(made.selection, start=insert, end=insert))


def _last_strain(text: str):
    """The bars of the tune's last strain (RegenerationError when it has no bars of music)."""
    strains = tune_strains(text)
    if not strains or all(bar.pickup for bar in strains[-1]):
        raise RegenerationError("the tune has no bars of music to follow with a new strain")
    return strains[-1]


def _new_strain_as_written(sampler, text, count, temperature, seed, should_stop, progress) -> Regeneration:
    vocabulary, strains, last = sampler.vocabulary, tune_strains(text), _last_strain(text)
    body = [bar for bar in last if not bar.pickup]
    insert, opening = last[-1].end, _opening(text, last)
    gaps = [text[a.end:b.start] for a, b in zip(body, body[1:])]
    start = primer_state(model_text(text[:insert] + opening, vocabulary))
    meter, ending = start.meter, Fraction([b.duration for b in read_bars(text) if b.duration][-1], TICKS_PER_WHOLE)
    pickup = meter - ending if 0 < ending < meter else None  # what completes the tune's short last bar
    lengths = [bar.length if pickup and bar.length else meter for bar in body[:-1]] + [meter - (pickup or 0)]
    if pickup:
        gaps, lengths = [text[last[0].end:last[1].start] if last[0].pickup else "|"] + gaps, [pickup] + lengths
    model_gaps = [model_text(gap, vocabulary) for gap in gaps]
    primer = model_text(text[:insert] + opening, vocabulary)
    key, strain_bars = read_key(start.key_text), len(body)
    plan = RegionPlan(start.full_bars, model_gaps, lengths, strain_bars, first=len(strains) * strain_bars + 1,
                      pickup=pickup is not None,
                      earlier={(len(strains) - 1) * strain_bars + p: model_text(text[bar.start:bar.end], vocabulary)
                               for p, bar in enumerate(body, 1)})
    targets = [None] * (len(lengths) - 1) + [key.tonic_pitch_class if key is not None else None]
    slot = StrainSlot(insert, insert, body[-1].number + 1, body[-1].number + strain_bars,
                      "" if key is not None else "the key cannot be read: the new strain need not end on the tonic")
    if progress:
        progress(f"sampling {count} candidates for {slot.label()}")
    choices = sample_bars(sampler, primer, plan, targets, count, temperature, seed, should_stop)
    if progress:
        progress(f"reading how the tune ends after {len(choices)} candidates")
    encode = sampler.vocabulary.encode
    heads = [encode(joined(bars, model_gaps)) for bars in choices]
    tail = encode(tune_ending(model_text(text[insert:], vocabulary)))
    scores = read_after(sampler.model, encode(primer), [head + tail for head in heads], [len(h) for h in heads],
                        sampler.vocabulary)
    candidates = sorted((Candidate(opening + joined(bars, gaps), text[:insert] + opening + joined(bars, gaps)
                                   + text[insert:], own=own, after=after, score=own + after)
                         for bars, (own, after) in zip(choices, scores)), key=lambda c: -c.score)
    mean = sum(c.score for c in candidates) / len(candidates) if candidates else 0.0
    for rank, candidate in enumerate(candidates, 1):
        candidate.rank = rank
        candidate.reason = (f"no bars follow a new strain: ranked by its own likelihood ({candidate.own:.1f} nats) "
                            f"plus how the tune ends after it ({candidate.after:.1f}); "
                            f"{candidate.score - mean:+.1f} nats against the candidates' mean")
    return Regeneration(slot, candidates, None, [slot.note] if slot.note else [])
