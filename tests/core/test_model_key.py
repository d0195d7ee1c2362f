"""A model that learnt every tune in one key composes in that key: regenerated bars and a new strain are sampled on
the tune moved into it and written back in the tune's own key, the rest of the tune untouched."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from support import abc2midi_complaints
from test_regenerate import JIG

from studio.core.abc.key_moves import PLAYABLE_RANGE, keys_by_mode
from studio.core.abc.keys import note_name, read_key
from studio.core.abc.tokenizer import scan_tune
from studio.core.abc.transpose import transpose_abc
from studio.core.configs import SamplingConfig
from studio.core.generation.model_key import ModelKey, inspect_as_written
from studio.core.generation.new_strain import new_strain
from studio.core.generation.regenerate import regenerate, select_bars
from studio.core.generation.sampling import Sampler


@pytest.fixture(scope="module")
def in_d(shipped_sampler):
    """The shipped model, which learnt every tune in D, without the keys its corpus writes (tunes stay in D)."""
    assert shipped_sampler.tonic == "D"
    return Sampler(shipped_sampler.model, shipped_sampler.vocabulary, "in D", tonic="D")


@pytest.fixture(scope="module")
def own_keys(shipped_sampler):
    """The shipped model's weights, taken as a model of tunes in their own keys (the mechanics, not the music)."""
    return Sampler(shipped_sampler.model, shipped_sampler.vocabulary, "own keys")


def _melody(text: str) -> list[int]:
    return [t.pitch for t in scan_tune(text).melody()]


def test_regenerated_bars_are_the_models_bars_in_d_written_back_in_g(in_d, tmp_path):
    assert ModelKey.for_tune(in_d, JIG).shift == -5  # G down a fourth to D fits the range
    result = regenerate(in_d, JIG, select_bars(JIG, 3, 4), count=4, seed=7)
    moved = transpose_abc(JIG, -5)
    in_its_key = regenerate(in_d, moved, select_bars(moved, 3, 4), count=4, seed=7)
    assert len(result.candidates) == len(in_its_key.candidates) > 0
    assert any("read in D" in note and "written back in the tune's K:G" in note for note in result.notes)
    selection = select_bars(JIG, 3, 4)
    for back, there in zip(result.candidates, in_its_key.candidates):
        assert back.text[:selection.start] == JIG[:selection.start]
        assert back.text[len(back.text) - (len(JIG) - selection.end):] == JIG[selection.end:]
        assert _melody(back.text) == [p + 5 for p in _melody(there.text)]  # the same notes, a fourth up
        assert (back.own, back.after) == (there.own, there.after)
        assert not abc2midi_complaints(back.text, tmp_path)
    assert result.original.text == JIG


def test_a_new_strain_is_written_back_in_the_tunes_key_and_ends_on_its_tonic(in_d, tmp_path):
    result = new_strain(in_d, JIG, count=2, seed=1)
    insert = JIG.rindex("G3 G3") + len("G3 G3")  # after the last strain's last note
    assert result.candidates and result.selection.start == insert
    for candidate in result.candidates:
        assert candidate.text.startswith(JIG[:insert]) and candidate.text.endswith(JIG[insert:])
        assert _melody(candidate.text)[-1] % 12 == 7  # home on G
        assert not abc2midi_complaints(candidate.text, tmp_path)


def test_a_tune_in_the_models_key_or_a_model_of_tunes_in_their_own_keys_reads_the_tune_as_written(in_d, own_keys):
    in_d_already = transpose_abc(JIG, -5)
    assert not ModelKey.for_tune(in_d, in_d_already).moves
    assert ModelKey.for_tune(in_d, in_d_already).reading_note() == ""
    assert "Transpose the text by -5 semitones" in ModelKey.for_tune(in_d, JIG).reading_note()  # the inspector's
    assert inspect_as_written(in_d, JIG).note == ModelKey.for_tune(in_d, JIG).reading_note()
    assert inspect_as_written(in_d, in_d_already).note == ""
    assert not ModelKey.for_tune(own_keys, JIG).moves
    assert not ModelKey.for_tune(in_d, JIG.replace("K:G", "K:none")).moves


def test_a_key_asked_in_the_primer_is_written_in_the_models_key_and_the_tunes_moved_to_it(in_d, tmp_path):
    asked = SamplingConfig(primer="X:1\nM:6/8\nL:1/8\nK:Em\n", seed=11, count=2, temperature=0.8)
    tunes = in_d.sample(asked)
    as_the_model_wrote = in_d.sample(replace(asked, primer="X:1\nM:6/8\nL:1/8\nK:Dm\n"))
    for tune, written in zip(tunes, as_the_model_wrote):
        assert "K:Em" in tune.text and tune.primer == asked.primer
        moved, own = _melody(tune.text), _melody(written.text)
        assert (moved[0] - own[0]) % 12 == 2 and moved == [p + moved[0] - own[0] for p in own]
        assert moved[-1] % 12 == 4  # home on E (cadence home, the default)
        assert PLAYABLE_RANGE[0] <= min(moved) and max(moved) <= PLAYABLE_RANGE[1]
        assert not abc2midi_complaints(tune.text, tmp_path)
    no_key = replace(asked, primer="X:1\nM:6/8\nL:1/8\n", count=1)  # the model writes in its own key, unmoved
    assert in_d.sample(no_key)[0].text == Sampler(in_d.model, in_d.vocabulary, "in D").sample(no_key)[0].text


def test_without_a_key_asked_each_tune_goes_to_a_key_its_corpus_writes_for_that_mode(in_d, oneills):
    keys = keys_by_mode(t.text for t in oneills.tunes)
    drawing = Sampler(in_d.model, in_d.vocabulary, "in D", tonic="D", keys=keys)
    asked = SamplingConfig(primer="X:1\nM:6/8\n", seed=40, count=5, temperature=0.8, bars="free", max_length=250)
    tunes, again, in_its_key = drawing.sample(asked), drawing.sample(asked), in_d.sample(asked)
    assert [t.text for t in tunes] == [t.text for t in again]  # the seed draws the key
    tonics = Counter()
    for tune, own in zip(tunes, in_its_key):
        key, model_key = _key(tune.text), _key(own.text)
        assert model_key.letter == "D" and key.mode == model_key.mode and tune.primer == asked.primer
        assert keys[key.mode][note_name(key.letter, key.alteration)] > 0  # a key O'Neill's writes in this mode
        moved, written = _melody(tune.text), _melody(own.text)
        assert moved == [p + moved[0] - written[0] for p in written]  # the model's own notes, moved
        assert PLAYABLE_RANGE[0] <= min(moved) and max(moved) <= PLAYABLE_RANGE[1]
        tonics[key.name()] += 1
    assert len(tonics) >= 2, tonics  # O'Neill's major tunes: G 748, D 544, A 221...
    assert all(_key(t.text).letter == "D" for t in drawing.sample(replace(asked, primer="X:1\nM:6/8\nK:D\n")))


def _key(text: str):
    return read_key(scan_tune(text).fields.get("K", ""))
