"""Quality metrics for tunes in ABC: per tune, per set of tunes, novelty against a corpus, reference ranges.

Per tune (:func:`tune_metrics`): validity, bar errors, pitch range and statistics, melodic intervals, repetition
and sections, and the tonal measures of :mod:`studio.core.quality.tonal` (final note and strain endings on the tonic and its
triad), all computed from :mod:`studio.core.abc.tokenizer` tokens (no music21, about a millisecond a tune).
Per set (:func:`set_metrics`): validity, bar-correctness, novelty and tonal rates, the Yang & Lerch comparison of
intra-set and inter-set distance densities per feature (overlapping area and KL divergence on one shared grid),
and Jensen-Shannon distances of pitch-class (absolute, and relative to each tune's tonic) and interval histograms. NOTES.md lists the reference values measured
on O'Neill's 1850; :func:`reference_ranges` and :func:`real_vs_real_baseline` recompute them. Only numpy is used.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, field

import numpy as np

from studio.core.abc.fields import key_accidentals
from studio.core.abc.tokenizer import Bar, ScannedTune
from studio.core.abc.validate import validate_tune
from studio.core.quality.novelty import NEAR_COPY_THRESHOLD, NoveltyIndex
from studio.core.quality.tonal import tonal_measures

#: Lowest and highest MIDI pitch comfortably played on a fiddle (G3 to E7).
PLAYABLE_LOW, PLAYABLE_HIGH = 55, 100
DISSONANT_INTERVALS = frozenset({6, 10, 11, 13, 14})
#: Features compared between sets (Yang & Lerch) and summarised by :func:`reference_ranges`.
SET_FEATURES = ("pitch_range", "distinct_pitch_classes", "pitch_class_entropy", "mean_abs_interval", "step_rate",
                "leap_rate", "dissonant_leap_rate", "in_key_rate", "repeated_bar_share", "bar_error_rate")
_NATURAL_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_MAX_SET_SIZE = 300
_MAX_DISTANCES = 6000
_GRID_POINTS = 256


@dataclass(slots=True)
class TuneMetrics:
    """Metrics of one tune; rates are shares in [0, 1], intervals and ranges in semitones."""

    valid: bool
    bar_error_rate: float
    note_count: int
    pitch_range: int
    notes_outside_playable: int
    in_key_rate: float
    distinct_pitch_classes: int
    pitch_class_entropy: float
    mean_abs_interval: float
    step_rate: float
    leap_rate: float
    dissonant_leap_rate: float
    octave_leap_rate: float
    repeated_bar_share: float
    sections: int
    bars_per_section: float
    section_similarity: float
    final_on_tonic: bool = False
    strain_tonic_share: float = 0.0
    strain_triad_share: float = 0.0
    pitch_class_histogram: list[int] = field(default_factory=lambda: [0] * 12, repr=False)
    interval_histogram: list[int] = field(default_factory=lambda: [0] * 25, repr=False)
    relative_pitch_class_histogram: list[int] = field(default_factory=lambda: [0] * 12, repr=False)

    def as_dict(self) -> dict[str, float | int | bool]:
        """The scalar metrics as a plain dict (histograms left out), e.g. for JSON or a table."""
        values = asdict(self)
        for name in HISTOGRAMS:
            values.pop(name)
        return values


#: The histogram fields of :class:`TuneMetrics` (summed over a set, not compared tune by tune).
HISTOGRAMS = ("pitch_class_histogram", "interval_histogram", "relative_pitch_class_histogram")


def scale_pitch_classes(key: str) -> frozenset[int]:
    """Pitch classes of the scale a ``K:`` value implies (e.g. ``Dmix`` -> D E F# G A B C)."""
    shifts = key_accidentals(key)
    return frozenset((_NATURAL_PC[letter] + shift) % 12 for letter, shift in shifts.items())


def _entropy_bits(counts: list[int]) -> float:
    total = sum(counts)
    if not total:
        return 0.0
    return -sum(c / total * math.log2(c / total) for c in counts if c)


def bar_signature(bar: Bar) -> tuple:
    """What makes two bars the same music: their notes' and rests' pitches and lengths (decorations, chord symbols
    and spelling left out)."""
    return tuple((t.pitch, t.duration) for t in bar.notes if t.kind in ("note", "rest") and t.advance)


def sections_of(bars: list[Bar]) -> list[list[Bar]]:
    """Bars with notes grouped into sections, split at double bars, repeats and final bars."""
    sections: list[list[Bar]] = [[]]
    for bar in bars:
        if bar.notes:
            sections[-1].append(bar)
        if "||" in bar.closing or ":" in bar.closing or "]" in bar.closing:
            if sections[-1]:
                sections.append([])
    return [s for s in sections if s]


def _bigrams(section: list[Bar]) -> set[tuple[int, int]]:
    pitches = [p for bar in section for p in bar.pitches]
    return set(zip(pitches, pitches[1:]))


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def tune_metrics(text: str) -> TuneMetrics:
    """Metrics of one tune; never raises (an unreadable tune gives zeros and ``valid=False``)."""
    report = validate_tune(text)
    scan: ScannedTune = report.scan
    pitches = [t.pitch for t in scan.melody()]
    intervals = [abs(b - a) for a, b in zip(pitches, pitches[1:])]
    pc_counts = [0] * 12
    for pitch in pitches:
        pc_counts[pitch % 12] += 1
    interval_counts = [0] * 25
    for interval in intervals:
        interval_counts[min(interval, 24)] += 1
    scale = scale_pitch_classes(scan.key)
    n_intervals = len(intervals) or 1
    bars = [bar for bar in scan.bars if any(t.pitch is not None for t in bar.notes)]  # rests-only bars: no repeat
    seen: set[tuple] = set()
    repeated = 0
    for bar in bars:
        signature = bar_signature(bar)
        if signature in seen:
            repeated += 1
        seen.add(signature)
    sections = sections_of(scan.bars)
    similarities = [_jaccard(_bigrams(a), _bigrams(b)) for a, b in zip(sections, sections[1:])]
    tonal = tonal_measures(scan, pc_counts)
    return TuneMetrics(
        valid=report.structurally_valid,
        bar_error_rate=report.bar_error_rate,
        note_count=len(pitches),
        pitch_range=(max(pitches) - min(pitches)) if pitches else 0,
        notes_outside_playable=sum(1 for p in pitches if p < PLAYABLE_LOW or p > PLAYABLE_HIGH),
        in_key_rate=sum(pc_counts[pc] for pc in scale) / len(pitches) if pitches else 0.0,
        distinct_pitch_classes=sum(1 for c in pc_counts if c),
        pitch_class_entropy=_entropy_bits(pc_counts),
        mean_abs_interval=sum(intervals) / n_intervals,
        step_rate=sum(1 for i in intervals if 1 <= i <= 2) / n_intervals,
        leap_rate=sum(1 for i in intervals if i >= 5) / n_intervals,
        dissonant_leap_rate=sum(1 for i in intervals if i in DISSONANT_INTERVALS) / n_intervals,
        octave_leap_rate=sum(1 for i in intervals if i > 12) / n_intervals,
        repeated_bar_share=repeated / len(bars) if bars else 0.0,
        sections=len(sections),
        bars_per_section=sum(len(s) for s in sections) / len(sections) if sections else 0.0,
        section_similarity=sum(similarities) / len(similarities) if similarities else 0.0,
        final_on_tonic=tonal.final_on_tonic,
        strain_tonic_share=tonal.strain_tonic_share,
        strain_triad_share=tonal.strain_triad_share,
        pitch_class_histogram=pc_counts,
        interval_histogram=interval_counts,
        relative_pitch_class_histogram=tonal.relative_histogram,
    )


@dataclass(slots=True)
class FeatureComparison:
    """Yang & Lerch for one feature: overlap of intra-set (reference) and inter-set distance densities, and KL."""

    overlap: float
    kl_divergence: float


@dataclass(slots=True)
class SetMetrics:
    """How a set of tunes compares with a reference set."""

    count: int
    validity_rate: float
    bar_correct_rate: float
    novelty_rate: float
    features: dict[str, FeatureComparison]
    pitch_class_js: float
    interval_js: float
    relative_pitch_class_js: float = 1.0
    final_tonic_rate: float = 0.0
    strain_tonic_rate: float = 0.0
    strain_triad_rate: float = 0.0

    @property
    def mean_overlap(self) -> float:
        """Mean overlapping area over the features (1 = indistinguishable from the reference)."""
        return float(np.mean([f.overlap for f in self.features.values()])) if self.features else 0.0

    def as_dict(self) -> dict:
        """Plain nested dict, e.g. for JSON."""
        values = asdict(self)
        values["mean_overlap"] = self.mean_overlap
        return values


def _gaussian_density(samples: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian kernel density (Scott's bandwidth) of samples on a grid, normalised to integrate to 1."""
    spread = float(np.std(samples))
    bandwidth = max(spread * len(samples) ** (-1 / 5), (grid[-1] - grid[0]) / len(grid), 1e-9)
    density = np.zeros_like(grid)
    values, counts = np.unique(samples, return_counts=True)  # distances repeat a lot: one kernel per value
    for chunk in np.array_split(np.arange(len(values)), max(1, len(values) // 1000)):
        kernels = np.exp(-0.5 * ((grid[:, None] - values[None, chunk]) / bandwidth) ** 2)
        density += kernels @ counts[chunk].astype(float)
    step = grid[1] - grid[0]
    total = density.sum() * step
    return density / total if total > 0 else density


def _pairwise_within(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    i, j = np.triu_indices(len(values), k=1)
    distances = np.abs(values[i] - values[j])
    return rng.choice(distances, _MAX_DISTANCES, replace=False) if len(distances) > _MAX_DISTANCES else distances


def _pairwise_between(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    distances = np.abs(a[:, None] - b[None, :]).ravel()
    return rng.choice(distances, _MAX_DISTANCES, replace=False) if len(distances) > _MAX_DISTANCES else distances


def compare_feature(generated: np.ndarray, reference: np.ndarray, seed: int = 0) -> FeatureComparison:
    """Yang & Lerch: density of reference intra-set distances vs generated-to-reference inter-set distances."""
    rng = np.random.default_rng(seed)
    intra = _pairwise_within(reference, rng)
    inter = _pairwise_between(generated, reference, rng)
    if len(intra) == 0 or len(inter) == 0:
        return FeatureComparison(0.0, float("inf"))
    high = max(float(intra.max()), float(inter.max()))
    grid = np.linspace(0.0, high * 1.1 + 1e-6, _GRID_POINTS)
    p = _gaussian_density(intra, grid)
    q = _gaussian_density(inter, grid)
    step = grid[1] - grid[0]
    overlap = float(np.minimum(p, q).sum() * step)
    eps = 1e-10
    kl = float(np.sum(p * np.log((p + eps) / (q + eps))) * step)
    return FeatureComparison(min(overlap, 1.0), max(kl, 0.0))


def js_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) of two histograms (normalised here)."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    if p.sum() == 0 or q.sum() == 0:
        return 1.0
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log2(a[mask] / b[mask])))

    return math.sqrt(max(0.0, (kl(p, m) + kl(q, m)) / 2))


def _subsample(items: list, seed: int) -> list:
    if len(items) <= _MAX_SET_SIZE:
        return list(items)
    return random.Random(seed).sample(list(items), _MAX_SET_SIZE)


def set_metrics(tunes: list[str], reference_tunes: list[str] | None, seed: int = 0,
                novelty_index: NoveltyIndex | None = None,
                reference_metrics: list[TuneMetrics] | None = None) -> SetMetrics:
    """Compares a set of tunes with a reference set.

    Pass ``novelty_index`` (built on the reference) and ``reference_metrics`` (:func:`tune_metrics` of every reference
    tune, in order) to reuse work done before; with both, ``reference_tunes`` may be None. The result is the same.
    """
    measured = [tune_metrics(t) for t in tunes]
    if reference_metrics is not None:
        picked = _subsample(range(len(reference_metrics)), seed)  # the same draw as sampling the tunes themselves
        reference = [reference_metrics[i] for i in picked]
    else:
        reference = [tune_metrics(t) for t in _subsample(reference_tunes, seed)]
    index = novelty_index if novelty_index is not None else NoveltyIndex(reference_tunes)
    count = len(measured) or 1

    def summed_js(name: str) -> float:
        return js_distance(np.sum([getattr(m, name) for m in measured], axis=0),
                           np.sum([getattr(m, name) for m in reference], axis=0))

    features = {}
    for name in SET_FEATURES:
        generated_values = np.array([getattr(m, name) for m in _subsample(measured, seed)], dtype=float)
        reference_values = np.array([getattr(m, name) for m in reference], dtype=float)
        features[name] = compare_feature(generated_values, reference_values, seed)
    return SetMetrics(
        count=len(measured),
        validity_rate=sum(m.valid for m in measured) / count,
        bar_correct_rate=sum(m.bar_error_rate == 0 for m in measured) / count,
        novelty_rate=sum(index.max_similarity(t) < NEAR_COPY_THRESHOLD for t in tunes) / count,
        features=features,
        pitch_class_js=summed_js("pitch_class_histogram"),
        interval_js=summed_js("interval_histogram"),
        relative_pitch_class_js=summed_js("relative_pitch_class_histogram"),
        final_tonic_rate=sum(m.final_on_tonic for m in measured) / count,
        strain_tonic_rate=sum(m.strain_tonic_share for m in measured) / count,
        strain_triad_rate=sum(m.strain_triad_share for m in measured) / count,
    )


def reference_ranges(tunes: list[str]) -> dict[str, tuple[float, float, float]]:
    """5th percentile, median and 95th percentile of each per-tune feature over a set of tunes."""
    return ranges_of_metrics([tune_metrics(t) for t in tunes])


def ranges_of_metrics(measured: list[TuneMetrics]) -> dict[str, tuple[float, float, float]]:
    """:func:`reference_ranges` of tunes already measured."""
    names = [k for k, v in measured[0].as_dict().items() if not isinstance(v, bool)] if measured else []
    ranges = {}
    for name in names:
        values = np.array([getattr(m, name) for m in measured], dtype=float)
        p5, median, p95 = np.percentile(values, [5, 50, 95])
        ranges[name] = (float(p5), float(median), float(p95))
    return ranges


def split_halves(tunes: list[str], seed: int = 0) -> tuple[list[str], list[str]]:
    """Two random halves of a set of tunes (fixed seed)."""
    shuffled = list(tunes)
    random.Random(seed).shuffle(shuffled)
    middle = len(shuffled) // 2
    return shuffled[:middle], shuffled[middle:]


def real_vs_real_baseline(tunes: list[str], seed: int = 0) -> SetMetrics:
    """Metrics of one random half of real tunes against the other half: what 'as good as real' looks like.

    Novelty here is measured against the other half, so repeated settings of a tune in a corpus lower it.
    """
    first, second = split_halves(tunes, seed)
    return set_metrics(first, second, seed)
