"""Which meters and modes a set of tunes is written in, and how far two sets' distributions are apart.

A style shows first in its headers: O'Neill's dances are mostly in 6/8 and 2/4-4/4 in major and dorian, the Essen
songs in 2/4, 4/4 and 3/4, often with no meter at all. :func:`meter_mode_counts` counts each tune's meter (``M:`` in
one spelling, ``none`` when free or missing) and mode (of ``K:``: ``major``, ``minor``, ``dorian``...; ``none``
without a tonic); :func:`distribution_distance` is the Jensen-Shannon distance
(:func:`studio.core.quality.metrics.js_distance`) of two such counts over the union of their categories. A model
that has learnt a collection's style writes tunes whose distributions are close to the collection's.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from studio.core.abc.canonical import meter_spelling
from studio.core.abc.keys import read_key
from studio.core.abc.text import read_headers
from studio.core.quality.metrics import js_distance

#: A mode as ``Key.mode`` names it -> the word shown in tables.
MODE_NAMES = {"": "major", "m": "minor", "dor": "dorian", "mix": "mixolydian", "phr": "phrygian", "lyd": "lydian",
              "loc": "locrian"}
#: The category of a tune with no meter (free or missing) or no tonic.
NONE = "none"


def meter_of(text: str) -> str:
    """The tune's meter in one spelling (``4/4`` for ``C``), or ``none`` for a free or missing meter."""
    value = read_headers(text).get("M", "").strip()
    spelled = meter_spelling(value) if value else ""
    return spelled if spelled and spelled.lower() not in ("none", "free") else NONE


def mode_of(text: str) -> str:
    """The tune's mode from its ``K:`` (``major``, ``minor``, ``dorian``...), or ``none`` without a tonic."""
    key = read_key(read_headers(text).get("K", ""))
    return NONE if key is None else MODE_NAMES.get(key.mode, key.mode)


def meter_mode_counts(texts) -> tuple[Counter, Counter]:
    """How many of ``texts`` (tunes as ABC) are in each meter, and in each mode."""
    texts = list(texts)
    return Counter(meter_of(t) for t in texts), Counter(mode_of(t) for t in texts)


def distribution_distance(counts: Counter, reference: Counter) -> float:
    """The Jensen-Shannon distance (base 2, 0 = the same shares, 1 = nothing in common) of two category counts."""
    categories = sorted(set(counts) | set(reference))
    return js_distance(np.array([counts[c] for c in categories]), np.array([reference[c] for c in categories]))


def shares_text(counts: Counter, top: int = 5) -> str:
    """The most common categories with their shares, e.g. ``2/4 30%, 4/4 26%, 3/4 18%``."""
    total = sum(counts.values()) or 1
    return ", ".join(f"{name} {count / total:.0%}" for name, count in counts.most_common(top))
