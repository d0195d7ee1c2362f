"""One tonic (``TrainConfig.tonic``): every tune written with the same tonic, mode, intervals, bars and range kept; the
trainer, the scorer and a fine-tuned run all read the tunes in that key."""

from __future__ import annotations

from collections import Counter

from support import melody_pitches

from studio.core.abc.key_moves import PLAYABLE_RANGE, in_tonic, keys_by_mode, shift_to_tonic
from studio.core.abc.keys import read_key
from studio.core.abc.tokenizer import scan_tune
from studio.core.configs import TrainConfig
from studio.core.learning.augmentation import TRANSPOSITION_ALPHABET
from studio.core.learning.fine_tuning import load_base
from studio.core.learning.packaging import card_text, package_model
from studio.core.learning.training import Trainer
from studio.core.network.checkpoints import load_checkpoint, save_checkpoint
from studio.core.quality.scoring import TUNE_ENDING, score_corpus


def _key(text: str):
    return read_key(scan_tune(text).fields.get("K", ""))


def test_oneills_tunes_that_can_move_are_written_in_d_with_their_mode_intervals_bars_and_range(oneills):
    tunes = oneills.tunes[::4]  # 500 tunes of every kind: the reading takes a few seconds
    moved = stayed = 0
    for tune in tunes:
        text = in_tonic(tune.text, "D")
        if shift_to_tonic(tune.text, "D") is None:
            stayed += 1
            assert text == tune.text
            continue
        before, after = _key(tune.text), _key(text)
        assert after.letter == "D" and after.alteration == 0 and after.mode == before.mode, tune.id
        old, new = melody_pitches(tune.text), melody_pitches(text)
        shift = new[0] - old[0]
        assert new == [p + shift for p in old], tune.id
        assert PLAYABLE_RANGE[0] <= min(new) and max(new) <= PLAYABLE_RANGE[1], tune.id
        assert [b.duration for b in scan_tune(text).bars] == [b.duration for b in scan_tune(tune.text).bars]
        moved += shift != 0
    assert moved > len(tunes) / 2  # most of O'Neill's are in G, A, E or B minor...
    assert stayed < len(tunes) / 20  # ...and only a few span too wide a range (or have no key) to move


def test_as_written_leaves_every_tune_alone_and_a_keyless_tune_stays():
    tune = "X:1\nT:Keyless\nM:4/4\nL:1/8\nK:none\nGABc d2 e2|]\n"
    assert in_tonic(tune, "D") == tune
    assert in_tonic(tune.replace("K:none", "K:G"), "written") == tune.replace("K:none", "K:G")


def test_one_tonic_and_key_augmentation_cannot_be_asked_together():
    assert "augment_keys" in TrainConfig(tonic="D", augment_keys=(2,)).problems()
    assert not TrainConfig(tonic="D").problems()
    assert "tonic" in TrainConfig(tonic="H").problems()
    assert TrainConfig.from_dict({"iterations": 5}).tonic == "written"  # runs saved before the field existed


def test_a_one_tonic_run_trains_scores_and_hands_its_key_to_a_fine_tuned_run(forty_oneills, tiny_configs, store,
                                                                             tmp_path):
    trainer = Trainer.new(forty_oneills, *tiny_configs(6, tonic="D"), store, "in-d")
    plain = Trainer.new(forty_oneills, *tiny_configs(6))
    assert [t.id for t in trainer.split.validation] == [t.id for t in plain.split.validation]
    tonics = Counter(_key(t.text).letter for t in trainer.split.train + trainer.split.validation)
    assert tonics["D"] >= len(forty_oneills.tunes) - 2, tonics
    assert Counter(_key(t.text).letter for t in plain.split.train)["D"] < len(plain.split.train) / 2
    assert set(TRANSPOSITION_ALPHABET) <= set(trainer.vocabulary.chars)
    trainer.run()
    assert trainer.run_folder.meta()["train_config"]["tonic"] == "D"
    as_written = keys_by_mode(t.text for t in plain.split.train)  # the keys before the move, kept for sampling
    assert load_checkpoint(trainer.run_folder.last_checkpoint).corpus["keys"] == as_written
    assert len(as_written[""]) >= 3 and "keys" not in plain.corpus_info  # tunes in their own keys: nothing to keep
    older = load_checkpoint(trainer.run_folder.last_checkpoint)  # a run trained before checkpoints kept the keys:
    older.corpus.pop("keys")  # packaging reads them from its training tunes again
    save_checkpoint(tmp_path / "older.pt", older)
    assert package_model(tmp_path / "older.pt", tmp_path / "m.pt", trainer.run_folder)[2].corpus["keys"] == as_written

    checkpoint = trainer.run_folder.last_checkpoint
    score = score_corpus(checkpoint, forty_oneills, run=trainer.run_folder)
    in_d = [in_tonic(t.text, "D") for t in plain.split.validation]
    assert [s.characters for s in score.tunes] == [len(text + TUNE_ENDING) - 1 for text in in_d]  # the first is read, not predicted
    assert in_d != [t.text for t in plain.split.validation]  # the held-out tunes really moved

    base = load_base(checkpoint, store)
    _, settings = base.settings(*tiny_configs(5))
    assert settings.tonic == "D"
    assert base.conflicts({"tonic": "G"}) and not base.conflicts({"tonic": "D"})
    assert "every tune written with the tonic D (so it writes in D)" in card_text(checkpoint, base.checkpoint, "a run")
