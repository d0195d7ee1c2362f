"""Text levels: canonical and melody texts keep the music of real tunes, are idempotent, make two writings of one tune
meet, drop exactly what they name; a corpus and a run carry their level, and ``raw`` is today's text."""

from __future__ import annotations

from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.core.abc.canonical import (CANONICAL_VERSION, MELODY_DROPS, canonical_tune, key_spelling, melody_tune,
                                      meter_spelling, normalise_tune)
from studio.core.abc.meaning import music21_note_sequence, music21_sounding_notes, note_sequence
from studio.core.abc.tokenizer import tokenize
from studio.core.configs import TrainConfig
from studio.core.corpus import load_corpus
from studio.core.learning.experiment_spec import ExperimentError, ExperimentSpec, parse_values
from studio.core.learning.training import Trainer
from studio.core.network.checkpoints import load_checkpoint
from studio.core.text_levels import corpus_at_level, load_corpus_at_level

COLLECTIONS = ("oneills1850", "ryansMammoth", "airdsAirs")
WHITESPACE = ("space", "newline", "continuation")


@lru_cache(maxsize=None)
def builtin_tunes() -> tuple:
    """Every tune of the three built-in collections, as the corpus cleans them: (id, text)."""
    return tuple((f"{name}/{t.id}", t.text) for name in COLLECTIONS for t in load_corpus(name).tunes)


def sample(step: int) -> list[tuple[str, str]]:
    return list(builtin_tunes()[::step])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tune=st.sampled_from(builtin_tunes()), level=st.sampled_from(["canonical", "melody"]))
def test_every_level_is_idempotent(tune, level):
    once = normalise_tune(tune[1], level).text
    assert normalise_tune(once, level).text == once, tune[0]


def test_the_tokenizer_reads_the_same_notes_in_a_sample_of_builtin_tunes():
    tunes = sample(37)
    rewritten = 0
    for tune_id, text in tunes:
        canonical = normalise_tune(text, "canonical")
        melody = normalise_tune(text, "melody")
        if canonical.kept_raw or melody.kept_raw:  # only Ryan's tunes damaged by quoted-printable ("=20")
            assert "=20" in text and text in (canonical.text, melody.text), tune_id
            continue
        assert note_sequence(canonical.text) == note_sequence(text), tune_id
        assert note_sequence(melody.text, grace_notes=False) == note_sequence(text, grace_notes=False), tune_id
        rewritten += canonical.text != text
    assert rewritten > 0.9 * len(tunes)  # the check compares rewritten texts, not copies


def test_music21_reads_the_same_notes_in_the_canonical_text_of_a_sample():
    for tune_id, text in sample(331):
        canonical = canonical_tune(text)
        assert canonical != text
        assert music21_note_sequence(canonical) == music21_note_sequence(text), tune_id


def test_music21_reads_the_same_pitches_in_the_melody_text_of_tunes_without_decorations():
    # with decorations music21 may differ (it turns '">"~d4' into more notes), and durations may differ where it
    # drops a broken rhythm written beside a slur ("A>).G"); bench/canonical_check.py counts those on every tune
    checked = 0
    for tune_id, text in sample(97):
        if any(t.kind == "decoration" for t in tokenize(text)):
            continue
        raw = music21_sounding_notes(music21_note_sequence(text))
        melody = music21_sounding_notes(music21_note_sequence(melody_tune(text)))
        assert [pitch for pitch, _ in melody] == [pitch for pitch, _ in raw], tune_id
        checked += 1
    assert checked >= 10


def test_a_rewrite_that_would_change_the_music_is_refused():
    # a quoted-printable soft break (a "=" at the line end): joined, it would make the next note natural
    text = "X:1\nT:t\nM:2/4\nL:1/8\nK:G\nAB =\nfd|cB A2|"
    result = normalise_tune(text, "canonical")
    assert result.kept_raw and result.text == text
    assert normalise_tune("X:1\nT:t\nM:2/4\nL:1/8\nK:G\nAB fd|cB A2|", "canonical").kept_raw is False


def test_spellings_of_keys_meters_and_unit_lengths():
    assert [key_spelling(k) for k in ("E Minor", "A Dorian", "Gmaj", "A Mixolydian", "EMin", "D Major", "F#m",
                                      "Bb", "Dmix=c", "G % a comment", "HP", "none")] == [
        "Em", "Ador", "G", "Amix", "Em", "D", "F#m", "Bb", "Dmix =c", "G", "HP", "none"]
    assert [meter_spelling(m) for m in ("C", "C|", "6 / 8", "9/8 % Aird bars it in 6/8")] == [
        "4/4", "2/2", "6/8", "9/8"]
    text = canonical_tune("X:3\nT:t\nM:C|\nK:A Dorian\nAB cd|")
    assert text.split("\n")[2:5] == ["M:2/2", "L:1/8", "K:Ador"]


