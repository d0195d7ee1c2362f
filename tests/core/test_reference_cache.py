"""The cached reference statistics: same values as computed, invalidated by the corpus and the metric code, corrupt
or unwritable caches recomputed, and ``python -m studio evaluate`` printing the same with a cold and a warm cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from studio.core.corpus import load_corpus
from studio.core.quality import evaluation, reference_cache
from studio.core.quality.evaluation import corpus_reference, evaluate_tunes
from studio.core.quality.metrics import set_metrics, tune_metrics

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("ABC_STUDIO_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture()
def small_corpus(tmp_path, oneills):
    """A folder corpus of 40 real O'Neill tunes."""
    folder = tmp_path / "tunes"
    folder.mkdir()
    (folder / "book.abc").write_text("\n\n".join(t.text for t in oneills.tunes[:40]) + "\n", encoding="utf-8")
    return folder


@pytest.fixture()
def measurements(monkeypatch):
    """Counts how often the reference statistics are really computed (the real function still runs)."""
    calls = []
    real = evaluation._measure

    def counting(corpus):
        calls.append(corpus.name)
        return real(corpus)

    monkeypatch.setattr(evaluation, "_measure", counting)
    return calls


def _cache_files(home: Path) -> list[Path]:
    return sorted((home / "cache").glob("reference-*.npz"))


def test_cached_reference_equals_the_computed_one_without_loading_the_corpus(home, small_corpus, oneills,
                                                                             measurements):
    computed = corpus_reference(str(small_corpus))
    cached = corpus_reference(str(small_corpus))
    assert measurements == ["tunes"] and len(_cache_files(home)) == 1
    assert cached._corpus is None  # served from the cache: the corpus was not even loaded
    assert (cached.name, cached.identity, cached.titles) == (computed.name, computed.identity, computed.titles)
    assert cached.ranges == computed.ranges and cached.histograms == computed.histograms
    assert cached.baseline == computed.baseline
    assert cached.tune_metrics == computed.tune_metrics
    probes = [t.text for t in oneills.tunes[:3]] + [t.text for t in oneills.tunes[500:503]]
    assert [cached.novelty.nearest(p) for p in probes] == [computed.novelty.nearest(p) for p in probes]
    assert cached.novelty.nearest(probes[1]) == (1, 1.0)
    first = evaluate_tunes(probes, computed)
    second = evaluate_tunes(probes, cached)
    assert first.set_metrics.as_dict() == second.set_metrics.as_dict() and first.novelty == second.novelty
    assert cached.corpus.identity() == computed.identity  # and it still loads on demand


def test_set_metrics_from_stored_reference_metrics_equal_the_measured_ones(oneills):
    reference = [t.text for t in oneills.tunes[:400]]
    tunes = [t.text for t in oneills.tunes[1000:1010]]
    direct = set_metrics(tunes, reference).as_dict()
    stored = set_metrics(tunes, None, reference_metrics=[tune_metrics(t) for t in reference],
                         novelty_index=evaluation.NoveltyIndex(reference)).as_dict()
    assert direct == stored


def test_a_changed_corpus_is_measured_again(home, small_corpus, oneills, measurements):
    assert corpus_reference(str(small_corpus)).tune_count == 40
    with open(small_corpus / "book.abc", "a", encoding="utf-8") as book:
        book.write("\n" + oneills.tunes[41].text)
    assert corpus_reference(str(small_corpus)).tune_count == 41
    assert len(measurements) == 2
    assert len(_cache_files(home)) == 1  # the stale entry of the same spec is gone
    loaded = load_corpus(str(small_corpus))  # a loaded corpus is keyed by its content: the spec's entry serves it
    assert corpus_reference(loaded).tune_count == 41 and len(measurements) == 2
    assert corpus_reference(loaded)._corpus is loaded and len(_cache_files(home)) == 2
    with open(small_corpus / "book.abc", "a", encoding="utf-8") as book:
        book.write("\n" + oneills.tunes[42].text)
    changed = load_corpus(str(small_corpus))  # other tunes from the same spec: the stored identity differs
    assert corpus_reference(changed).tune_count == 42 and len(measurements) == 3


def test_a_corpus_measured_as_loaded_serves_its_spec(home, small_corpus, measurements):
    """An experiment measures its loaded corpus, ``evaluate`` names the spec: the same tunes are measured once."""
    loaded = load_corpus(str(small_corpus))
    first = corpus_reference(loaded)
    by_spec = corpus_reference(str(small_corpus))
    assert measurements == ["tunes"] and by_spec.ranges == first.ranges and by_spec.identity == first.identity
    assert corpus_reference(str(small_corpus))._corpus is None  # and the spec's own entry is there now


