"""The kept tune list (tune_store) and tune books read back with their settings (tune_book): real files, real
O'Neill tunes."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from studio.core.abc.text import decode_abc_bytes, split_tunes
from studio.core.tune_book import (TuneBookError, append_to_tune_book, read_book_tunes, write_tune_book)
from studio.core.tune_book import StoredTune
from studio.core.tune_store import TuneListState, load_tune_list, save_tune_list, store_path, tune_opening

from support import oneills_first_file


@pytest.fixture(scope="module")
def oneills_tunes():
    path = Path(oneills_first_file())
    return split_tunes(decode_abc_bytes(open(path, "rb").read()))[:20]


def test_the_list_is_saved_and_read_back_with_settings_and_selection(tmp_path, monkeypatch, oneills_tunes):
    monkeypatch.setenv("ABC_STUDIO_HOME", str(tmp_path / "home"))
    generated = SimpleNamespace(text=oneills_tunes[0], title="A", model="/runs/x/best.pt", temperature=0.8,
                                seed=7, top_k=None, primer="X:1\n", complete=False, bars="strict", form="AABB",
                                score=0.5, generating=False)
    state = TuneListState([StoredTune.of(generated), StoredTune(text=oneills_tunes[1], title="B")], current=1,
                          selected=[0, 1], book_path="/tmp/book.abc", book_modified=True)
    path = save_tune_list(state)
    assert path == store_path() and path.parent == tmp_path / "home"
    assert not [p for p in path.parent.iterdir() if p.name != path.name]  # no temporary left behind
    loaded = load_tune_list()
    assert loaded.message == ""
    assert loaded.state == state
    assert loaded.state.tunes[0].temperature == 0.8 and loaded.state.tunes[0].form == "AABB"


def test_no_store_gives_an_empty_list(tmp_path):
    loaded = load_tune_list(tmp_path / "missing.json")
    assert loaded.state.tunes == [] and loaded.message == ""


@pytest.mark.parametrize("content", [b"{\"tunes\": [{\"text\": 1", b"\x00\xff\xfe garbage", b"[1, 2]",
                                     b"{\"tunes\": [{\"title\": \"no text\"}]}"])
def test_a_corrupt_store_is_set_aside_with_a_message(tmp_path, content):
    path = tmp_path / "tunes.json"
    path.write_bytes(content)
    loaded = load_tune_list(path)
    assert loaded.state.tunes == []
    assert "damaged" in loaded.message and "tunes.json.corrupt-1" in loaded.message
    assert not path.exists() and (tmp_path / "tunes.json.corrupt-1").read_bytes() == content
    save_tune_list(TuneListState([StoredTune(text="X:1\nK:D\nabc|\n")]), path)
    assert load_tune_list(path).state.tunes[0].text == "X:1\nK:D\nabc|\n"


def test_a_saved_book_reads_back_with_its_generation_settings(tmp_path, oneills_tunes):
    tunes = [StoredTune(text=oneills_tunes[0], temperature=0.9, seed=3, top_k=5, model="/m/best.pt",
                        complete=False, bars="strict", form="AABB"),
             StoredTune(text=oneills_tunes[1], temperature=None)]
    path = tmp_path / "book.abc"
    path.write_text(write_tune_book(tunes), encoding="utf-8")
    back = read_book_tunes(path)
    assert [t.text.rstrip("\n").split("\n")[1:] for t in back] == [
        t.rstrip("\n").split("\n")[1:] for t in oneills_tunes[:2]]  # the note line is not part of the text
    first = back[0]
    assert (first.temperature, first.seed, first.top_k, first.model, first.complete, first.bars, first.form) == (
        0.9, 3, 5, "best.pt", False, "strict", "AABB")
    assert back[1].temperature is None
    assert write_tune_book(back) == path.read_text(encoding="utf-8")  # and writes back the same


def test_append_adds_tunes_and_renumbers(tmp_path, oneills_tunes):
    path = tmp_path / "book.abc"
    assert append_to_tune_book(path, [SimpleNamespace(text=t) for t in oneills_tunes[:3]]) == 3
    assert append_to_tune_book(path, [StoredTune(text=oneills_tunes[3], temperature=1.0, seed=1)]) == 4
    back = read_book_tunes(path)
    assert [t.text.split("\n")[0] for t in back] == ["X:1", "X:2", "X:3", "X:4"]
    assert back[3].temperature == 1.0


@pytest.mark.parametrize("content", [os.urandom(3000), b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20,
                                     b"just some words\nno tune here\n"])
def test_a_binary_or_tuneless_file_is_no_book_and_append_leaves_it_alone(tmp_path, content):
    path = tmp_path / "not-a-book.abc"
    path.write_bytes(content)
    with pytest.raises(TuneBookError) as error:
        read_book_tunes(path)
    assert "not a text file" in str(error.value) or "holds no tune" in str(error.value)
    with pytest.raises(TuneBookError):
        append_to_tune_book(path, [SimpleNamespace(text="X:1\nK:D\nabc|\n")])
    assert path.read_bytes() == content


def test_a_tunes_opening_is_its_headers_and_first_bars():
    tune = "X:3\nT:The Kesh\n% a comment\nM:6/8\nL:1/8\nK:G\n|:GAG GAB|ABA ABd|edd gdd|\nedB dBA:|\n"
    assert tune_opening(tune) == "X:3\nT:The Kesh\nM:6/8\nL:1/8\nK:G\n|:GAG GAB|ABA ABd|"
    assert tune_opening(tune, bars=1) == "X:3\nT:The Kesh\nM:6/8\nL:1/8\nK:G\n|:GAG GAB|"
    assert tune_opening("X:1\nK:D\nab") == "X:1\nK:D\nab"


def test_atomic_writes_keep_the_replaced_files_mode_and_give_new_files_the_usual_one(tmp_path):
    import os
    import stat

    from studio.core.atomic_files import write_text_atomic

    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "book.abc"
        write_text_atomic(fresh, "X:1\n")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644  # readable by others, as a saved file should be
        fresh.chmod(0o600)
        write_text_atomic(fresh, "X:2\n")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o600 and fresh.read_text() == "X:2\n"
    finally:
        os.umask(umask)
