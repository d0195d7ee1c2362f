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
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING

from studio.core.abc.canonical import CANONICAL_VERSION, TEXT_LEVELS, normalise_tune
from studio.core.runs import data_home, write_json_atomic

if TYPE_CHECKING:  # corpus.py imports this module; at run time the corpus comes in as an argument
    from studio.core.corpus import Corpus

#: The example tune of a report is the one with the most kinds of change among tunes shorter than this.
EXAMPLE_MAX_CHARS = 900


@dataclass
class NormalisationReport:
    """What rewriting a corpus at ``level`` changed (``changes``: kind -> count, e.g. ``slurs``, ``spaces``)."""

    level: str
    tunes: int
    characters_before: int
    characters_after: int
    changes: dict[str, int] = field(default_factory=dict)
    kept_raw: list[str] = field(default_factory=list)
    example_id: str = ""
    example_before: str = ""
    example_after: str = ""

    def summary(self) -> str:
        """A few lines for the CLI or the corpus report."""
        ratio = self.characters_after / self.characters_before if self.characters_before else 1.0
        lines = [f"text level {self.level}: {self.characters_before:,} -> {self.characters_after:,} characters "
                 f"({ratio:.1%})"]
        if self.changes:
            lines.append("  changed: " + ", ".join(f"{kind} {count:,}" for kind, count in
                                                    sorted(self.changes.items(), key=lambda kv: -kv[1])))
        if self.kept_raw:
            lines.append(f"  left raw (the rewrite would change the music): {len(self.kept_raw)}, e.g. "
                         + ", ".join(self.kept_raw[:3]))
        return "\n".join(lines)

    def example(self) -> str:
        """One tune before and after the rewrite (the one with the most kinds of change), for the CLI and window."""
        if not self.example_id:
            return "(no tune changed)"
        return (f"tune {self.example_id} before:\n{self.example_before.strip()}\n\n"
                f"after ({self.level}):\n{self.example_after.strip()}")

    def to_dict(self) -> dict:
        return asdict(self)


def _cache_path(corpus: Corpus, level: str):
    return data_home() / "cache" / f"text-{corpus.identity()}-{level}-v{CANONICAL_VERSION}.json"


def corpus_at_level(corpus: Corpus, level: str, use_cache: bool = True,
                    progress: Callable[[int, int], object] | None = None) -> Corpus:
    """``corpus`` (read raw) with every tune rewritten at ``level``; the same tune ids, so splits carry over.

    ``raw`` gives the corpus back unchanged. The result's ``normalisation`` holds the report. ``progress(done,
    total)`` is called every 50 tunes while rewriting (not when the cache answers); a true return value stops the
    rewrite (``InterruptedError``).
    """
    if level not in TEXT_LEVELS:
        raise ValueError(f"unknown text level {level!r}; choose one of {', '.join(TEXT_LEVELS)}")
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
    # built with dataclasses.replace, so this module needs nothing from corpus.py (which imports it)
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