def test_the_canonical_writing_of_a_tune():
    text = "X:1\nT:t\nM:6/8\nL:1/8\nR:Jig\nK:G\nB/c/ \\\n| dBG G2 B | d e f  g3 |\n| [1 agf e2 d :| [2 agf g2 ||\n"
    assert canonical_tune(text) == (
        "X:1\nT:t\nM:6/8\nL:1/8\nR:jig\nK:G\nB/c/|dBGG2B|d e fg3|1agfe2d:|2agfg2||")


ONEILLS_BURNS_FAREWELL = """X:269
T:Burn's Farewell
M:C
L:1/8
K:Am
ed \\
| c2A2 A2GE | c2e2 d2^cd | e2e2 d2^cd | e2G2 G2ed \\
| c2A2 A2GE | c2e2 d2^cd | e2a2 gede | c2A2 A2 :|
|| e^f \\
| g2a2 g2^fg | a2g2 g2ag | =f2e2 d2^cd |e2G2 G2ed \\
| c2A2 A2GE | c2e2 d2^cd | e2a2 gede | c2A2 A2 :|
"""
# The same tune as a session musician posts it: "!" line ends, the key spelled out, its own line breaks.
SESSION_BURNS_FAREWELL = """X:12
T:Burns' Farewell
R:reel
M:4/4
L:1/8
K:A Minor
ed|c2A2 A2GE|c2e2 d2^cd|!
e2e2 d2^cd|e2G2 G2ed|c2A2 A2GE|c2e2 d2^cd|!
e2a2 gede|c2A2 A2:|!
e^f|g2a2 g2^fg|a2g2 g2ag|=f2e2 d2^cd|e2G2 G2ed|!
c2A2 A2GE|c2e2 d2^cd|e2a2 gede|c2A2 A2:|!
"""
# O'Neill's X:1177 as printed (slurs, grace notes, trills) and as a session would write it (none of them).
ONEILLS_WESTPORT = """X:1177
T:The Humors of Westport
M:C|
L:1/8
R:Reel
K:F
f2{g}(fe) fcAc|f2{g}(fe) fagf|fage fcAc|T(BA)GA (Bc)de|
f2{g}(fe) fcAc|f2{g}(fe) fagb|afge fcAc|T(BA)GA (Bd)cB||
AFcF dFcF|AFcF BdcB|AFcF dFcF|T(BA)GA (Bd)cB|
AFcF dFcF|AFcF BdcB|Acfa gefc|T(BA)GA (Bc)de||
"""
SESSION_WESTPORT = """X:3
T:The Humours of Westport
R:reel
M:2/2
L:1/8
K:F Major
f2fe fcAc|f2fe fagf|!
fage fcAc|BAGA Bcde|!
f2fe fcAc|f2fe fagb|!
afge fcAc|BAGA BdcB||!
AFcF dFcF|AFcF BdcB|!
AFcF dFcF|BAGA BdcB|!
AFcF dFcF|AFcF BdcB|!
Acfa gefc|BAGA Bcde||!
"""


def _music_lines(text: str) -> list[str]:
    """Everything but the tune number, title and rhythm, which name the tune rather than write it."""
    return [line for line in text.split("\n") if line[:2] not in ("X:", "T:", "R:")]


def _loaded(tmp_path, name: str, text: str, level: str) -> str:
    path = tmp_path / f"{name}.abc"
    path.write_text(text, encoding="utf-8")
    return load_corpus_at_level(path, level).tunes[0].text


def test_a_session_tune_and_oneills_writing_meet(tmp_path):
    for level in ("canonical", "melody"):
        oneills = _loaded(tmp_path, f"burns-oneills-{level}", ONEILLS_BURNS_FAREWELL, level)
        session = _loaded(tmp_path, f"burns-session-{level}", SESSION_BURNS_FAREWELL, level)
        assert _music_lines(oneills) == _music_lines(session)
    assert _music_lines(_loaded(tmp_path, "burns-raw", ONEILLS_BURNS_FAREWELL, "raw")) != _music_lines(
        _loaded(tmp_path, "burns-session-raw", SESSION_BURNS_FAREWELL, "raw"))
    oneills = _loaded(tmp_path, "westport-oneills", ONEILLS_WESTPORT, "melody")
    session = _loaded(tmp_path, "westport-session", SESSION_WESTPORT, "melody")
    assert _music_lines(oneills) == _music_lines(session)


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text) if t.kind not in WHITESPACE]


