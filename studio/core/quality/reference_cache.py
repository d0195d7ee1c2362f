"""The disk cache of a corpus's reference statistics: where it lives, what it is keyed by, reading and writing it.

A cache file (``.npz``: numpy arrays, plus a JSON document stored as bytes under ``meta``) holds everything
:class:`studio.core.quality.evaluation.CorpusReference` needs (ranges, baseline, histograms, per-tune metrics, titles, the
novelty index), so a cached ``evaluate`` neither loads the corpus nor imports music21, and reads it in milliseconds.
Its name is a hash of three things, and a change to any of them makes a new file:

- the corpus: its content hash (:meth:`Corpus.identity`) when a loaded corpus is given, or for a spec (a built-in
  name or a path) a fingerprint of its source files (path, size, modification time) and of the loader's code;
- :func:`metrics_version`: a hash of the source of the code that computes the statistics (:data:`METRIC_SOURCES`);
- :data:`CACHE_LAYOUT`, raised by hand when the file's layout changes.

A file's name starts with its slot (the corpus's identity, or a hash of the spec): writing a new entry deletes the
older entries of the same slot, so the folder does not fill up with stale versions.

Files are written atomically (temporary file, flush, fsync, rename); a missing, corrupt or stale file reads as None
and an unwritable folder only costs time: neither is ever fatal.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from studio.core.atomic_files import replacing
from studio.core.paths import data_home

#: Raised by hand when the layout of a cache file changes.
CACHE_LAYOUT = 4  # 4: the tonal measures and the pitch-class-from-the-tonic histogram
_QUALITY = Path(__file__).resolve().parent
_CORE = _QUALITY.parent
#: The code whose results a cache file stores: a change to any of these files changes :func:`metrics_version`.
METRIC_SOURCES: tuple[Path, ...] = (
    _QUALITY / "metrics.py", _QUALITY / "tonal.py", _QUALITY / "novelty.py", _QUALITY / "evaluation.py",
    _QUALITY / "reference_cache.py",
    *sorted((_CORE / "abc").glob("*.py")),
)
#: The code that turns source files into a corpus (cleaning, splitting): part of a spec's fingerprint.
CORPUS_LOADER_SOURCES: tuple[Path, ...] = (_CORE / "corpus.py", _CORE / "abc" / "text.py")


def _hash_files(paths, digest) -> None:
    for path in paths:
        digest.update(path.name.encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
        digest.update(b"\0")


def metrics_version(sources: tuple[Path, ...] | None = None) -> str:
    """A short hash of the metric code's source (``sources`` defaults to :data:`METRIC_SOURCES`)."""
    digest = hashlib.sha256()
    _hash_files(METRIC_SOURCES if sources is None else sources, digest)
    return digest.hexdigest()[:16]


def source_fingerprint(spec: str) -> str | None:
    """A cheap fingerprint of a corpus spec's files (None when they cannot be listed: load the corpus instead)."""
    from studio.core.corpus import BUILTIN_CORPORA, CorpusError, _user_files, builtin_corpus_folder

    try:
        if spec in BUILTIN_CORPORA:
            folder = builtin_corpus_folder(spec)
            if folder is None:
                return None
            files = sorted(p for p in folder.rglob("*") if p.is_file())
        else:
            files = _user_files(Path(spec).expanduser())
        digest = hashlib.sha256(spec.encode())
        _hash_files(CORPUS_LOADER_SOURCES, digest)
        for file in files:
            stat = file.stat()
            digest.update(f"{file.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    except (OSError, CorpusError):
        return None
    return "src" + digest.hexdigest()[:16]


def cache_key(corpus_key: str, slot: str, version: str | None = None) -> str:
    """The cache file's key: ``slot`` (which corpus: its identity, or a hash of its spec), then a hash of the corpus
    key, the metrics version and the layout together. A new entry replaces the other entries of its slot."""
    version = metrics_version() if version is None else version
    return f"{slot}-" + hashlib.sha256(f"{CACHE_LAYOUT}|{version}|{corpus_key}".encode()).hexdigest()[:24]


def spec_slot(spec: str) -> str:
    """The cache slot of a corpus spec (a built-in name or a path)."""
    return "spec" + hashlib.sha256(spec.encode()).hexdigest()[:12]


def cache_path(key: str) -> Path:
    return data_home() / "cache" / f"reference-{key}.npz"


def read_cached(key: str) -> tuple[dict, dict[str, np.ndarray]] | None:
    """The stored ``(meta, arrays)`` for ``key``, or None when missing, unreadable, corrupt or for another key."""
    try:
        with np.load(cache_path(key), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
    except (OSError, ValueError, KeyError, UnicodeDecodeError, zipfile.BadZipFile, EOFError):
        return None
    if not isinstance(meta, dict) or meta.get("key") != key:
        return None
    return meta, arrays


def write_cached(key: str, meta: dict, arrays: dict[str, np.ndarray]) -> bool:
    """Stores ``meta`` and ``arrays`` for ``key`` atomically; False (nothing raised) when that is not possible."""
    path = cache_path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        encoded = np.frombuffer(json.dumps({**meta, "key": key}).encode("utf-8"), dtype=np.uint8)
        with replacing(path) as handle:
            np.savez(handle, meta=encoded, **arrays)
    except (OSError, TypeError, ValueError):
        return False
    slot = key.split("-", 1)[0]
    for stale in path.parent.glob(f"reference-{slot}-*.npz"):  # older versions of the same corpus
        if stale != path:
            stale.unlink(missing_ok=True)
    return True
