"""``python -m studio inspect``: the distribution at a point at two temperatures, strict bars' share, the summary."""

from __future__ import annotations

import re

import pytest

from studio.cli.main import main
from studio.core.network.inspection import inspect_text, offset_of
from studio.core.paths import SHIPPED_MODEL

TUNE = "X:1\nT:Test\nM:4/4\nL:1/8\nK:D\nabcd efga|bagf edcB|A2F2 D4|\n"


@pytest.fixture()
def tune_file(tmp_path):
    path = tmp_path / "tune.abc"
    path.write_text(TUNE, encoding="utf-8")
    return path


def test_the_distribution_at_a_point_at_two_temperatures(tune_file, shipped_sampler, capsys):
    assert main(["inspect", str(tune_file), "--model", str(SHIPPED_MODEL), "--at", "6:10",
                 "--temperature", "1.5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("6:10, written |; T=1: entropy") and "T=1.5: entropy" in out[0]
    marked = [line for line in out if line.endswith("<-")]
    assert len(marked) == 1 and marked[0].split()[0] == "|" and "bar line" in marked[0]
    seen = inspect_text(shipped_sampler.model, shipped_sampler.vocabulary, TUNE)
    offset = offset_of(TUNE, 6, 10)
    at_one, at_hot = seen.distribution_at(offset, 1.0), seen.distribution_at(offset, 1.5)
    assert f"entropy {at_one.entropy_bits:.2f} bits" in out[0] and f"entropy {at_hot.entropy_bits:.2f} bits" in out[0]
    columns = [float(x) for x in marked[0].split()[1:3]]
    assert columns == [pytest.approx(at_one.written_probability, abs=6e-4),
                       pytest.approx(at_hot.written_probability, abs=6e-4)]
    strict = next(line for line in out if line.startswith("strict bars forbid"))
    assert f"{seen.strict_forbidden_share(offset, 1.5):.1%} at T=1.5" in strict
    assert re.search(r"\d+ characters predicted, mean surprise \d\.\d{3} bits", "\n".join(out))


def test_without_a_point_it_shows_the_most_surprising_character(tune_file, shipped_sampler, capsys):
    assert main(["inspect", str(tune_file), "--model", str(SHIPPED_MODEL)]) == 0
    out = capsys.readouterr().out.splitlines()
    place = inspect_text(shipped_sampler.model, shipped_sampler.vocabulary, TUNE).most_surprising(1)[0]
    assert out[0].startswith(f"{place.line}:{place.column}, written")
    summary = out[out.index("") + 1:]
    assert "mean surprise" in summary[0] and summary[1].strip().startswith(f"{place.line}:{place.column}")


def test_a_tune_book_picks_one_tune(tmp_path, capsys):
    path = tmp_path / "book.abc"
    path.write_text(TUNE + "\n" + TUNE.replace("X:1", "X:2").replace("T:Test", "T:Other"), encoding="utf-8")
    assert main(["inspect", str(path), "--model", str(SHIPPED_MODEL), "--tune", "2", "--at", "2:3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "tune 2 of 2" and out[1].startswith("2:3, written O")


@pytest.mark.parametrize("args, message", [
    (["--at", "40:1"], "outside the text"),
    (["--at", "seven"], "LINE:COL"),
    (["--temperature", "0"], "above 0"),
    (["--tune", "3"], "one tune"),
])
def test_mistakes_exit_2_with_one_line(tune_file, capsys, args, message):
    assert main(["inspect", str(tune_file), "--model", str(SHIPPED_MODEL), *args]) == 2
    assert message in capsys.readouterr().err