@pytest.mark.parametrize("tune_id", ["oneills1850/0001-0050:1", "oneills1850/0001-0050:6",
                                     "ryansMammoth/42dHighlandRegimentStrathspey:1", "airdsAirs/book3:0470"])
def test_melody_drops_exactly_slurs_decorations_grace_notes_and_chord_symbols(tune_id):
    text = dict(builtin_tunes())[tune_id]
    canonical, melody = _kinds(canonical_tune(text)), _kinds(melody_tune(text))
    dropped = {"slur_start", "slur_end", "decoration", "annotation", "grace_start", "grace_note", "grace_end"}
    assert melody == [item for item in canonical if item[0] not in dropped]
    assert len(melody) < len(canonical)
    assert set(MELODY_DROPS) == dropped


def test_old_style_line_breaks_do_not_swallow_notes():
    notes = [t.text for t in tokenize("X:1\nK:D\n|! c>dec gc ec | d>B G>B cAA::!\n") if t.kind == "note"]
    assert notes == ["c", "d", "e", "c", "g", "c", "e", "c", "d", "B", "G", "B", "c", "A", "A"]
    assert [t.kind for t in tokenize("X:1\nK:D\n!D.C.!c|")][4] == "decoration"


def test_raw_is_todays_text_and_levels_have_their_own_identity(oneills):
    raw = load_corpus_at_level("oneills1850", "raw")
    assert raw.text == oneills.text and raw.identity() == oneills.identity() and raw.normalisation is None
    canonical = corpus_at_level(oneills, "canonical")
    assert [t.id for t in canonical.tunes] == [t.id for t in oneills.tunes]
    assert canonical.identity() != oneills.identity()
    assert canonical.report.characters < 0.92 * oneills.report.characters
    report = canonical.normalisation
    assert report.characters_before == oneills.report.characters
    assert report.characters_after == canonical.report.characters
    for kind in ("line continuations", "spaces", "repeated bar lines", "meter spellings", "key spellings"):
        assert report.changes[kind] > 0, kind
    assert report.example_before != report.example_after and report.example_id
    assert "text level canonical" in report.summary()
    assert corpus_at_level(oneills, "raw") is oneills


def test_melody_corpus_and_the_cache(tmp_path):
    path = tmp_path / "westport.abc"
    path.write_text(ONEILLS_WESTPORT + "\n" + ONEILLS_BURNS_FAREWELL, encoding="utf-8")
    raw = load_corpus(path)
    canonical, melody = corpus_at_level(raw, "canonical"), corpus_at_level(raw, "melody")
    assert melody.report.characters < canonical.report.characters < raw.report.characters
    assert {"slurs", "decorations", "grace notes"} <= set(melody.normalisation.changes)
    assert "slurs" not in canonical.normalisation.changes
    assert corpus_at_level(raw, "melody", use_cache=False).text == load_corpus_at_level(path, "melody").text
    with pytest.raises(ValueError):
        corpus_at_level(melody, "canonical")


def test_new_runs_default_to_canonical_and_old_runs_load_as_raw():
    assert TrainConfig().text_level == "canonical"
    assert TrainConfig.from_dict({"batch_size": 4}).text_level == "raw"
    assert TrainConfig.from_dict({"text_level": "melody"}).text_level == "melody"
    assert TrainConfig(text_level="plain").problems() == {"text_level": "must be one of raw, canonical, melody"}


def test_a_run_trains_on_its_level_and_records_it(tmp_path, store, tiny_configs):
    path = tmp_path / "tunes.abc"
    path.write_text("\n\n".join([ONEILLS_BURNS_FAREWELL, ONEILLS_WESTPORT, SESSION_WESTPORT]), encoding="utf-8")
    corpus = load_corpus(path)
    model_config, train_config = tiny_configs(4, checkpoint_interval=2, validation_fraction=0.3)
    for level in ("raw", "melody"):
        train_config.text_level = level
        trainer = Trainer.new(corpus, model_config, train_config, store, name=level)
        leveled = corpus_at_level(corpus, level)
        assert trainer.split.train_text == leveled.split(0.3, train_config.seed).train_text
        assert trainer.run().reason == "finished"
        meta = trainer.run_folder.meta()["corpus"]
        assert meta["text_level"] == level and meta["identity"] == leveled.identity()
        # the rules a rewritten text was written by (scoring it later may read it by newer ones)
        assert meta.get("canonical_rules") == (None if level == "raw" else CANONICAL_VERSION)
        assert load_checkpoint(trainer.run_folder.last_checkpoint).corpus.get("canonical_rules") == meta.get(
            "canonical_rules")
        resumed = Trainer.resume(trainer.run_folder, iterations=6)
        assert resumed.config.text_level == level and resumed.split.train_text == trainer.split.train_text
    assert "{" not in Trainer.new(corpus, model_config, train_config).split.train_text


