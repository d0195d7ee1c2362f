"""Tune collections for training: music21's bundled ABC collections and the user's own files and folders.

``load_corpus(spec)`` reads a built-in collection by name (e.g. ``oneills1850``) or a path to an ``.abc`` file or a
folder of them, splits it into tunes, cleans each tune, drops the ones that carry no usable music (saying why), drops
exact duplicates, and returns a :class:`Corpus` with a report. ``Corpus.split`` gives a deterministic
train/validation split whose seed and tune ids can be stored with a run. :mod:`studio.core.text_levels`
rewrites the tunes at a text level (``raw``, ``canonical``, ``melody``: see
:mod:`studio.core.abc.canonical`); the tune ids stay, so a split carries over, and the identity names the level.
"""

from __future__ import annotations

import hashlib
import importlib.util
import random
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path


from studio.core.abc.canonical import CANONICAL_VERSION
from studio.core.abc.text import clean_tune, decode_abc_bytes, read_headers, split_tunes, tune_title
from studio.core.engraving.notation import MAX_ENGRAVED_CHARS


#: Built-in collections (music21's corpus folder name -> what it is).
BUILTIN_CORPORA: dict[str, str] = {
    "oneills1850": "O'Neill's Music of Ireland (1850): about 2,000 Irish dance tunes and airs",
    "ryansMammoth": "Ryan's Mammoth Collection (1883): about 1,000 fiddle tunes",
    "airdsAirs": "Aird's Selection of Scotch, English, Irish and Foreign Airs",
    "miscFolk": "Miscellaneous folk tunes",
    "essenFolksong": "The Essen folksong collection: about 8,500 mostly German songs",
    "essen300": "300 songs of the Essen collection (a fixed choice): a small collection in a style unlike "
                "O'Neill's, to fine-tune on",
    "irishCombined": "O'Neill's, with Ryan's Mammoth and Aird's airs added to its training side: about 4,200 tunes "
                     "of one tradition; O'Neill's validation tunes stay held out",
}
DEFAULT_CORPUS = "oneills1850"

#: Combined built-in corpora: name -> (primary collection, extra collections). The primary is split exactly as it is
#: on its own (same seed, same validation tunes); the extras only ever add training tunes, and an extra tune that is
#: a near-copy of a validation tune is dropped, so scores on the primary's held-out tunes stay honest.
COMBINED_CORPORA: dict[str, tuple[str, tuple[str, ...]]] = {
    "irishCombined": ("oneills1850", ("ryansMammoth", "airdsAirs")),
}

#: Built-in samples of a large collection: name -> (collection, tunes, seed). The same tunes every time (a fixed
#: random choice among the collection's usable tunes, kept in the collection's order), so runs and scores compare.
SAMPLED_CORPORA: dict[str, tuple[str, int, int]] = {
    "essen300": ("essenFolksong", 300, 0),
}

MIN_BODY_NOTES = 4
MAX_FILE_BYTES = 64 * 1024 * 1024


class CorpusError(Exception):
    """A corpus cannot be read or holds no usable tune; the message says why, for the user."""


@dataclass(frozen=True)
class Tune:
    """One cleaned tune: ``id`` is stable (source file stem and X number), ``text`` starts with ``X:``."""

    id: str
    title: str
    text: str


@dataclass
class CorpusReport:
    """What loading found: kept tunes, characters, vocabulary and the tunes dropped, by reason."""

    name: str
    files: int
    tunes: int
    characters: int
    vocabulary: str
    dropped: dict[str, int] = field(default_factory=dict)
    dropped_examples: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        """A few human-readable lines for a status bar, the CLI or a report."""
        lines = [
            f"{self.name}: {self.tunes:,} tunes, {self.characters:,} characters, "
            f"vocabulary {len(self.vocabulary)} characters, from {self.files} file(s)"
        ]
        for reason, count in sorted(self.dropped.items(), key=lambda kv: -kv[1]):
            examples = ", ".join(self.dropped_examples.get(reason, [])[:3])
            lines.append(f"  dropped {count:,}: {reason}" + (f" (e.g. {examples})" if examples else ""))
        return "\n".join(lines)


@dataclass(frozen=True)
class Split:
    """A deterministic train/validation split of a corpus, reproducible from ``seed`` and the tune ids."""

    seed: int
    validation_fraction: float
    train: tuple[Tune, ...]
    validation: tuple[Tune, ...]

    @property
    def train_text(self) -> str:
        return join_tunes(self.train)

    @property
    def validation_text(self) -> str:
        return join_tunes(self.validation)

    def identity(self) -> dict:
        """What a run stores to prove (and rebuild) its split."""
        return {
            "seed": self.seed,
            "validation_fraction": self.validation_fraction,
            "train_ids": [t.id for t in self.train],
            "validation_ids": [t.id for t in self.validation],
        }


