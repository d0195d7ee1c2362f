"""Key transposition as data augmentation: training tunes only, every copy keeps intervals and bar lengths."""

from __future__ import annotations

import pytest
from support import melody_pitches

from studio.core.abc.keys import read_key
from studio.core.abc.tokenizer import scan_tune
from studio.core.configs import TrainConfig
from studio.core.abc.key_moves import PLAYABLE_RANGE, fitting_shift, pitch_span
from studio.core.learning.augmentation import augmented_tunes
from studio.core.learning.training import Trainer

SHIFTS = (-5, 2)


def test_only_training_tunes_are_transposed_and_the_text_grows_by_the_copies(forty_oneills, tiny_configs, store):
    # random windows: the joined training text and the validation windows are what this test reads
    model_config, train_config = tiny_configs(5, augment_keys=SHIFTS, context="window")
    augmented = Trainer.new(forty_oneills, model_config, train_config, store, "augmented")
    plain = Trainer.new(forty_oneills, *tiny_configs(5, context="window"))
    assert augmented.split.validation == plain.split.validation
    assert augmented.held_out.data.tolist() == augmented.vocabulary.encode(plain.split.validation_text)
    report = augmented.augmentation
    assert report.copies + len(report.skipped) == len(SHIFTS) * len(plain.split.train)
    assert report.copies >= len(plain.split.train)  # most tunes fit the range both ways
    copies = augmented_tunes(plain.split.train, SHIFTS)[len(plain.split.train):]
    expected = len(plain.split.train_text) + sum(len(t.text) + 2 for t in copies)
    assert len(augmented.batches.data) == expected
    augmented.run()
    recorded = augmented.run_folder.meta()
    assert recorded["train_config"]["augment_keys"] == list(SHIFTS)
    assert recorded["augmentation"]["copies"] == report.copies


def test_every_copy_keeps_its_intervals_bars_and_mode_within_the_playable_range(forty_oneills):
    tunes = forty_oneills.tunes
    by_id = {t.id: t for t in tunes}
    copies = augmented_tunes(tunes, SHIFTS)[len(tunes):]
    assert copies
    for copy in copies:
        original = by_id[copy.id.rsplit("@", 1)[0]]
        before, after = melody_pitches(original.text), melody_pitches(copy.text)
        shift = after[0] - before[0]
        assert shift % 12 == int(copy.id.rsplit("@", 1)[1]) % 12
        assert after == [p + shift for p in before]
        assert PLAYABLE_RANGE[0] <= min(after) and max(after) <= PLAYABLE_RANGE[1]
        assert [b.duration for b in scan_tune(copy.text).bars] == [b.duration for b in scan_tune(original.text).bars]
        old_key, new_key = read_key(scan_tune(original.text).key), read_key(scan_tune(copy.text).key)
        assert new_key.mode == old_key.mode and new_key != old_key


def test_the_range_check_takes_the_octave_that_fits_or_none():
    assert fitting_shift((62, 83), 2) == 2  # D4-B5 up to E
    assert fitting_shift((62, 86), 5) == -7  # up a fourth would pass E6: down a fifth, the same key
    assert fitting_shift((55, 88), 2) is None  # already spans the whole range
    assert pitch_span("X:1\nL:1/8\nK:D\nDFA d2|]\n") == (62, 74)


@pytest.mark.parametrize("shifts, reason", [((0,),  "none of them 0"), ((2, 14), "from -11 to 11"),
                                            ((2, -10), "each key once")])
def test_bad_shifts_are_refused(shifts, reason):
    assert reason in TrainConfig(augment_keys=shifts).problems()["augment_keys"]
