"""The HTML lab report of a tiny real experiment: one self-contained page whose charts, scores, audio and numbers
are all there and all its own (no network), and whose numbers are those of results.json."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest
import soundfile

from studio.core.learning.experiment_spec import ExperimentSpec
from studio.core.learning.experiments import run_experiment
from studio.core.quality.evaluation import read_tunes_file
from studio.core.reports.report_html import write_html_report
from studio.core.runs import RunStore

from report_page import ReportPage as _Page

TEMPERATURES = (0.5, 0.7)
_SET_KEYS = {"validity rate": "validity_rate", "bar-correct rate": "bar_correct_rate", "novelty rate": "novelty_rate",
             "mean overlap": "mean_overlap", "pitch-class JS distance": "pitch_class_js",
             "interval JS distance": "interval_js"}


@pytest.fixture(scope="module")
def sung_experiment(tmp_path_factory):
    """A real experiment whose tunes engrave: one tiny model trained 300 steps (lr 1e-2) on O'Neill's, sampled
    at two low temperatures, two tunes each (the variable acts at generation time, so it trains once). Trained on
    random windows: at these seeds the stream-trained tiny model writes a tune that verovio (SIGABRT) and music21
    both refuse, and this is a test of the report, not of what a tiny model writes."""
    import torch

    torch.set_num_threads(1)  # two threads on a busy two-core machine train ten times slower
    root = tmp_path_factory.mktemp("sung")
    spec = ExperimentSpec("temperature", [0.5, 0.7], preset="tiny", iterations=300, tunes_per_run=2,
                          max_length=500, overrides={"learning_rate": 1e-2, "validation_interval": 50, "context": "window"})
    result = run_experiment(spec, store=RunStore(root / "runs"), root=root / "experiments")
    assert result.status == "finished"
    path = write_html_report(result, temperatures=TEMPERATURES)
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return result, path, page


def _tune_count(result) -> int:
    return sum(len(a.tune_metrics) for a in result.arms) + len(TEMPERATURES)


def test_the_page_is_self_contained(sung_experiment):
    _, path, page = sung_experiment
    text = path.read_text(encoding="utf-8")
    for tag, attributes, _ in page.elements:
        for name in ("src", "href", "xlink:href"):
            value = attributes.get(name) or ""
            assert not re.match(r"\s*(https?:)?//", value), f"<{tag} {name}={value[:80]}> points outside the page"
    assert "@import" not in text and "url(http" not in text
    assert not any(tag in ("script", "link", "iframe") for tag, _, _ in page.elements)
    assert "@media print" in "".join(page.styles)


def test_one_chart_and_one_score_and_player_per_tune(sung_experiment):
    result, _, page = sung_experiment
    charts = [a for t, a, _ in page.elements if t == "svg" and "loss-chart" in (a.get("class") or "")]
    assert len(charts) == 1
    tunes = [a for t, a, _ in page.elements if t == "article" and a.get("class") == "tune"]
    assert len(tunes) == _tune_count(result) == 2 * 2 + len(TEMPERATURES)
    assert len([a for t, a, _ in page.elements if t == "div" and a.get("class") == "score"]) == len(tunes)
    assert len(page.inside("svg", "score")) >= len(tunes)  # one engraved page each (a long tune may take two)
    assert len([a for t, a, _ in page.elements if t == "audio"]) == len(tunes)
    assert not [a for a in page.inside("p", "tune") if "problem" in (a.get("class") or "")]


def test_the_audio_decodes_to_the_tunes_sound(sung_experiment):
    from studio.core.sound.midi import abc_to_midi

    result, _, page = sung_experiment
    players = [a["src"] for t, a, _ in page.elements if t == "audio"]
    texts = [t for arm in result.arms for t in read_tunes_file(arm.samples_file)]
    for uri, text in zip(players, texts):
        assert uri.startswith("data:audio/ogg;base64,")
        samples, rate = soundfile.read(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
        assert rate == 22050 and samples.ndim == 1
        assert np.sqrt(np.mean(samples ** 2)) > 0.005  # not silence
        expected = abc_to_midi(text).length  # the music; the render adds about a second of release
        assert expected < len(samples) / rate < expected + 2.0


def _number(cell: str) -> float | None:
    match = re.match(r"^-?\d+(\.\d+)?", cell)
    return float(match.group(0)) if match else None


def test_the_numbers_are_those_of_results_json(sung_experiment):
    result, _, page = sung_experiment
    saved = json.loads((result.folder / "results.json").read_text(encoding="utf-8"))
    curve_rows = page.tables["curve-stats"][1:]
    assert [row[0] for row in curve_rows] == [arm["label"] for arm in saved["arms"]]
    for row, arm in zip(curve_rows, saved["arms"]):
        curve = arm["curve"]
        assert _number(row[2]) == curve["steps"]
        assert _number(row[4]) == pytest.approx(curve["spike_height"], abs=5e-4)
        assert _number(row[5]) == pytest.approx(curve["oscillation"], abs=5e-5)
        assert _number(row[6]) == pytest.approx(curve["final_loss"], abs=5e-4)
        assert _number(row[7]) == pytest.approx(curve["best_validation_loss"], abs=5e-4)
    set_rows = {row[0].split(" (")[0]: row[1:] for row in page.tables["set-metrics"][1:]}
    assert set_rows.keys() == _SET_KEYS.keys()
    for label, key in _SET_KEYS.items():
        expected = [arm["set_metrics"][key] for arm in saved["arms"]] + [saved["baseline"][key]]
        assert [_number(cell) for cell in set_rows[label]] == pytest.approx(expected, abs=5e-4), label
    for row in page.tables["feature-medians"][1:]:
        key = row[0].replace(" ", "_")
        medians = [float(np.median([m[key] for m in arm["tune_metrics"]])) for arm in saved["arms"]]
        assert [_number(cell) for cell in row[1:-1]] == pytest.approx(medians, abs=5e-4), key


def test_spikes_and_oscillation_are_told_in_words(sung_experiment):
    result, path, _ = sung_experiment
    text = path.read_text(encoding="utf-8")
    curve = result.arms[0].curve
    assert f"the largest spike came at step {curve['spike_step']}, +{curve['spike_height']:.3f} nats" in text
    assert "oscillated by" in text
    assert "python -m studio experiment --preset tiny --vary temperature=0.5,0.7" in text


def test_the_experiment_report_writes_the_page_beside_the_markdown(experiment_copy):
    from studio.core.reports.report_html import write_reports

    result = experiment_copy
    markdown, path = write_reports(result.folder)
    assert path == markdown.with_name("report.html")
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    assert page.tables["settings"] == [["setting", "batch_size=8", "batch_size=4"], ["batch_size", "8", "4"]]
    assert [row[0] for row in page.tables["curve-stats"][1:]] == ["batch_size=8", "batch_size=4"]
    assert len([a for t, a, _ in page.elements if t == "article"]) == 3 + 3 + 3  # two runs, the temperatures
    assert "batch_size=4" in markdown.read_text(encoding="utf-8")


def test_a_tune_book_gets_its_own_page(oneills, tmp_path):
    book = tmp_path / "two tunes.abc"
    book.write_text("\n\n".join(t.text for t in oneills.tunes[:2]) + "\n", encoding="utf-8")
    path = write_html_report(book)
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    assert path == tmp_path / "two tunes.html"
    assert len([a for t, a, _ in page.elements if t == "article"]) == 2
    assert len([a for t, a, _ in page.elements if t == "audio"]) == 2
    assert [row[0] for row in page.tables["set-metrics"]][1] == "validity rate (higher is better)"
    assert "loss-chart" not in path.read_text(encoding="utf-8")


def test_a_single_run_gets_all_its_settings_and_fresh_tunes(trained_run_copy):
    trained_run = trained_run_copy
    path = write_html_report(trained_run, temperatures=(0.8,), audio=False)
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    assert path == trained_run.path / "report.html"
    settings = dict(page.tables["settings"][1:])
    assert settings["batch_size"] == str(trained_run.meta()["train_config"]["batch_size"])
    assert settings["model.hidden_size"] == "64"
    assert len([a for t, a, _ in page.elements if t == "article"]) == 6 + 1  # six sampled tunes, one temperature
    assert page.tables["curve-stats"][1][2] == "150"
    assert "python -m studio train --corpus oneills1850" in path.read_text(encoding="utf-8")