def join_tunes(tunes) -> str:
    """The training text: tunes separated by one blank line, as in a tune book."""
    return "\n\n".join(t.text for t in tunes) + "\n\n"


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


@dataclass
class Corpus:
    """A loaded, cleaned, de-duplicated tune collection, written at ``text_level`` (see
    :mod:`studio.core.text_levels`)."""

    name: str
    source: str
    tunes: list[Tune]
    report: CorpusReport
    #: For a combined corpus: how many leading tunes come from the primary collection (the only ones split).
    primary_count: int | None = None
    text_level: str = "raw"
    normalisation: NormalisationReport | None = None  # what rewriting at text_level changed (None when raw)

    @property
    def text(self) -> str:
        return join_tunes(self.tunes)

    def identity(self) -> str:
        """A short content hash: two corpora with the same tunes (at the same text level) have the same identity.

        A raw corpus hashes its texts alone, as before text levels existed, so older runs still match."""
        digest = hashlib.sha256()
        if self.text_level != "raw":
            digest.update(f"text level {self.text_level} v{CANONICAL_VERSION}\0".encode("utf-8"))
        for tune in self.tunes:
            digest.update(tune.text.encode("utf-8"))
            digest.update(b"\0")
        return digest.hexdigest()[:16]

    def split(self, validation_fraction: float = 0.1, seed: int = 0) -> Split:
        """Shuffles tune order with ``seed`` and keeps ``validation_fraction`` of tunes (at least one) apart."""
        if not 0.0 <= validation_fraction < 1.0:
            raise ValueError("validation_fraction must be in [0, 1)")
        primary = self.tunes if self.primary_count is None else self.tunes[:self.primary_count]
        order = list(primary)
        random.Random(seed).shuffle(order)
        n_val = 0 if validation_fraction == 0 else max(1, round(len(order) * validation_fraction))
        if len(order) - n_val < 1:
            n_val = 0
        train, validation = order[n_val:], order[:n_val]
        if self.primary_count is not None:
            train += held_out_safe(self.tunes[self.primary_count:], validation, self.report)
        return Split(seed, validation_fraction, tuple(train), tuple(validation))

    def split_from_ids(self, identity: dict) -> Split:
        """Rebuilds a stored split; raises CorpusError when the corpus no longer holds those tunes."""
        by_id = {t.id: t for t in self.tunes}
        missing = [i for i in identity["train_ids"] + identity["validation_ids"] if i not in by_id]
        if missing:
            raise CorpusError(f"the corpus no longer holds {len(missing)} tune(s) of the stored split, e.g. {missing[0]}")
        return Split(
            identity["seed"],
            identity["validation_fraction"],
            tuple(by_id[i] for i in identity["train_ids"]),
            tuple(by_id[i] for i in identity["validation_ids"]),
        )


def held_out_safe(extra: list[Tune], validation: list[Tune], report: CorpusReport) -> list[Tune]:
    """The extra tunes that are not near-copies of a validation tune (the others are counted in ``report``)."""
    if not validation:
        return list(extra)
    from studio.core.quality.novelty import NoveltyIndex  # numpy: only combined corpora need it

    index = NoveltyIndex([t.text for t in validation])
    kept = []
    reason = "near-copy of a validation tune (kept out of training)"
    report.dropped.pop(reason, None)
    report.dropped_examples.pop(reason, None)
    for tune in extra:
        if index.is_near_copy(tune.text):
            report.dropped[reason] = report.dropped.get(reason, 0) + 1
            report.dropped_examples.setdefault(reason, []).append(tune.id)
        else:
            kept.append(tune)
    return kept


def builtin_corpus_folder(name: str) -> Path | None:
    """music21's folder of a built-in collection, found without importing music21 (a quarter of a second that a
    command reading only the ABC files need not spend), or None when music21 or the folder is missing."""
    spec = importlib.util.find_spec("music21")
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent / "corpus" / name
    return folder if folder.is_dir() else None


def builtin_corpus_files(name: str) -> list[Path]:
    """The ABC files of one of music21's bundled collections (the ``.abc`` files of its corpus folder, as music21's
    ``corpus.getCorePaths`` lists them)."""
    folder = builtin_corpus_folder(name)
    if folder is None:
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() == ".abc")


def _user_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".abc")
        if not files:
            raise CorpusError(f"the folder {path} holds no .abc file")
        return files
    if path.is_file():
        return [path]
    raise CorpusError(f"no such file or folder: {path}")


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return False
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\t")
    return control / len(sample) > 0.05


