"""Judging a set of tunes against a corpus: per-tune metrics, set metrics, the corpus's ranges and baseline.

:class:`CorpusReference` holds what a comparison needs from a corpus (5-95 % ranges per feature, the real-vs-real
baseline, every tune's metrics, a novelty index); they take several seconds on O'Neill's, so :func:`corpus_reference`
caches them on disk (see :mod:`studio.core.quality.reference_cache`). :func:`evaluate_tunes` scores tunes against a reference;
:func:`read_tunes_file` and :func:`run_sample_tunes` find tunes to score.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from studio.core.corpus import Corpus, load_corpus
from studio.core.quality.metrics import (
    HISTOGRAMS,
    SetMetrics,
    TuneMetrics,
    ranges_of_metrics,
    real_vs_real_baseline,
    set_metrics,
    tune_metrics,
)
from studio.core.quality.novelty import NoveltyIndex
from studio.core.quality.reference_cache import cache_key, read_cached, source_fingerprint, spec_slot, write_cached
from studio.core.runs import Run
from studio.core.tune_book import TuneBookError, read_tune_book

#: Per-tune features shown in tables, in order (name, short label).
TABLE_FEATURES = (
    ("valid", "valid"), ("bar_error_rate", "bar err"), ("note_count", "notes"), ("pitch_range", "range"),
    ("in_key_rate", "in key"), ("distinct_pitch_classes", "PCs"), ("pitch_class_entropy", "PC entropy"),
    ("mean_abs_interval", "mean |int|"), ("step_rate", "steps"), ("leap_rate", "leaps"),
    ("dissonant_leap_rate", "dissonant"), ("octave_leap_rate", "> octave"), ("repeated_bar_share", "repeat"),
    ("sections", "sections"), ("section_similarity", "sect sim"), ("final_on_tonic", "ends home"),
    ("strain_tonic_share", "strain tonic"), ("strain_triad_share", "strain triad"),
)
#: Set metrics shown in tables beside the corpus's real-vs-real baseline, in order (name, label).
SET_TABLE = (("validity_rate", "validity rate"), ("bar_correct_rate", "bar-correct rate"),
             ("novelty_rate", "novelty rate"), ("mean_overlap", "mean overlap (Y&L)"),
             ("pitch_class_js", "pitch-class JS dist."), ("relative_pitch_class_js", "PC-from-tonic JS dist."),
             ("interval_js", "interval JS dist."), ("final_tonic_rate", "final note on tonic"),
             ("strain_tonic_rate", "strain ends on tonic"), ("strain_triad_rate", "strain ends on triad"))


class EvaluationError(Exception):
    """Tunes cannot be read or scored; the message says why, for the user."""


@dataclass
class CorpusReference:
    """A corpus's reference statistics: ``ranges`` {feature: (p5, median, p95)}, the real-vs-real baseline, summed
    histograms, every tune's metrics and title, and a novelty index. The corpus itself is loaded only when asked for
    (a cached reference does not need it)."""

    name: str
    source: str
    identity: str
    titles: list[str]
    ranges: dict[str, tuple[float, float, float]]
    baseline: dict
    histograms: dict[str, list[int]] = field(default_factory=dict)
    tune_metrics: list[TuneMetrics] = field(default_factory=list, repr=False)
    _corpus: Corpus | None = field(default=None, repr=False)
    _novelty: NoveltyIndex | None = field(default=None, repr=False)

    @property
    def corpus(self) -> Corpus:
        if self._corpus is None:
            self._corpus = load_corpus(self.source)
        return self._corpus

    @property
    def tune_count(self) -> int:
        return len(self.titles)

    @property
    def tunes(self) -> list[str]:
        return [t.text for t in self.corpus.tunes]

    @property
    def novelty(self) -> NoveltyIndex:
        if self._novelty is None:
            self._novelty = NoveltyIndex(self.tunes)
        return self._novelty

    def share(self, feature: str) -> float:
        """The share of the corpus's tunes for which a yes/no feature (``final_on_tonic``, ``valid``) is true."""
        values = [bool(getattr(m, feature)) for m in self.tune_metrics]
        return sum(values) / len(values) if values else 0.0

    def outside(self, feature: str, value: float) -> bool:
        """True when ``value`` lies outside the corpus's 5th-95th percentile range of ``feature``."""
        if feature not in self.ranges or isinstance(value, bool):
            return False
        low, _, high = self.ranges[feature]
        return value < low - 1e-9 or value > high + 1e-9


_SCALAR_FIELDS = [f.name for f in fields(TuneMetrics) if f.name not in HISTOGRAMS]
_FIELD_TYPES = {f.name: {"bool": bool, "int": int}.get(str(f.type), float) for f in fields(TuneMetrics)}


def _measure(corpus: Corpus) -> CorpusReference:
    tunes = [t.text for t in corpus.tunes]
    measured = [tune_metrics(t) for t in tunes]  # once: ranges, histograms and set comparisons share it
    index = NoveltyIndex(tunes)
    baseline = real_vs_real_baseline(tunes).as_dict() if len(tunes) >= 4 else {}
    return CorpusReference(corpus.name, corpus.source, corpus.identity(), [t.title for t in corpus.tunes],
                           ranges_of_metrics(measured), baseline, histograms_of_metrics(measured), measured,
                           corpus, index)


