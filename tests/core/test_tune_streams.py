"""Tune streams on real O'Neill tunes: each row reads whole tunes in its own order, window after window, starts over
with a zero state and a new order each pass; the position round-trips; ranks read their own streams."""

from __future__ import annotations

import pytest
import torch

from studio.core.corpus import join_tunes
from studio.core.learning.tune_streams import TuneStreams, carried_state, validation_tunes
from studio.core.network.vocabulary import Vocabulary
from studio.core.quality.scoring import TUNE_ENDING


@pytest.fixture(scope="module")
def pool(oneills):
    tunes = list(oneills.tunes[:12])
    vocabulary = Vocabulary.from_text(join_tunes(tunes))
    data = torch.tensor(vocabulary.encode(join_tunes(tunes)), dtype=torch.long)
    return tunes, vocabulary, data, [len(t.text) + len(TUNE_ENDING) for t in tunes]


def streams(pool, rows=3, length=50, seed=1, rank=0) -> TuneStreams:
    _tunes, _vocabulary, data, lengths = pool
    return TuneStreams(data, lengths, rows, length, seed, rank)


def test_each_row_reads_whole_tunes_in_its_own_order_window_after_window(pool):
    tunes, vocabulary, data, _ = pool
    s = streams(pool)
    read = [[] for _ in range(s.rows)]
    resets = []
    for _ in range(s.windows_per_pass):
        inputs, targets, reset = s.next_batch()
        assert torch.equal(inputs[:, 1:], targets[:, :-1])  # targets are the inputs shifted by one
        resets.append(reset.tolist())
        for row in range(s.rows):
            read[row].append(vocabulary.decode(inputs[row].tolist()))
    assert resets[0] == [True] * s.rows and not any(any(r) for r in resets[1:])
    orders = [s.order(row, 0).tolist() for row in range(s.rows)]
    assert len({tuple(o) for o in orders}) == s.rows, "every row has its own order"
    for row in range(s.rows):
        expected = join_tunes([tunes[i] for i in orders[row]])
        assert "".join(read[row]) == expected[: s.windows_per_pass * s.length]
    # the next pass starts over: a reset, and a new order for every row
    _, _, reset = s.next_batch()
    assert reset.all() and s.passes == [1] * s.rows and s.windows == [1] * s.rows
    assert all(s.order(row, 1).tolist() != orders[row] for row in range(s.rows))


def test_the_position_round_trips_and_the_reading_goes_on_the_same(pool):
    straight = streams(pool)
    for _ in range(straight.windows_per_pass + 3):
        straight.next_batch()
    saved = straight.state_dict()
    following = [straight.next_batch()[0] for _ in range(4)]
    restored = streams(pool)
    restored.load_state_dict(saved)
    assert all(torch.equal(restored.next_batch()[0], expected) for expected in following)
    with pytest.raises(ValueError, match="rows"):
        streams(pool, rows=2).load_state_dict(saved)


def test_each_rank_reads_its_own_streams_and_rank_0_what_one_process_reads(pool):
    single, rank0, rank1 = streams(pool), streams(pool, rank=0), streams(pool, rank=1)
    first = single.next_batch()[0]
    assert torch.equal(rank0.next_batch()[0], first)
    assert not torch.equal(rank1.next_batch()[0], first)


def test_the_carried_state_is_zeroed_where_a_row_starts_over():
    h, c = torch.ones(1, 3, 4), torch.full((1, 3, 4), 2.0)
    kept = carried_state((h, c), torch.tensor([False, True, False]))
    assert kept[0][0, :, 0].tolist() == [1.0, 0.0, 1.0] and kept[1][0, :, 0].tolist() == [2.0, 0.0, 2.0]
    assert carried_state((h, c), torch.tensor([True, True, True])) is None
    assert carried_state(None, torch.tensor([False, False, False])) is None


def test_validation_tunes_are_a_fixed_subset_within_the_character_budget(oneills):
    tunes = list(oneills.tunes[:200])
    chosen = validation_tunes(tunes, 6400)
    assert chosen == validation_tunes(tunes, 6400)
    assert 1 < len(chosen) < len(tunes) and len({t.id for t in chosen}) == len(chosen)
    assert sum(len(t.text) + len(TUNE_ENDING) for t in chosen) <= 6400
    assert validation_tunes(tunes, 10) == chosen[:1]  # at least one tune, however small the budget
