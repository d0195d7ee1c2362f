"""A corpus at a text level (raw, canonical, melody): its rewritten tunes, what the rewrite changed, and a cache.

:func:`corpus_at_level` rewrites every tune with :func:`studio.core.abc.canonical.normalise_tune` (10-20 ms a
tune, so the result is cached in the data folder, keyed by the raw corpus's identity, the level and the rules' version)
and reports what changed: characters before and after, counts per kind of change, the tunes left raw because
their canonical form would change the music, and one tune before and after.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from studio.core.abc.canonical import CANONICAL_VERSION, TEXT_LEVELS, normalise_tune
from studio.core.atomic_files import write_json_atomic
from studio.core.paths import data_home

from studio.core.corpus import Corpus, NormalisationReport, load_corpus

#: The example tune of a report is the one with the most kinds of change among tunes shorter than this.
EXAMPLE_MAX_CHARS = 900


def rules_record(level: str) -> dict:
    """What a run records of the canonical rules its text was written by (nothing for raw text)."""
    return {} if level == "raw" else {"canonical_rules": CANONICAL_VERSION}


def older_rules(record: dict, level: str) -> str:
    """The canonical rules a corpus record (a run's or a checkpoint's) says its text at ``level`` was written by, when
    older than today's: ``"5"``, or ``"before 6"`` for a record kept before the rules were recorded; ``""`` for
    today's rules or raw text."""
    rules = record.get("canonical_rules")
    return "" if level == "raw" or rules == CANONICAL_VERSION else str(rules or f"before {CANONICAL_VERSION}")


def _cache_path(corpus: Corpus, level: str):
    return data_home() / "cache" / f"text-{corpus.identity()}-{level}-v{CANONICAL_VERSION}.json"


def corpus_at_level(corpus: Corpus, level: str, use_cache: bool = True,
                    progress: Callable[[int, int], object] | None = None) -> Corpus:
    """``corpus`` (read raw) with every tune rewritten at ``level``; the same tune ids, so splits carry over.

    A corpus already at ``level`` (``raw`` too) comes back unchanged. The result's ``normalisation`` holds the report. ``progress(done,
    total)`` is called every 50 tunes while rewriting (not when the cache answers); a true return value stops the
    rewrite (``InterruptedError``).
    """
    if level not in TEXT_LEVELS:
        raise ValueError(f"unknown text level {level!r}; choose one of {', '.join(TEXT_LEVELS)}")
    if level == corpus.text_level:
        return corpus
    if corpus.text_level != "raw":
        raise ValueError(f"{corpus.name} is already at the {corpus.text_level} level; start from the raw corpus")
    if level == "raw":
        return corpus
    path = _cache_path(corpus, level)
    cached = _read_cache(path) if use_cache else None
    if cached is not None and [t.id for t in corpus.tunes] == list(cached["texts"]):
        texts = cached["texts"]
        report = NormalisationReport(**cached["report"])
    else:
        texts, report = _normalise(corpus, level, progress)
        if use_cache:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                write_json_atomic(path, {"texts": texts, "report": report.to_dict()})
            except OSError:
                pass  # a read-only data folder only costs the time of the next rewrite
    leveled = replace(corpus, tunes=[replace(t, text=texts[t.id]) for t in corpus.tunes], text_level=level,
                      normalisation=report)
    text = leveled.text
    leveled.report = replace(corpus.report, characters=len(text), vocabulary="".join(sorted(set(text))))
    report.characters_after = len(text)
    return leveled


def _normalise(corpus: Corpus, level: str, progress=None) -> tuple[dict[str, str], NormalisationReport]:
    texts: dict[str, str] = {}
    changes: Counter = Counter()
    kept_raw: list[str] = []
    example: tuple[int, str, str, str] = (-1, "", "", "")
    for done, tune in enumerate(corpus.tunes):
        if progress is not None and done % 50 == 0 and progress(done, len(corpus.tunes)):
            raise InterruptedError("rewriting the corpus was stopped")
        result = normalise_tune(tune.text, level)
        texts[tune.id] = result.text
        changes.update(result.changes)
        if result.kept_raw:
            kept_raw.append(tune.id)
        elif len(result.changes) > example[0] and len(tune.text) <= EXAMPLE_MAX_CHARS:
            example = (len(result.changes), tune.id, tune.text, result.text)
    report = NormalisationReport(level, len(corpus.tunes), corpus.report.characters, 0, dict(changes), kept_raw,
                                 *example[1:])
    return texts, report


def _read_cache(path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        NormalisationReport(**data["report"])
        return data if isinstance(data.get("texts"), dict) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load_corpus_at_level(spec, level: str) -> Corpus:
    """A built-in collection or an ``.abc`` file or folder (see :func:`~studio.core.corpus.load_corpus`), written at
    ``level``."""
    return corpus_at_level(load_corpus(spec), level)