def _to_cache(reference: CorpusReference) -> tuple[dict, dict]:
    meta = {"name": reference.name, "source": reference.source, "identity": reference.identity,
            "titles": reference.titles, "ranges": reference.ranges, "baseline": reference.baseline,
            "histograms": reference.histograms, "scalar_fields": _SCALAR_FIELDS}
    measured = reference.tune_metrics
    arrays = {
        "scalars": np.array([[getattr(m, name) for name in _SCALAR_FIELDS] for m in measured], dtype=float),
        **{name: np.array([getattr(m, name) for m in measured], dtype=np.int64) for name in HISTOGRAMS},
        **reference.novelty.arrays(),
    }
    return meta, arrays


def _from_cache(meta: dict, arrays: dict, corpus: Corpus | None) -> CorpusReference | None:
    """The reference a cache entry describes, or None when it is malformed."""
    try:
        if meta["scalar_fields"] != _SCALAR_FIELDS:
            return None
        titles = [str(t) for t in meta["titles"]]
        rows = arrays["scalars"]
        histograms = [arrays[name].tolist() for name in HISTOGRAMS]
        if any(len(h) != len(titles) for h in histograms) or len(rows) != len(titles):
            return None
        measured = [
            TuneMetrics(**{name: _FIELD_TYPES[name](value) for name, value in zip(_SCALAR_FIELDS, row)},
                        **dict(zip(HISTOGRAMS, tune_histograms)))
            for row, *tune_histograms in zip(rows.tolist(), *histograms)
        ]
        return CorpusReference(
            str(meta["name"]), str(meta["source"]), str(meta["identity"]), titles,
            {k: (float(a), float(b), float(c)) for k, (a, b, c) in meta["ranges"].items()},
            dict(meta["baseline"]), dict(meta["histograms"]), measured, corpus, NoveltyIndex.from_arrays(arrays))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def corpus_reference(corpus: Corpus | str) -> CorpusReference:
    """The reference statistics of a corpus (or corpus spec), from the disk cache when it has them.

    See :mod:`studio.core.quality.reference_cache` for what the cache is keyed by; a cached spec is not even loaded.
    """
    loaded = corpus if isinstance(corpus, Corpus) else None
    corpus_key = loaded.identity() if loaded is not None else source_fingerprint(str(corpus))
    slot = corpus_key if loaded is not None else spec_slot(str(corpus))
    if corpus_key is None:  # the spec's files cannot be listed cheaply: load it (and get its real error, if any)
        loaded = load_corpus(corpus)
        corpus_key = slot = loaded.identity()
    key = cache_key(corpus_key, slot)
    reference = _cached(key, loaded)
    if reference is None:
        loaded = loaded if loaded is not None else load_corpus(corpus)
        reference = _cached_under_the_other_key(key, loaded)  # the same tunes, measured as a spec or as loaded
        if reference is None:
            reference = _measure(loaded)
        write_cached(key, *_to_cache(reference))
    return reference


def _cached(key: str, loaded: Corpus | None) -> CorpusReference | None:
    cached = read_cached(key)
    return _from_cache(*cached, loaded) if cached is not None else None


def _cached_under_the_other_key(key: str, loaded: Corpus) -> CorpusReference | None:
    """The reference of ``loaded``'s tunes cached under their other key (a corpus measured by its spec, then
    loaded, or the other way round), when its stored identity is ``loaded``'s: O'Neill's is measured once."""
    identity = loaded.identity()
    fingerprint = source_fingerprint(loaded.source)
    others = [cache_key(identity, identity)]
    if fingerprint is not None:
        others.append(cache_key(fingerprint, spec_slot(loaded.source)))
    for other in others:
        reference = _cached(other, loaded) if other != key else None
        if reference is not None and reference.identity == identity:
            return reference
    return None


def set_histograms(tunes: list[str]) -> dict[str, list[int]]:
    """Summed pitch-class (12 bins, C first), interval (0..24+ semitones) and pitch-class-from-the-tonic
    (``relative_pitch_class``, 12 bins, the tonic first) histograms of a set of tunes."""
    return histograms_of_metrics([tune_metrics(t) for t in tunes])


def histograms_of_metrics(measured: list[TuneMetrics]) -> dict[str, list[int]]:
    """:func:`set_histograms` of tunes already measured."""
    pitch_classes, intervals, relative = [0] * 12, [0] * 25, [0] * 12
    for metrics in measured:
        pitch_classes = [a + b for a, b in zip(pitch_classes, metrics.pitch_class_histogram)]
        intervals = [a + b for a, b in zip(intervals, metrics.interval_histogram)]
        relative = [a + b for a, b in zip(relative, metrics.relative_pitch_class_histogram)]
    return {"pitch_class": pitch_classes, "interval": intervals, "relative_pitch_class": relative}


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
        set_metrics=set_metrics(tunes, None, novelty_index=reference.novelty,
                                reference_metrics=reference.tune_metrics),
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


