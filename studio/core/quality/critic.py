"""The critic: one score per tune, made of parts a user can read, and the pick of the best of several candidates.

:func:`score_tune` scores a tune against a corpus's reference statistics (:class:`CorpusReference`). Each part earns
points out of its weight (:data:`WEIGHTS`) and says why in plain words:

=============  ======  ==================================================================================
part           weight  full points when
=============  ======  ==================================================================================
structure          10  the tune is structurally valid (header, brackets, quotes closed) - a gate
novelty            10  it is not a near-copy of a corpus tune (n-gram similarity below 0.85) - a gate
bars               20  every bar adds up to the meter (points fall with the share of wrong bars)
metrics            20  each of :data:`BAND_FEATURES` lies inside the corpus's 5th-95th percentile band
                       (each feature an equal share; outside, its share falls to nothing at half the band's
                       width beyond its edge)
repetition         15  the share of bars repeating an earlier bar is at the corpus's median (falls to nothing
                       at the edge of the corpus's band on that side)
home               10  the tune comes home: its last note is the tonic (6 points) and its strains end on notes
                       of the tonic triad (4 points, shared by the strains; :mod:`studio.core.quality.tonal`)
likelihood         15  the model's own mean log-likelihood per character (temperature 1) is high: nothing at
                       :data:`LIKELIHOOD_FLOOR` nats or lower, all at :data:`LIKELIHOOD_CEILING` or higher
=============  ======  ==================================================================================

``total`` is the points earned as a share of the points available, times 100 (the likelihood part counts only
when a likelihood is given), minus :data:`GATE_PENALTY` for each failed gate. A tune that passes both gates scores at
least 20 (their own points); one that fails a gate scores at most -10: an invalid tune or a near-copy never beats a
valid novel one. :func:`pick_best` picks the highest total (the first one on a tie).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from studio.core.quality.evaluation import CorpusReference
from studio.core.quality.metrics import tune_metrics
from studio.core.quality.novelty import NEAR_COPY_THRESHOLD

#: Points available per part (see the module docstring); they add up to 100.
WEIGHTS = {"structure": 10.0, "novelty": 10.0, "bars": 20.0, "metrics": 20.0, "repetition": 15.0, "home": 10.0,
           "likelihood": 15.0}
#: The share of the ``home`` part that the final note on the tonic earns (the rest: strain endings on the triad).
FINAL_NOTE_SHARE = 0.6
#: Parts a tune must pass to be worth anything: failing one subtracts :data:`GATE_PENALTY` from the total.
GATES = ("structure", "novelty")
GATE_PENALTY = 100.0
#: Per-tune features that should lie inside the corpus's 5-95 % band, with the words used in reasons.
BAND_FEATURES = {
    "note_count": "notes", "pitch_range": "pitch range", "distinct_pitch_classes": "pitch classes",
    "pitch_class_entropy": "pitch-class entropy", "mean_abs_interval": "mean interval", "step_rate": "step rate",
    "leap_rate": "leap rate", "dissonant_leap_rate": "dissonant leaps", "in_key_rate": "notes in key",
}
#: Mean log-likelihood per character (nats) earning no likelihood points, and full points. The shipped model gives
#: O'Neill's tunes -1.25 [5 %] / -0.89 [median] / -0.72 [95 %], its own tunes about -0.8 at temperature 0.8 and
#: -1.1 at 1.0.
LIKELIHOOD_FLOOR, LIKELIHOOD_CEILING = -1.6, -0.7


@dataclass
class CriticPart:
    """One part of a score: ``points`` earned out of ``weight``, and why."""

    name: str
    points: float
    weight: float
    reason: str
    passed: bool = True

    def line(self) -> str:
        return f"{self.name} {self.points:.1f}/{self.weight:g}: {self.reason}"


@dataclass
class CriticScore:
    """A tune's score: ``total`` (see the module docstring) and its parts in a fixed order."""

    total: float
    parts: list[CriticPart] = field(default_factory=list)

    @property
    def acceptable(self) -> bool:
        """True when the tune passes every gate (valid and not a near-copy)."""
        return all(part.passed for part in self.parts if part.name in GATES)

    def part(self, name: str) -> CriticPart | None:
        return next((p for p in self.parts if p.name == name), None)

    def summary(self) -> str:
        """One line: the total and the parts that lost the most points."""
        losses = sorted((p for p in self.parts if p.points < p.weight - 0.05),
                        key=lambda p: (p.passed, p.points - p.weight))  # failed gates first, then the biggest losses
        worst = "; ".join(p.reason for p in losses[:2]) or "no weak point"
        return f"score {self.total:.0f}: {worst}"

    def details(self) -> str:
        """One line per part, for a tooltip or the command line."""
        return "\n".join([f"score {self.total:.1f}"] + [p.line() for p in self.parts])

    def as_dict(self) -> dict:
        return {"total": self.total, "acceptable": self.acceptable, "parts": [asdict(p) for p in self.parts]}


def _band_share(value: float, low: float, high: float, scale: float) -> float:
    """1 inside [low, high]; outside, falling linearly to 0 at ``scale`` beyond the nearer edge."""
    distance = low - value if value < low else value - high if value > high else 0.0
    return max(0.0, 1.0 - distance / scale) if distance > 0 else 1.0


