"""Tonal measures on real O'Neill's tunes: the tonic by mode, the last note of the tune and of each strain (second
endings go on, first endings lead back), the triad, the pitch classes from the tonic, and the corpus's rates."""

from __future__ import annotations

import re

import pytest

from studio.core.abc.keys import read_key
from studio.core.quality.metrics import set_metrics, tune_metrics
from studio.core.quality.tonal import tonal_measures


def _tune(oneills, number: int) -> str:
    return next(t.text for t in oneills.tunes if re.match(rf"X:{number}\n", t.text))


@pytest.mark.parametrize("key, tonic, triad", [("Ador", 9, {9, 0, 4}), ("Gmix", 7, {7, 11, 2}), ("Em", 4, {4, 7, 11}),
                                              ("D", 2, {2, 6, 9}), ("Bb", 10, {10, 2, 5}), ("F#m", 6, {6, 9, 1})])
def test_the_tonic_and_triad_follow_the_mode(key, tonic, triad):
    measures = tonal_measures(f"X:1\nM:4/4\nL:1/8\nK:{key}\nABcd efga|\n")
    assert measures.tonic == tonic and measures.triad == frozenset(triad) == read_key(key).triad


def test_second_endings_go_on_and_first_endings_lead_back():
    text = "X:1\nM:6/8\nL:1/8\nK:Ador\n|:E|ABA ABc|1 dBG A2E:|2 dBG A3||\n|:e|aga ege|1 dBG E2e:|2 dBG c3|]\n"
    measures = tonal_measures(text)
    assert [p % 12 for p in measures.strain_final_pitches] == [9, 0]  # A (second ending), then C
    assert not measures.final_on_tonic and measures.strain_tonic_share == 0.5 and measures.strain_triad_share == 1
    assert measures.relative_histogram[0] == sum(1 for ch in text.split("K:Ador\n")[1] if ch in "Aa")


def test_real_tunes_with_endings(oneills):
    """O'Neill's X:564 (Biddy is my Darling): the first ending ends on A ('BcB A2:|'), the second on G ('G3 G2||'):
    the strain ends on G, the one that goes on; X:814 the same with a first ending ending on the pickup B."""
    biddy = tonal_measures(_tune(oneills, 564))
    assert biddy.tonic == 7 and [p % 12 for p in biddy.strain_final_pitches] == [7, 7]
    assert biddy.final_on_tonic and biddy.strain_tonic_share == 1.0
    bells = tonal_measures(_tune(oneills, 814))
    assert bells.tonic == 2 and [p % 12 for p in bells.strain_final_pitches] == [2, 2]


def test_corpus_rates_and_relative_pitch_classes(oneills):
    """O'Neill's: about 82% of tunes end on the tonic (NOTES.md), 80%+ of strains; the pitch classes counted from
    the tonic put the tonic and the fifth first; the relative JS distance of two halves is far below the absolute one
    of a set moved to one key."""
    measured = [tune_metrics(t.text) for t in oneills.tunes]
    final = sum(m.final_on_tonic for m in measured) / len(measured)
    strains = sum(m.strain_tonic_share for m in measured) / len(measured)
    assert 0.80 <= final <= 0.85 and 0.78 <= strains <= 0.86
    relative = [sum(m.relative_pitch_class_histogram[i] for m in measured) for i in range(12)]
    assert sorted(range(12), key=relative.__getitem__, reverse=True)[:2] in ([0, 7], [7, 0])
    texts = [t.text for t in oneills.tunes[:200]]
    moved = [re.sub(r"^K:.*$", "K:C", t, count=1, flags=re.M) for t in texts]
    same = set_metrics(texts[:100], texts[100:])
    assert same.relative_pitch_class_js < 0.1
    assert set_metrics(moved[:100], texts[100:]).relative_pitch_class_js > 2 * same.relative_pitch_class_js
    assert same.final_tonic_rate == pytest.approx(sum(m.final_on_tonic for m in measured[:100]) / 100)
