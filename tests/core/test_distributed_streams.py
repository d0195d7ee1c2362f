"""Stream training with two real gloo processes: each rank reads its own tune streams, rank 0 exactly what a single
process reads, and a checkpoint's per-rank positions give each rank back its own stream and carried state."""

from __future__ import annotations

import runpy
import sys
import textwrap

from studio.core.abc.text import split_tunes
from studio.core.corpus import builtin_corpus_files
from support import run_two_ranks, studio_env

CHILD = textwrap.dedent("""
    import hashlib, sys, torch
    torch.set_num_threads(1)
    from studio.core.corpus import load_corpus
    from studio.core.configs import preset
    from studio.core.learning.training import Trainer
    from studio.core.learning.training_data import TrainingBatches

    def digest(tensor):
        return hashlib.sha256(tensor.contiguous().numpy().tobytes()).hexdigest()[:16]

    model_config, train_config = preset("tiny")
    trainer = Trainer.new(load_corpus(sys.argv[1]), model_config, train_config)
    print("first", digest(trainer.batches.next_batch(trainer.device)[0]))
    for _ in range(2):
        trainer.train_step()
    states = trainer.distributed.gather(trainer.batches.state_dict())  # what _save_last stores
    again = TrainingBatches(trainer.split.train, trainer.vocabulary, train_config, trainer.distributed.rank)
    again.restore(states, None, trainer.distributed.rank, trainer.device)
    print("same_carried", all(torch.equal(a, b) for a, b in zip(again.carried, trainer.batches.carried)))
    print("same_next", torch.equal(again.next_batch(trainer.device)[0], trainer.batches.next_batch(trainer.device)[0]))
""")


def test_each_rank_reads_its_own_streams_and_resumes_its_own(tmp_path, monkeypatch, capsys):
    corpus = tmp_path / "oneill-sixty.abc"
    text = builtin_corpus_files("oneills1850")[0].read_bytes().decode("latin-1")
    corpus.write_text("\n\n".join(split_tunes(text)[:60]) + "\n", encoding="utf-8")
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    base = studio_env(tmp_path)
    base.pop("WORLD_SIZE", None)
    rank0, rank1 = run_two_ranks(script, str(corpus), env=base)
    # the same child as a single process: this one (not distributed), so only the two ranks pay for importing torch
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setattr(sys, "argv", [str(script), str(corpus)])
    capsys.readouterr()
    runpy.run_path(str(script), run_name="__main__")
    single = dict(line.split(" ", 1) for line in capsys.readouterr().out.splitlines())
    assert rank0["first"] == single["first"], "rank 0 reads what a single process reads"
    assert rank1["first"] != rank0["first"], "each rank its own streams"
    for rank in (rank0, rank1):
        assert rank["same_carried"] == "True" and rank["same_next"] == "True"