def _structure(valid: bool) -> CriticPart:
    if valid:
        return CriticPart("structure", WEIGHTS["structure"], WEIGHTS["structure"], "valid ABC")
    return CriticPart("structure", 0.0, WEIGHTS["structure"], "not valid ABC (see the problems list)", passed=False)


def _novelty(text: str, reference: CorpusReference) -> CriticPart:
    number, similarity = reference.novelty.nearest(text)
    title = reference.titles[number] if number is not None and number < len(reference.titles) else ""
    if not title:
        return CriticPart("novelty", WEIGHTS["novelty"], WEIGHTS["novelty"], "new: no note pattern in the corpus")
    shared = f"{similarity:.0%} of its note patterns shared with {title!r}"
    if similarity >= NEAR_COPY_THRESHOLD:
        return CriticPart("novelty", 0.0, WEIGHTS["novelty"], f"near-copy of a corpus tune: {shared}", passed=False)
    return CriticPart("novelty", WEIGHTS["novelty"], WEIGHTS["novelty"], f"new: at most {shared}")


def _bars(bar_error_rate: float, valid: bool) -> CriticPart:
    share = max(0.0, 1.0 - bar_error_rate) if valid else 0.0
    if not valid:
        reason = "bars not checked (invalid)"
    elif bar_error_rate == 0:
        reason = "every bar adds up to the meter"
    else:
        reason = f"{bar_error_rate:.0%} of bars do not add up to the meter"
    return CriticPart("bars", WEIGHTS["bars"] * share, WEIGHTS["bars"], reason)


def _metrics(values: dict, reference: CorpusReference) -> CriticPart:
    shares, outside = [], []
    for name, words in BAND_FEATURES.items():
        if name not in reference.ranges:
            continue
        low, _, high = reference.ranges[name]
        scale = max((high - low) / 2, 1e-6)
        share = _band_share(float(values[name]), low, high, scale)
        shares.append(share)
        if share < 1.0:
            outside.append((share, f"{words} {values[name]:.3g} outside {low:.3g}-{high:.3g}"))
    earned = WEIGHTS["metrics"] * (sum(shares) / len(shares) if shares else 1.0)
    if not outside:
        reason = "every metric inside the corpus's 5-95 % band"
    else:  # the furthest out first, at most three named
        ordered = [words for _, words in sorted(outside)]
        reason = "; ".join(ordered[:3]) + (f" (and {len(ordered) - 3} more)" if len(ordered) > 3 else "")
    return CriticPart("metrics", earned, WEIGHTS["metrics"], reason)


def _repetition(share: float, reference: CorpusReference) -> CriticPart:
    low, median, high = reference.ranges.get("repeated_bar_share", (0.0, share, 1.0))
    edge = low if share < median else high
    closeness = _band_share(share, median, median, max(abs(median - edge), 1e-6))
    reason = f"{share:.0%} of bars repeat an earlier bar (corpus median {median:.0%}, band {low:.0%}-{high:.0%})"
    return CriticPart("repetition", WEIGHTS["repetition"] * closeness, WEIGHTS["repetition"], reason)


def _home(metrics) -> CriticPart:
    share = FINAL_NOTE_SHARE * metrics.final_on_tonic + (1 - FINAL_NOTE_SHARE) * metrics.strain_triad_share
    ending = "ends on the tonic" if metrics.final_on_tonic else "does not end on the tonic (the key's home note)"
    reason = f"{ending}; {metrics.strain_triad_share:.0%} of its strains end on a tonic-triad note"
    return CriticPart("home", WEIGHTS["home"] * share, WEIGHTS["home"], reason)


def _likelihood(log_likelihood: float) -> CriticPart:
    share = (log_likelihood - LIKELIHOOD_FLOOR) / (LIKELIHOOD_CEILING - LIKELIHOOD_FLOOR)
    share = min(1.0, max(0.0, share))
    reason = f"the model finds it {'likely' if share >= 0.5 else 'unlikely'}: {log_likelihood:.2f} nats per character"
    return CriticPart("likelihood", WEIGHTS["likelihood"] * share, WEIGHTS["likelihood"], reason)


def score_tune(text: str, reference: CorpusReference, log_likelihood: float | None = None) -> CriticScore:
    """The critic's score of one tune against ``reference`` (``log_likelihood``: mean nats per character)."""
    metrics = tune_metrics(text)
    values = metrics.as_dict()
    parts = [_structure(metrics.valid), _novelty(text, reference), _bars(metrics.bar_error_rate, metrics.valid),
             _metrics(values, reference), _repetition(metrics.repeated_bar_share, reference), _home(metrics)]
    if log_likelihood is not None:
        parts.append(_likelihood(float(log_likelihood)))
    earned = sum(p.points for p in parts)
    available = sum(p.weight for p in parts)
    failed_gates = sum(1 for p in parts if p.name in GATES and not p.passed)
    return CriticScore(100.0 * earned / available - GATE_PENALTY * failed_gates, parts)


def pick_best(candidates: list[str], reference: CorpusReference,
              log_likelihoods: list[float | None] | None = None) -> tuple[int, list[CriticScore]]:
    """Scores each candidate tune; returns the index of the best (the first on a tie) and every score."""
    if not candidates:
        raise ValueError("pick_best needs at least one candidate")
    likelihoods = log_likelihoods or [None] * len(candidates)
    scores = [score_tune(text, reference, ll) for text, ll in zip(candidates, likelihoods)]
    best = max(range(len(scores)), key=lambda i: (scores[i].total, -i))
    return best, scores