def test_a_change_to_the_metric_code_invalidates_the_cache(home, small_corpus, measurements, monkeypatch):
    corpus_reference(str(small_corpus))
    corpus_reference(str(small_corpus))
    assert len(measurements) == 1
    monkeypatch.setattr(reference_cache, "metrics_version", lambda sources=None: "edited")
    corpus_reference(str(small_corpus))
    assert len(measurements) == 2 and len(_cache_files(home)) == 1


def test_the_metrics_version_follows_the_source_of_the_metric_code(tmp_path):
    names = {path.name for path in reference_cache.METRIC_SOURCES}
    assert {"metrics.py", "novelty.py", "evaluation.py", "tokenizer.py", "validate.py"} <= names
    assert all(path.is_file() for path in reference_cache.METRIC_SOURCES)
    copies = []
    for path in reference_cache.METRIC_SOURCES:
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        copies.append(copy)
    assert reference_cache.metrics_version(tuple(copies)) == reference_cache.metrics_version()
    copies[0].write_text(copies[0].read_text() + "\n# a changed line\n")
    assert reference_cache.metrics_version(tuple(copies)) != reference_cache.metrics_version()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_corrupt_cache_file_is_recomputed_and_replaced(home, small_corpus, measurements, damage):
    expected = corpus_reference(str(small_corpus)).ranges
    [path] = _cache_files(home)
    data = path.read_bytes()
    path.write_bytes({"garbage": b"not a cache at all" * 50, "truncated": data[:len(data) // 2], "empty": b""}[damage])
    assert corpus_reference(str(small_corpus)).ranges == expected
    assert len(measurements) == 2
    assert corpus_reference(str(small_corpus)).ranges == expected and len(measurements) == 2  # rewritten whole


def test_a_cache_entry_for_another_key_is_not_used(home, small_corpus, measurements):
    corpus_reference(str(small_corpus))
    [path] = _cache_files(home)
    with np.load(path) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["meta"] = np.frombuffer(arrays["meta"].tobytes().replace(b'"key": "', b'"key": "x'), dtype=np.uint8)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    corpus_reference(str(small_corpus))
    assert len(measurements) == 2


def test_an_unwritable_cache_folder_still_gives_the_reference(home, small_corpus, measurements):
    home.mkdir(parents=True)
    (home / "cache").write_text("a file where the cache folder should be")  # root ignores permissions; this cannot
    first = corpus_reference(str(small_corpus))
    second = corpus_reference(str(small_corpus))
    assert first.ranges == second.ranges and first.tune_count == 40
    assert len(measurements) == 2


def test_writes_leave_no_temporary_file(home, small_corpus):
    corpus_reference(str(small_corpus))
    assert [p.name for p in (home / "cache").iterdir()] == [_cache_files(home)[0].name]


def _evaluate(tunes_file: Path, corpus: Path, home: Path) -> str:
    env = {**os.environ, "ABC_STUDIO_HOME": str(home), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "studio", "evaluate", str(tunes_file), "--corpus", str(corpus)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=400)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_evaluate_prints_the_same_with_a_cold_and_a_warm_cache(tmp_path, small_corpus, oneills):
    tunes = tmp_path / "judge.abc"
    broken = "X:9\nT:Broken\nM:4/4\nL:1/8\nK:G\nGABc dedB|((ABc]d|\n"
    tunes.write_text("\n\n".join([oneills.tunes[3].text, oneills.tunes[700].text, broken]) + "\n", encoding="utf-8")
    home = tmp_path / "home"
    cold = _evaluate(tunes, small_corpus, home)
    assert len(_cache_files(home)) == 1
    warm = _evaluate(tunes, small_corpus, home)
    assert warm == cold
    assert "3 tune(s) from" in cold and "vs tunes (40 tunes)" in cold and "1.00!" in cold  # tune 3 is a copy


@pytest.mark.slow
def test_a_cached_builtin_reference_neither_loads_the_corpus_nor_imports_music21(tmp_path):
    """What makes a cached ``evaluate`` fast: the built-in corpus is fingerprinted from its files, not loaded. On
    miscFolk (181 tunes): any built-in collection takes the same path, and a cold O'Neill's takes ten times longer."""
    env = {**os.environ, "ABC_STUDIO_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    probe = ("import sys; from studio.core.quality.evaluation import corpus_reference; r = corpus_reference('miscFolk'); "
             "print(r._corpus is None, 'music21' in sys.modules, r.tune_count)")
    runs = [subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT,
                           timeout=400) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    # cold: loaded and measured (the collection's files are found without music21 too: studio.core.corpus)
    assert runs[0].stdout.split()[:2] == ["False", "False"] and int(runs[0].stdout.split()[2]) > 100
    assert runs[1].stdout.split() == ["True", "False", runs[0].stdout.split()[2]]
