"""Cadences by construction: the pitch follower agrees with the tokenizer on real tunes, tunes sampled with cadence
home come home in several keys and modes (shipped model), the seed still decides the text, cadence free writes
today's text byte for byte, and the chances are the ones measured on O'Neill's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.core.abc.timeline import TICKS_PER_WHOLE, read_bars, strain_ranges
from studio.core.abc.validate import validate_tune
from studio.core.configs import SamplingConfig
from studio.core.generation.cadence import CHANCES, CadenceState, measure_chances
from studio.core.generation.sampling import Sampler
from studio.core.quality.tonal import last_melody_pitch, tonal_measures
from studio.core.text_levels import load_corpus_at_level
from studio.core.tune_book import generation_note

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "default.pt"
#: Strict tunes written before cadences existed (commit 128cd04), by a noise model and by the shipped model.
PINS = Path(__file__).parent / "data" / "strict_form_pins.json"
needs_shipped = pytest.mark.skipif(not SHIPPED.exists(), reason="models/default.pt is not in this checkout")


@pytest.fixture(scope="module")
def shipped():
    return Sampler.from_checkpoint(SHIPPED)


class _Recording(CadenceState):
    """Records the pitch class of each closed bar's last melody note."""

    def __init__(self):
        super().__init__()
        self.seen = ()

    def _close_bar(self):
        if self.bar_has_notes:
            self.seen = self.seen + (self.last_pc,)
        super()._close_bar()


def test_the_pitch_follower_agrees_with_the_tokenizer(oneills):
    """Key signatures, modes, bar accidentals at their octave, chords, grace notes: on 280 real tunes (those without
    ties, which the timeline merges across bar lines) every bar's last melody note has the timeline's pitch class."""
    checked = 0
    for tune in oneills.tunes[:400]:
        if "-" in tune.text.split("\nK:", 1)[1]:
            continue
        state = _Recording().feed_text(tune.text.rstrip("\n") + "|")
        expected = [p % 12 for p in map(last_melody_pitch, read_bars(tune.text)) if p is not None]
        assert [pc for pc in state.seen if pc is not None] == expected, tune.text
        checked += 1
    assert checked > 250


def test_a_bar_may_not_end_off_target():
    """In a strain's last bar a note of another pitch may not fill the bar; the target note may."""
    state = CadenceState().feed_text("X:1\nM:4/4\nL:1/8\nK:D\n|ABcd efge|")
    state.target = frozenset({2})  # D
    before = state.copy().feed_text("ABcd ef")
    assert before.copy().feed_text("d2").viable() and not before.copy().feed_text("e2").viable()
    assert before.copy().feed_text("e").viable()  # an e that leaves time: the bar can still end on D
    assert before.copy().feed_text("=c2").viable() is False and before.copy().feed_text("^c").viable()
    assert before.copy().feed_text("d2").feed("|").forbidden is False
    assert before.copy().feed_text("e/d/e").feed("|").forbidden


@pytest.mark.parametrize("case", json.loads(PINS.read_text()), ids=lambda case: f"{case['model']}-{case['config']}")
def test_cadence_free_writes_todays_text(case, random_sampler):
    if case["model"] == "shipped" and not SHIPPED.exists():
        pytest.skip("models/default.pt is not in this checkout")
    sampler = random_sampler if case["model"] == "noise" else Sampler.from_checkpoint(SHIPPED)
    tunes = sampler.sample(SamplingConfig(bars="strict", cadence="free", **case["config"]))
    assert [t.text for t in tunes] == case["texts"]
    assert all(t.cadence == "free" for t in tunes)


@needs_shipped
@pytest.mark.parametrize("primer, form", [("X:1\nM:6/8\nL:1/8\nK:G\n", "AABB"), ("X:1\nM:4/4\nL:1/8\nK:Ador\n", "AB"),
                                          ("X:1\nM:2/2\nL:1/8\nK:Dmix\n", "AABB"),
                                          ("X:1\nM:3/4\nL:1/8\nK:Em\n", "AABBCC"), ("X:1\n", "AABB")])
def test_home_tunes_come_home(shipped, primer, form):
    """Every tune ends on its tonic, every strain on a tonic-triad note, every bar right, in several keys and modes
    (the last case: the model writes the header itself)."""
    tunes = shipped.sample(SamplingConfig(count=3, seed=40, temperature=1.0, primer=primer, form=form))
    for tune in tunes:
        measures = tonal_measures(tune.text)
        assert tune.cadence == "home" and tune.complete, tune.text
        assert measures.final_on_tonic and measures.strain_triad_share == 1.0, tune.text
        assert len(measures.strain_final_pitches) == {"AB": 2, "AABB": 2, "AABBCC": 3}[form]
        bars = read_bars(tune.text)
        for _, last in strain_ranges(bars):  # no target squeezed in as a 32nd note: at least an eighth
            final = max((n for n in bars[last].notes if not n.grace), key=lambda n: n.onset)
            assert final.duration >= TICKS_PER_WHOLE // 8, tune.text
        report = validate_tune(tune.text)
        assert report.structurally_valid and report.bar_error_rate == 0, tune.text
        assert "cadence=home" in generation_note(tune)


@needs_shipped
def test_the_seed_decides_the_tune(shipped):
    # at most 250 characters: both tunes still end home (strict bars close the form in time), at a fraction of the
    # sampling time of 1000
    config = SamplingConfig(count=2, seed=77, temperature=1.0, max_length=250)
    first, again = shipped.sample(config), shipped.sample(config)
    assert all(t.complete and t.cadence == "home" for t in first)
    assert [t.text for t in first] == [t.text for t in again]
    alone = shipped.sample(SamplingConfig(count=1, seed=78, temperature=1.0, max_length=250))
    assert alone[0].text.split("\n", 1)[1] == first[1].text.split("\n", 1)[1]  # tune i is the same alone
    free = shipped.sample(SamplingConfig(count=2, seed=77, temperature=1.0, max_length=250, cadence="free"))
    assert [t.text for t in free] != [t.text for t in first]


def test_the_chances_are_the_ones_measured_on_oneills():
    corpus = load_corpus_at_level("oneills1850", "canonical")
    assert measure_chances([t.text for t in corpus.tunes]) == CHANCES
