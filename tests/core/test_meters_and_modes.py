"""Meter and mode distributions of a set of tunes (studio.core.quality.meters_and_modes), on real collections, and the
Essen sample they were made to compare with (``essen300``)."""

from __future__ import annotations

import pytest

from studio.core.corpus import load_corpus
from studio.core.quality.meters_and_modes import distribution_distance, meter_mode_counts, meter_of, mode_of


@pytest.fixture(scope="module")
def essen():
    return load_corpus("essen300")


def test_the_essen_sample_is_a_fixed_choice_of_300_songs(essen):
    again = load_corpus("essen300")
    assert len(essen.tunes) == 300 and [t.id for t in essen.tunes] == [t.id for t in again.tunes]
    whole = {t.id for t in load_corpus("essenFolksong").tunes}
    assert {t.id for t in essen.tunes} <= whole and essen.identity() == again.identity()
    assert len(essen.split(0.3334, 0).validation) == 100  # the measurement's 200 to train, 100 held out


def test_meters_and_modes_are_read_from_the_headers_in_one_spelling():
    assert meter_of("X:1\nM:C\nK:D\nabc|") == "4/4" and meter_of("X:1\nM: none\nK:D\nabc|") == "none"
    assert meter_of("X:1\nK:D\nabc|") == "none" and meter_of("X:1\nM:6/8\nK:D\nabc|") == "6/8"
    assert [mode_of(f"X:1\nK:{key}\nabc|") for key in ("D", "Em", "Ador", "G Mixolydian", "none")] == [
        "major", "minor", "dorian", "mixolydian", "none"]


def test_a_collection_is_far_from_another_style_and_close_to_itself(oneills, essen):
    irish = meter_mode_counts(t.text for t in oneills.tunes)
    german = meter_mode_counts(t.text for t in essen.tunes)
    halves = [meter_mode_counts(t.text for t in essen.tunes[i::2]) for i in (0, 1)]
    assert german[0]["none"] > 0 and irish[0]["6/8"] > german[0]["6/8"]
    for which in (0, 1):  # meters, then modes
        within = distribution_distance(halves[0][which], halves[1][which])
        across = distribution_distance(irish[which], german[which])
        assert within < across, (which, within, across)
    assert distribution_distance(german[0], german[0]) == 0.0