def test_a_run_read_by_older_canonical_rules_says_so_when_it_cannot_resume(tmp_path, store, tiny_configs):
    from studio.core.learning.training import TrainingError

    path = tmp_path / "tunes.abc"
    path.write_text("\n\n".join([ONEILLS_BURNS_FAREWELL, ONEILLS_WESTPORT, SESSION_WESTPORT]), encoding="utf-8")
    model_config, train_config = tiny_configs(2, checkpoint_interval=2, validation_fraction=0.3)
    train_config.text_level = "canonical"
    trainer = Trainer.new(load_corpus(path), model_config, train_config, store, name="rules")
    assert trainer.run().reason == "finished"
    corpus = dict(trainer.run_folder.meta()["corpus"])
    corpus.pop("canonical_rules")
    trainer.run_folder.update_meta(corpus={**corpus, "identity": "written-by-rules-5"})  # as a rules-5 run recorded
    with pytest.raises(TrainingError, match=f"canonical rules before 6; this version writes rules {CANONICAL_VERSION}"):
        Trainer.resume(trainer.run_folder, iterations=4)


def test_an_experiment_can_compare_text_levels():
    spec = ExperimentSpec(variable="text_level", values=parse_values("text_level", "raw,canonical"), preset="tiny")
    spec.check()
    assert [spec.configs_for(value)[1].text_level for value in spec.values] == ["raw", "canonical"]
    with pytest.raises(ExperimentError):
        ExperimentSpec(variable="text_level", values=["raw", "plain"], preset="tiny").check()


def test_a_stray_octave_mark_is_dropped_so_music21_reads_the_same_notes():
    # Ryan's YoungAmericaHornpipe: ".B2 ,F4": the comma marks no note; without the space music21 would read "B2," as B,
    raw = "X:1\nM:2/4\nL:1/16\nK:A\nuE2|.E2A2 ABcA|.B2 ,F4 .G2|.A2.A2 ABcd|\n"
    rewritten = normalise_tune(raw, "canonical")
    assert ",F" not in rewritten.text and rewritten.changes["stray octave marks"] == 1
    assert note_sequence(rewritten.text) == note_sequence(raw)
    assert music21_note_sequence(rewritten.text) == music21_note_sequence(raw)


def test_a_double_repeat_is_written_so_music21_keeps_the_note_before_it():
    # Aird's book3:0418 writes "EFA ::": without the space music21 drops the A (and what follows on the line)
    raw = "X:1\nM:6/8\nL:1/8\nK:A\nA|dAF EFA ::\ndfe dfe|\n"
    rewritten = normalise_tune(raw, "canonical")
    assert "EFA:|:" in rewritten.text and rewritten.changes["double repeat spellings"] == 1
    assert note_sequence(rewritten.text) == note_sequence(raw)
    assert music21_note_sequence(rewritten.text) == music21_note_sequence(raw)
    assert normalise_tune(rewritten.text, "canonical").text == rewritten.text


def test_every_tune_is_numbered_one_so_the_number_names_no_collection():
    # Ryan's Mammoth numbers nearly every tune 1, O'Neill's 1-2002 and Aird's 0001-1172: left as written, a sampler
    # that starts from X:1 asks for Ryan's style
    for name, written in (("ryansMammoth", "X:1\n"), ("oneills1850", "X:6\n"), ("airdsAirs", "X:0006\n")):
        tunes = load_corpus(name).tunes
        assert any(tune.text.startswith(written) for tune in tunes)
        for tune in tunes[:40]:
            for level in ("canonical", "melody"):
                rewritten = normalise_tune(tune.text, level)
                assert rewritten.kept_raw or rewritten.text.startswith("X:1\n"), (name, tune.id)
    rewritten = normalise_tune("X: 0006\nT:Rant\nM:2/2\nL:1/8\nK:G\nGABc dedB|\n", "canonical")
    assert rewritten.text.startswith("X:1\nT:Rant\n") and rewritten.changes["reference numbers"] == 1
    assert normalise_tune("X:1\nM:2/2\nL:1/8\nK:G\nGABc dedB|\n", "canonical").changes["reference numbers"] == 0
    assert normalise_tune("X:0006\nK:G\nGABc|\n", "raw").text.startswith("X:0006")  # the lab's text as written
