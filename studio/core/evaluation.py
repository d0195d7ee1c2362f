"""Judging a set of tunes against a corpus: per-tune metrics, set metrics, the corpus's ranges and baseline.

:class:`CorpusReference` holds what a comparison needs from a corpus (5-95 % ranges per feature, the real-vs-real
baseline, a novelty index); the ranges and baseline take a few seconds on O'Neill's, so they are cached as JSON in
``data_home()/cache`` under the corpus identity. :func:`evaluate_tunes` scores tunes against such a reference;
:func:`read_tunes_file` and :func:`run_sample_tunes` find tunes to score.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from studio.core.corpus import Corpus, load_corpus
from studio.core.metrics import (NoveltyIndex, SetMetrics, TuneMetrics, ranges_of_metrics, real_vs_real_baseline,
                                 set_metrics, tune_metrics)
from studio.core.runs import Run, data_home, write_json_atomic
from studio.core.tune_book import TuneBookError, read_tune_book

#: Per-tune features shown in tables, in order (name, short label).
TABLE_FEATURES = (
    ("valid", "valid"), ("bar_error_rate", "bar err"), ("note_count", "notes"), ("pitch_range", "range"),
    ("in_key_rate", "in key"), ("distinct_pitch_classes", "PCs"), ("pitch_class_entropy", "PC entropy"),
    ("mean_abs_interval", "mean |int|"), ("step_rate", "steps"), ("leap_rate", "leaps"),
    ("dissonant_leap_rate", "dissonant"), ("octave_leap_rate", "> octave"), ("repeated_bar_share", "repeat"),
    ("sections", "sections"), ("section_similarity", "sect sim"),
)
_CACHE_VERSION = 2


class EvaluationError(Exception):
    """Tunes cannot be read or scored; the message says why, for the user."""


@dataclass
class CorpusReference:
    """A corpus's reference statistics: ``ranges`` {feature: (p5, median, p95)} and the real-vs-real baseline."""

    corpus: Corpus
    ranges: dict[str, tuple[float, float, float]]
    baseline: dict
    histograms: dict[str, list[int]] = field(default_factory=dict)
    _novelty: NoveltyIndex | None = field(default=None, repr=False)

    @property
    def tunes(self) -> list[str]:
        return [t.text for t in self.corpus.tunes]

    @property
    def novelty(self) -> NoveltyIndex:
        if self._novelty is None:
            self._novelty = NoveltyIndex(self.tunes)
        return self._novelty

    def outside(self, feature: str, value: float) -> bool:
        """True when ``value`` lies outside the corpus's 5th-95th percentile range of ``feature``."""
        if feature not in self.ranges or isinstance(value, bool):
            return False
        low, _, high = self.ranges[feature]
        return value < low - 1e-9 or value > high + 1e-9


def _cache_path(corpus: Corpus) -> Path:
    return data_home() / "cache" / f"reference-{corpus.identity()}.json"


def corpus_reference(corpus: Corpus | str) -> CorpusReference:
    """The reference statistics of a corpus (or corpus spec), from the disk cache when it has them."""
    if not isinstance(corpus, Corpus):
        corpus = load_corpus(corpus)
    path = _cache_path(corpus)
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if cached.get("version") == _CACHE_VERSION:
            ranges = {k: tuple(v) for k, v in cached["ranges"].items()}
            return CorpusReference(corpus, ranges, cached["baseline"], cached["histograms"])
    except (OSError, ValueError, KeyError):
        pass
    tunes = [t.text for t in corpus.tunes]
    measured = [tune_metrics(t) for t in tunes]  # once: ranges and histograms share it
    ranges = ranges_of_metrics(measured)
    baseline = real_vs_real_baseline(tunes).as_dict() if len(tunes) >= 4 else {}
    histograms = histograms_of_metrics(measured)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(path, {"version": _CACHE_VERSION, "ranges": ranges, "baseline": baseline,
                                 "histograms": histograms})
    except OSError:
        pass  # a cache that cannot be written only costs time
    return CorpusReference(corpus, ranges, baseline, histograms)


def set_histograms(tunes: list[str]) -> dict[str, list[int]]:
    """Summed pitch-class (12 bins, C first) and interval (0..24+ semitones) histograms of a set of tunes."""
    return histograms_of_metrics([tune_metrics(t) for t in tunes])


def histograms_of_metrics(measured: list[TuneMetrics]) -> dict[str, list[int]]:
    """:func:`set_histograms` of tunes already measured."""
    pitch_classes, intervals = [0] * 12, [0] * 25
    for metrics in measured:
        pitch_classes = [a + b for a, b in zip(pitch_classes, metrics.pitch_class_histogram)]
        intervals = [a + b for a, b in zip(intervals, metrics.interval_histogram)]
    return {"pitch_class": pitch_classes, "interval": intervals}


@dataclass
class Evaluation:
    """Scores of a set of tunes: per tune, for the set, and the nearest corpus similarity of each tune."""

    tunes: list[str]
    per_tune: list[TuneMetrics]
    novelty: list[float]
    set_metrics: SetMetrics


def evaluate_tunes(tunes: list[str], reference: CorpusReference) -> Evaluation:
    """Scores ``tunes`` against ``reference`` (raises EvaluationError when there is nothing to score)."""
    if not tunes:
        raise EvaluationError("there are no tunes to evaluate (no line starting with X: was found)")
    return Evaluation(
        tunes=list(tunes),
        per_tune=[tune_metrics(t) for t in tunes],
        novelty=[reference.novelty.max_similarity(t) for t in tunes],
        set_metrics=set_metrics(tunes, reference.tunes, novelty_index=reference.novelty),
    )


def read_tunes_file(path: Path | str) -> list[str]:
    """The tunes of an .abc file (EvaluationError when it is missing, unreadable or holds no tune)."""
    try:
        return read_tune_book(path)
    except TuneBookError as exc:
        raise EvaluationError(str(exc)) from None


def run_sample_tunes(run: Run) -> list[str]:
    """Every tune saved in a run's samples folder."""
    files = sorted(run.samples_dir.glob("*.abc")) if run.samples_dir.is_dir() else []
    if not files:
        raise EvaluationError(f"run {run.name!r} has no saved samples yet: generate some first")
    return [tune for path in files for tune in read_tunes_file(path)]


