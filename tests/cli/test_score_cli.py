"""``python -m studio score``: the trainer's own validation loss reproduced, per-tune figures, unknown characters."""

from __future__ import annotations

import re

from studio.cli.main import main
from studio.core.abc.tokenizer import scan_tune
from studio.core.network.checkpoints import load_checkpoint


def nats_per_char(output: str) -> float:
    return float(re.search(r": ([0-9.]+) nats per character = ([0-9.]+) bits", output).group(1))


def test_score_windows_equals_the_trainers_validation_loss(trained_run_copy, capsys):
    trained_run = trained_run_copy  # the score is kept in the run's folder
    runs_dir = str(trained_run.path.parent)
    assert main(["--runs-dir", runs_dir, "score", "--run", trained_run.id, "--corpus", "oneills1850",
                 "--method", "windows"]) == 0
    out, err = capsys.readouterr()
    recorded = load_checkpoint(trained_run.best_checkpoint).metrics["best_validation_loss"]
    assert abs(nats_per_char(out) - recorded) < 1e-4
    assert "(validation, windows)" in out and "score 6400/6400" in err  # the progress bar reached the end
    kept = trained_run.meta()["scores"]["oneills1850|validation|windows"]  # the runs table shows it
    assert kept["nats_per_char"] == nats_per_char(out) or abs(kept["nats_per_char"] - nats_per_char(out)) < 1e-4


def test_score_tunes_lists_the_most_and_least_surprising(trained_run, capsys):
    assert main(["score", "--model", str(trained_run.best_checkpoint), "--corpus", "oneills1850",
                 "--split", "validation", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "(validation, tunes)" in out and "mean" in out and "median" in out
    for heading in ("most surprising:", "least surprising:"):
        listed = out.split(heading)[1].splitlines()[1:4]
        assert len(listed) == 3 and all(re.search(r"bits/char  \d{4}-\d{4}:\d+ ", line) for line in listed)
    hardest = float(out.split("most surprising:")[1].splitlines()[1].split()[0])
    easiest = float(out.split("least surprising:")[1].splitlines()[1].split()[0])
    assert hardest > nats_per_char(out) / 0.6931 > easiest


def test_unknown_characters_are_reported_and_a_foreign_split_is_a_user_mistake(trained_run, oneills, tmp_path,
                                                                                 capsys):
    tunes = oneills.tunes[:2]
    (tmp_path / "two.abc").write_text(tunes[0].text.replace("T:", "T:Café ", 1) + "\n\n" + tunes[1].text + "\n",
                                      encoding="utf-8")
    model = str(trained_run.best_checkpoint)
    assert main(["score", "--model", model, "--corpus", str(tmp_path / "two.abc"), "--split", "all"]) == 0
    assert "1 character(s) outside the model's vocabulary were skipped" in capsys.readouterr().out
    assert main(["score", "--model", model, "--corpus", str(tmp_path / "two.abc")]) == 2
    assert "use split all" in capsys.readouterr().err


def test_the_loss_per_note_counts_the_same_notes_at_every_text_level(trained_run_copy, oneills, capsys):
    """Per character, a raw and a canonical model are not comparable (canonical text is shorter); per melody note
    they are, because the canonical form keeps every note: the note count must not depend on the level."""
    from studio.core.quality.scored_tunes import tunes_of_split
    from studio.core.quality.scoring import score_corpus
    from studio.core.text_levels import corpus_at_level

    trained_run = trained_run_copy  # the score is kept in the run's folder
    raw = score_corpus(trained_run.best_checkpoint, oneills, run=trained_run)  # the tiny run reads raw text
    assert raw.notes > 0 and raw.nats_per_note == raw.nats / raw.notes
    assert raw.nats_per_note > raw.nats_per_char  # a note takes more than one character
    checkpoint = load_checkpoint(trained_run.best_checkpoint)
    canonical = tunes_of_split(corpus_at_level(oneills, "canonical"), "validation", checkpoint, trained_run)
    assert sum(len(t.text) for t in canonical) < raw.characters
    assert sum(len(scan_tune(t.text).melody()) for t in canonical) == raw.notes
    assert main(["--runs-dir", str(trained_run.path.parent), "score", "--run", trained_run.id, "--corpus",
                 "oneills1850"]) == 0
    assert f"per melody note: {raw.nats_per_note:.4f} nats over {raw.notes:,} notes" in capsys.readouterr().out


def test_a_corrupt_model_file_is_a_clear_message(oneills, tmp_path, capsys):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a model at all")
    assert main(["score", "--model", str(broken), "--corpus", "oneills1850"]) == 2
    err = capsys.readouterr().err
    assert "broken.pt" in err and "Traceback" not in err
