"""Corpus loading: the real bundled collections, user files with odd encodings, clean-up, splits, bad input."""

from __future__ import annotations

import pytest

from studio.core.abc.text import clean_tune, read_headers, split_tunes
from studio.core.corpus import BUILTIN_CORPORA, CorpusError, builtin_corpus_files, load_corpus

ODD_TUNES = (
    "% a tune book header comment\n"
    "X:1\nT:Caf\u00e9 Reel\nB:Some book\nZ:someone@example.org\nM:4/4\nL:1/8\nK:D\n"
    "|:DFAd fdAF|GBdB AFD2:| % a comment\n\n"
    "X:2\nT:The Duplicate\nM:6/8\nL:1/8\nK:G\nGAB cBA|GAB d3|\n\n"
    "X:3\nT:The Duplicate\nM:6/8\nL:1/8\nK:G\nGAB cBA|GAB d3|\n\n"
    "X:4\nT:No key\nM:3/4\nabc|\n\n"
    "X:5\nT:Headers only\nM:3/4\nL:1/8\nK:A\n"
)


def test_the_builtin_files_are_the_ones_music21_lists():
    """The collections' files, found without importing music21, are those of music21's own corpus listing."""
    from pathlib import Path

    from music21 import corpus as m21corpus

    listed = [Path(p) for p in m21corpus.getCorePaths(fileExtensions=("abc",))]
    for name in BUILTIN_CORPORA:
        files = builtin_corpus_files(name)
        assert files == sorted(p for p in listed if name in p.parts), name
    assert len(builtin_corpus_files("oneills1850")) == 39


def test_oneills_loads_clean_tunes(oneills):
    report = oneills.report
    assert 1900 < report.tunes <= 2009
    assert 400_000 < report.characters < 800_000
    assert 70 < len(report.vocabulary) < 120
    for tune in oneills.tunes[:300]:
        headers = read_headers(tune.text)
        assert tune.text.startswith("X:")
        assert {"M", "K"} <= set(headers)
        assert not set(headers) & {"B", "N", "Z", "O", "S"}, tune.id
        assert "%" not in tune.text
    assert len({t.id for t in oneills.tunes}) == len(oneills.tunes)
    assert len({t.text for t in oneills.tunes}) == len(oneills.tunes)


def test_other_builtin_collection_loads():
    corpus = load_corpus("ryansMammoth")
    assert corpus.report.tunes > 900
    assert "exact duplicate of an earlier tune" in corpus.report.dropped


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8", "utf-16"])
def test_user_file_with_odd_encoding_and_crlf(tmp_path, encoding):
    path = tmp_path / "book.abc"
    path.write_bytes(ODD_TUNES.replace("\n", "\r\n").encode(encoding))
    corpus = load_corpus(path)
    titles = [t.title for t in corpus.tunes]
    assert titles == ["Caf\u00e9 Reel", "The Duplicate"]
    first = corpus.tunes[0].text
    assert "\r" not in first and "B:" not in first and "Z:" not in first and "comment" not in first
    assert first.splitlines()[:5] == ["X:1", "T:Caf\u00e9 Reel", "M:4/4", "L:1/8", "K:D"]
    dropped = corpus.report.dropped
    assert dropped["exact duplicate of an earlier tune"] == 1
    assert dropped["no K: (key) field"] == 1
    assert dropped["no music after the header"] == 1
    assert "dropped 1: exact duplicate" in corpus.report.summary()


def test_folder_of_files(tmp_path):
    (tmp_path / "a.abc").write_text("X:1\nT:A\nM:2/4\nL:1/8\nK:D\nDEFG ABcd|\n")
    sub = tmp_path / "more"
    sub.mkdir()
    (sub / "b.ABC").write_text("X:1\nT:B\nM:2/4\nL:1/8\nK:G\nGABc dedc|\n")
    (sub / "notes.txt").write_text("not music")
    corpus = load_corpus(tmp_path)
    assert sorted(t.id for t in corpus.tunes) == ["a:1", "b:1"]
    assert corpus.report.files == 2


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "holds no usable ABC tune"),
        (bytes(range(256)) * 64, "holds no usable ABC tune"),
        (b"X:1\n\x00\x01\x02\x03\x04\x05\x06\x07" * 100, "holds no usable ABC tune"),
    ],
)
def test_unusable_files_give_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.abc"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message):
        load_corpus(path)


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(CorpusError, match="no such file or folder"):
        load_corpus(tmp_path / "nope.abc")
    with pytest.raises(CorpusError, match="holds no .abc file"):
        load_corpus(tmp_path)


def test_split_is_deterministic_and_rebuildable(oneills):
    a = oneills.split(0.1, seed=7)
    b = oneills.split(0.1, seed=7)
    c = oneills.split(0.1, seed=8)
    assert a.identity() == b.identity()
    assert a.identity()["validation_ids"] != c.identity()["validation_ids"]
    assert len(a.validation) == round(len(oneills.tunes) * 0.1)
    assert not {t.id for t in a.train} & {t.id for t in a.validation}
    assert oneills.split_from_ids(a.identity()) == a


def test_split_tunes_and_clean_keep_music():
    text = "junk before\nX:1\nT:One\nM:C\nK:D\n%%directive\nabc|\n\nfree text\nX:2\nT:Two\nK:G\nK:D\nGAB|\n"
    tunes = split_tunes(text)
    assert len(tunes) == 2
    assert clean_tune(tunes[0]) == "X:1\nT:One\nM:C\nK:D\nabc|"
    assert clean_tune(tunes[1]).endswith("K:G\nK:D\nGAB|")


def test_combined_corpus_keeps_the_primary_split_and_its_validation_tunes_out_of_training(oneills):
    combined = load_corpus("irishCombined")
    assert combined.primary_count == len(oneills.tunes)
    alone, together = oneills.split(0.1, 0), combined.split(0.1, 0)
    assert [t.text for t in together.validation] == [t.text for t in alone.validation]
    assert len(together.train) > 2 * len(alone.train)  # Ryan's and Aird's tunes only ever train
    from studio.core.quality.novelty import NoveltyIndex

    assert not {t.text for t in together.train} & {t.text for t in together.validation}
    assert {t.id for t in together.train[:len(alone.train)]} == {t.id for t in alone.train}
    reason = "near-copy of a validation tune (kept out of training)"
    dropped = set(combined.report.dropped_examples[reason])
    assert combined.report.dropped[reason] == len(dropped) >= 1
    assert not dropped & {t.id for t in together.train}
    held_out = NoveltyIndex([t.text for t in together.validation])
    by_id = {t.id: t for t in combined.tunes}
    assert all(held_out.is_near_copy(by_id[i].text) for i in dropped)