def _drop_reason(cleaned: str, raw: str) -> str | None:
    if _looks_binary(raw):
        return "binary or unreadable text"
    if not cleaned:
        return "no K: (key) field"
    body = cleaned.split("\n")
    header_lines = sum(1 for line in body if len(line) > 1 and line[1] == ":" and line[0].isalpha())
    notes = sum(ch in "ABCDEFGabcdefgz" for line in body[header_lines:] for ch in line)
    if notes < MIN_BODY_NOTES:
        return "no music after the header"
    if len(cleaned) > MAX_ENGRAVED_CHARS:  # it could be neither engraved nor played
        return f"longer than {MAX_ENGRAVED_CHARS:,} characters"
    return None


def tunes_from_text(text: str, source_name: str, report: CorpusReport, seen: set[str]) -> list[Tune]:
    """Splits and cleans one file's text, recording dropped tunes in ``report``; ``seen`` de-duplicates."""
    kept = []
    for raw in split_tunes(text):
        headers = read_headers(raw)
        number = headers.get("X", "").strip() or "?"
        tune_id = f"{source_name}:{number}"
        cleaned = clean_tune(raw)
        reason = _drop_reason(cleaned, raw)
        music = cleaned.split("\n", 1)[-1]  # the X: number does not make a tune different
        if reason is None and music in seen:
            reason = "exact duplicate of an earlier tune"
        if reason:
            report.dropped[reason] = report.dropped.get(reason, 0) + 1
            report.dropped_examples.setdefault(reason, []).append(tune_id)
            continue
        seen.add(music)
        kept.append(Tune(tune_id, tune_title(raw, "(untitled)"), cleaned))
    return kept


def load_corpus(spec: str | Path = DEFAULT_CORPUS) -> Corpus:
    """Loads a built-in collection by name, or an ``.abc`` file or folder by path, as written (the raw level;
    :func:`studio.core.text_levels.load_corpus_at_level` writes it at another).

    Raises CorpusError with a readable message for a missing path, an unreadable file or no usable tune.
    """
    spec_str = str(spec)
    if spec_str in SAMPLED_CORPORA:
        return _sampled_corpus(spec_str)
    primary_file_count = None
    if spec_str in COMBINED_CORPORA:
        primary, extras = COMBINED_CORPORA[spec_str]
        primary_file_count = len(builtin_corpus_files(primary))
        files = [f for name_ in (primary, *extras) for f in builtin_corpus_files(name_)]
        name = spec_str
    elif spec_str in BUILTIN_CORPORA:
        files = builtin_corpus_files(spec_str)
        name = spec_str
        if not files:
            raise CorpusError(f"music21's corpus has no files for {spec_str}")
    else:
        path = Path(spec_str).expanduser()
        files = _user_files(path)
        name = path.name or str(path)
    report = CorpusReport(name=name, files=len(files), tunes=0, characters=0, vocabulary="")
    seen: set[str] = set()
    tunes: list[Tune] = []
    ids: Counter = Counter()
    primary_tunes = None  # for a combined corpus: the number of tunes read from the primary's files
    for number, file in enumerate(files):
        if number == primary_file_count:
            primary_tunes = len(tunes)
        try:
            if file.stat().st_size > MAX_FILE_BYTES:
                raise CorpusError(f"{file.name} is larger than {MAX_FILE_BYTES // 2**20} MB")
            text = decode_abc_bytes(file.read_bytes())
        except OSError as exc:
            raise CorpusError(f"cannot read {file}: {exc.strerror or exc}") from exc
        for tune in tunes_from_text(text, file.stem, report, seen):
            ids[tune.id] += 1
            if ids[tune.id] > 1:  # two tunes with the same X in one file: keep ids unique
                tune = Tune(f"{tune.id}#{ids[tune.id]}", tune.title, tune.text)
            tunes.append(tune)
    if not tunes:
        why = "; ".join(f"{count} {reason}" for reason, count in report.dropped.items()) or "no X: line found"
        raise CorpusError(f"{name} holds no usable ABC tune ({why})")
    if primary_file_count is not None and primary_tunes is None:
        primary_tunes = len(tunes)
    corpus = Corpus(name=name, source=spec_str, tunes=tunes, report=report, primary_count=primary_tunes)
    text = corpus.text
    report.tunes = len(tunes)
    report.characters = len(text)
    report.vocabulary = "".join(sorted(set(text)))
    return corpus


def _sampled_corpus(name: str) -> Corpus:
    """A built-in sample (``SAMPLED_CORPORA``): ``count`` tunes of a collection chosen with a fixed seed."""
    collection, count, seed = SAMPLED_CORPORA[name]
    whole = load_corpus(collection)
    chosen = sorted(random.Random(seed).sample(range(len(whole.tunes)), min(count, len(whole.tunes))))
    tunes = [whole.tunes[i] for i in chosen]
    text = join_tunes(tunes)
    report = replace(whole.report, name=name, tunes=len(tunes), characters=len(text),
                     vocabulary="".join(sorted(set(text))))
    return Corpus(name=name, source=name, tunes=tunes, report=report)
