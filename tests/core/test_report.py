"""The experiment report: Markdown with both curves, the differing-settings table, metrics and analysis."""

from __future__ import annotations

from studio.core.reports.report import differing_settings, write_report


def test_report_has_both_curves_and_the_differing_parameter(experiment_copy):
    result = experiment_copy
    path = write_report(result)  # the HTML page: test_report_html.py
    text = path.read_text(encoding="utf-8")
    curves = result.folder / "loss_curves.png"
    assert curves.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and curves.stat().st_size > 10_000
    assert (result.folder / "overlap.png").exists()
    assert "batch_size=8" in text and "batch_size=4" in text
    assert "| batch_size | 8 | 4 |" in text
    assert "![Overlaid loss curves](loss_curves.png)" in text
    assert "real vs real" in text
    assert "## Analysis" in text and "lower validation loss" in text
    assert "held-out loss per melody note" in text and "with the lower loss per melody note" in text
    assert f"| {result.arms[0].held_out_per_note:.3f} |" in text


def test_report_rebuilds_from_the_folder(experiment_copy):
    result = experiment_copy
    text = write_report(result.folder).read_text(encoding="utf-8")
    assert text.startswith("# Experiment: tiny: batch_size 8 vs 4")


def test_only_the_variable_differs(tiny_experiment):
    result, _ = tiny_experiment
    differing, shared = differing_settings(result.arms)
    assert differing == {"batch_size": [8, 4]}
    assert shared["seq_length"] == 100
