"""The written report of an experiment: Markdown with PNG plots, tables and a short analysis from the numbers.

:func:`write_report` reads an :class:`~studio.core.learning.experiments.ExperimentResult` (or its folder) and writes
``report.md``, ``loss_curves.png`` and ``overlap.png`` into the experiment folder
(:func:`studio.core.reports.report_html.write_reports` also writes ``report.html`` beside them, from the same
tables). The plots use matplotlib's Agg backend (no display, no Qt). The analysis sentences compare the runs on the
curve statistics (smoothness, spikes, final and validation loss, time), on the held-out loss per melody note and on
the quality metrics against the real-vs-real baseline.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import numpy as np  # noqa: E402

from studio.core.formatting import format_value  # noqa: E402
from studio.core.learning.early_stopping import COMPLETED_REASONS  # noqa: E402
from studio.core.learning.experiments import ArmResult, ExperimentResult, load_experiment  # noqa: E402
from studio.core.quality.curves import CURVE_WINDOW, FINAL_LOSS_STEPS  # noqa: E402
from studio.core.quality.evaluation import TABLE_FEATURES  # noqa: E402
from studio.core.quality.metrics import SET_FEATURES  # noqa: E402

_SET_ROWS = (("validity_rate", "validity rate", "higher"), ("bar_correct_rate", "bar-correct rate", "higher"),
             ("novelty_rate", "novelty rate", "higher"), ("mean_overlap", "mean overlap (Yang & Lerch)", "higher"),
             ("pitch_class_js", "pitch-class JS distance", "lower"), ("interval_js", "interval JS distance", "lower"))


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    if len(values) < window:
        return values
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="valid")


def loss_series(result: ExperimentResult) -> list[tuple[str, list, dict]]:
    """(label, loss points, curve statistics) of every trained run of an experiment, each run once."""
    series, seen_runs = [], set()
    for arm in result.arms:
        if arm.run_path in seen_runs:
            continue
        seen_runs.add(arm.run_path)
        label = "all runs (same training)" if result.spec.generation_time else arm.label
        series.append((label, arm.loss_log(), arm.curve))
    return series


def plot_loss_series(series: list[tuple[str, list, dict]], title: str, target, image_format: str | None = None):
    """Overlaid training curves (raw, faint; smoothed, solid), validation points, the largest spike of each run
    and its oscillation band (smoothed loss +- oscillation over the last third) into ``target`` (path or file)."""
    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    for number, (label, points, curve) in enumerate(series):
        train = [(p.step, p.value) for p in points if p.kind == "train"]
        validation = [(p.step, p.value) for p in points if p.kind == "validation"]
        colour = f"C{number}"
        if train:
            steps, values = map(np.array, zip(*train))
            ax.plot(steps, values, color=colour, alpha=0.25, linewidth=0.8)
            window = max(1, min(CURVE_WINDOW, len(values) // 5))
            smooth_steps, smooth = steps[window - 1:], _smooth(values, window)
            ax.plot(smooth_steps, smooth, color=colour, linewidth=2, label=f"{label} train (mean of {window} steps)")
            oscillation = curve.get("oscillation") or 0.0
            tail = smooth_steps >= steps[len(steps) - len(steps) // 3] if len(steps) >= 3 else smooth_steps < 0
            if oscillation > 0 and tail.any():
                ax.fill_between(smooth_steps[tail], smooth[tail] - oscillation, smooth[tail] + oscillation,
                                color=colour, alpha=0.18, linewidth=0,
                                label=f"{label} oscillation \u00b1{oscillation:.3f} (last third)")
        if validation:
            steps, values = zip(*validation)
            ax.plot(steps, values, "o--", color=colour, markersize=4, label=f"{label} validation")
        spike = curve.get("spike_step")
        if spike is not None and train:
            value = dict(train).get(spike)
            ax.plot([spike], [value], "v", color=colour, markersize=6, markeredgecolor="black", markeredgewidth=0.5)
            ax.annotate(f"spike at {spike}: +{curve['spike_height']:.2f}", (spike, value),
                        xytext=(8 if number % 2 == 0 else -8, 12 + 12 * number), textcoords="offset points",
                        color=colour, ha="left" if number % 2 == 0 else "right", fontsize=8,
                        arrowprops={"arrowstyle": "-", "color": colour, "linewidth": 0.6})
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("training step")
    ax.set_ylabel("loss (nats per character)")
    ax.set_title(f"Loss curves: {title}")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(target, format=image_format)
    plt.close(fig)
    return target


def plot_loss_curves(result: ExperimentResult, path: Path) -> Path:
    """:func:`plot_loss_series` of every trained run of the experiment, as a PNG file."""
    return plot_loss_series(loss_series(result), result.spec.title(), path)


def plot_overlap(result: ExperimentResult, path: Path) -> Path:
    """Yang & Lerch overlap per feature for every run beside the real-vs-real baseline."""
    scored = [arm for arm in result.arms if arm.set_metrics]
    series = [(arm.label, arm.set_metrics["features"]) for arm in scored]
    if result.baseline:
        series.append(("real vs real", result.baseline["features"]))
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=110)
    width = 0.8 / max(1, len(series))
    x = np.arange(len(SET_FEATURES))
    for number, (label, features) in enumerate(series):
        values = [features.get(name, {}).get("overlap", 0.0) for name in SET_FEATURES]
        colour = "0.6" if label == "real vs real" else f"C{number}"
        ax.bar(x + number * width - 0.4 + width / 2, values, width, label=label, color=colour)
    ax.set_xticks(x, [name.replace("_", " ") for name in SET_FEATURES], rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("overlap with the corpus (1 = same)")
    ax.set_title("Generated tunes vs the corpus, feature by feature (Yang & Lerch)")
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1:
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def differing_settings(arms: list[ArmResult]) -> tuple[dict[str, list], dict[str, object]]:
    """Settings that differ between runs ({name: value per run}) and those shared by all ({name: value})."""
    per_arm = [{**{f"model.{k}": v for k, v in arm.model_config.items()}, **arm.train_config,
                "temperature": arm.temperature} for arm in arms]
    names = list(per_arm[0]) if per_arm else []
    differing = {n: [d.get(n) for d in per_arm] for n in names if len({repr(d.get(n)) for d in per_arm}) > 1}
    shared = {n: per_arm[0][n] for n in names if n not in differing}
    return differing, shared


def _best(arms: list[ArmResult], key, lower: bool = True) -> ArmResult | None:
    candidates = [a for a in arms if key(a) is not None]
    if not candidates:
        return None
    return min(candidates, key=key) if lower else max(candidates, key=key)


def _compare(arms: list[ArmResult], key, lower_is_better: bool, what: str, unit: str = "") -> str | None:
    best = _best(arms, key, lower_is_better)
    worst = _best(arms, key, not lower_is_better)
    if best is None or worst is None or best is worst:
        return None
    b, w = key(best), key(worst)
    ratio = f", {w / b:.1f}x" if b and w and b > 0 and w / b >= 1.2 else ""
    digits = 1 if unit else 3
    return f"{best.label} {what}: {_fmt(b, digits)}{unit} vs {_fmt(w, digits)}{unit} for {worst.label}{ratio}."


def written_analysis(result: ExperimentResult) -> list[str]:
    """Sentences comparing the runs, generated from the curve statistics and quality metrics."""
    arms = [a for a in result.arms if a.reason in COMPLETED_REASONS]
    lines = []
    if not result.spec.generation_time and len(arms) >= 2:
        sentences = [
            _compare(arms, lambda a: a.curve["oscillation"], True,
                     "trained more smoothly: its loss oscillated less over the last third"),
            _compare(arms, lambda a: a.curve["spike_height"], True, "had the smaller largest spike"),
            _compare(arms, lambda a: a.curve["final_loss"], True,
                     "reached the lower final training loss"),
            _compare(arms, lambda a: a.curve["best_validation_loss"], True,
                     "reached the lower validation loss, i.e. generalised better to unseen tunes"),
            _compare(arms, lambda a: a.held_out_per_note, True,
                     "read the held-out tunes whole with the lower loss per melody note"),
            _compare(arms, lambda a: a.curve["wall_time"], True,
                     "trained faster (wall time also depends on what else the machine was doing)", " s"),
        ]
        lines += [s for s in sentences if s]
        lines += [describe_spike(arm.label, arm.curve) for arm in arms if arm.curve["spike_step"] is not None]
    scored = [a for a in arms if a.set_metrics]
    if len(scored) >= 2:
        sentences = [
            _compare(scored, lambda a: a.set_metrics["mean_overlap"], False,
                     "wrote tunes statistically closer to the corpus (higher mean overlap)"),
            _compare(scored, lambda a: a.set_metrics["validity_rate"], False, "wrote more structurally valid tunes"),
            _compare(scored, lambda a: a.set_metrics["bar_correct_rate"], False,
                     "wrote more tunes whose every bar fits the meter"),
        ]
        lines += [s for s in sentences if s]
    if scored and result.baseline:
        base = result.baseline["mean_overlap"]
        best = max(a.set_metrics["mean_overlap"] for a in scored)
        gap = "close to" if best >= base - 0.05 else "still below"
        lines.append(f"The best run's mean overlap ({best:.3f}) is {gap} what two halves of the real corpus reach "
                     f"({base:.3f}); that baseline is the ceiling for 'sounds like the corpus'.")
    steps = max((a.curve["steps"] for a in arms), default=0)
    if steps and steps < 1000:
        lines.append(f"Caution: the runs were trained for only {steps} steps; the differences above describe early "
                     "training and may change with the full schedule. Each configuration was trained once (one "
                     "seed), so small differences may be noise.")
    return lines


def describe_spike(label: str, curve: dict) -> str:
    """The largest spike of a curve in words: 'L: the largest spike came at step 811, +0.350 nats ...'."""
    return (f"{label}: the largest spike came at step {curve['spike_step']}, +{curve['spike_height']:.3f} nats above "
            f"the median of the {curve.get('window', CURVE_WINDOW)} steps before it.")


def describe_oscillation(label: str, curve: dict) -> str:
    """The oscillation of a curve over its last third, in words."""
    level = f" around a final loss of {_fmt(curve['final_loss'])}" if curve.get("final_loss") is not None else ""
    return (f"{label}: over the last third of training the loss oscillated by {_fmt(curve['oscillation'], 4)} nats "
            f"(standard deviation around its moving average){level}.")


def settings_table(arms: list[ArmResult]) -> tuple[list[str], list[list[str]], str]:
    """The settings that differ (header, one row per setting) and a sentence naming those shared by every run;
    for a single run, all its settings."""
    differing, shared = differing_settings(arms)
    if len(arms) == 1:
        return ["setting", arms[0].label], [[name, _fmt(value, 4)] for name, value in shared.items()], ""
    rows = [[name] + [_fmt(v) for v in values] for name, values in differing.items()]
    return (["setting"] + [a.label for a in arms], rows,
            "Same in every run: " + ", ".join(f"{k}={_fmt(v, 4)}" for k, v in shared.items()) + ".")


def curve_table(arms: list[ArmResult]) -> tuple[list[str], list[list[str]]]:
    """Curve statistics, one row per run."""
    rows = [[a.label, a.reason, str(a.curve["steps"]), _fmt(a.curve["spike_step"]), _fmt(a.curve["spike_height"]),
             _fmt(a.curve["oscillation"], 4), _fmt(a.curve["final_loss"]), _fmt(a.curve["best_validation_loss"]),
             _fmt(a.held_out_per_note), f"{a.curve['wall_time']:.0f}"] for a in arms]
    return (["run", "status", "steps", "largest spike at step", "spike height", "oscillation (last third)",
             "final train loss", "best validation loss", "held-out loss per melody note", "wall time (s)"], rows)


def curve_definitions(window: int) -> str:
    return (f"Largest spike: the biggest rise of the training loss above the median of the {window} steps "
            f"before it. Oscillation: standard deviation of the loss around its {CURVE_WINDOW}-step moving average "
            f"over the last third of training. Final train loss: mean of the last {FINAL_LOSS_STEPS} steps. "
            "Losses are cross-entropy in nats per character; the held-out loss per melody note is the kept "
            "checkpoint's on the held-out tunes, each read whole, summed and divided by their melody notes (as "
            "`python -m studio score` reports it), comparable between runs that read other text levels.")


SET_DEFINITIONS = (
    "Validity: the tune has M and K headers and no unclosed chord, slur, tuplet or grace group. "
    "Bar-correct: every bar fits the meter (pickup and final bars allowed short). Novelty: no corpus tune "
    "shares 85 % or more of its note 5-grams. Overlap (Yang & Lerch): how well the distribution of "
    "feature distances from generated to real tunes matches the distances among real tunes (1 = "
    "indistinguishable). JS distance: Jensen-Shannon distance between pitch-class / interval histograms "
    "(0 = identical). The baseline compares two random halves of the corpus.")


def set_metrics_table(columns: list[tuple[str, dict]], baseline: dict | None) -> tuple[list[str], list[list[str]]]:
    """Set metrics of each (label, set metrics) column beside the real-vs-real baseline."""
    rows = [[f"{label} ({better} is better)"] + [_fmt(metrics[key]) for _, metrics in columns]
            + [_fmt(baseline.get(key) if baseline else None)] for key, label, better in _SET_ROWS]
    return ["metric"] + [label for label, _ in columns] + ["real vs real (baseline)"], rows


def _median(values: list[float]) -> float | None:
    return float(np.median(values)) if values else None


def feature_table(columns: list[tuple[str, list[dict]]], reference_ranges: dict) -> tuple[list[str], list[list[str]]]:
    """Median of each per-tune feature over each (label, tune metrics) column, beside the corpus range; values
    outside the 5th-95th percentile range end in ' (outside)'."""
    rows = []
    for name, _ in TABLE_FEATURES:
        if name not in reference_ranges:
            continue
        low, median, high = reference_ranges[name]
        cells = []
        for _, tunes in columns:
            value = _median([m[name] for m in tunes if name in m])
            mark = " (outside)" if value is not None and not low - 1e-9 <= value <= high + 1e-9 else ""
            cells.append(_fmt(value) + mark)
        rows.append([name.replace("_", " ")] + cells + [corpus_range(reference_ranges, name)])
    return ["feature"] + [label for label, _ in columns] + ["corpus median [5th-95th pct]"], rows


def corpus_range(reference_ranges: dict, name: str) -> str:
    low, median, high = reference_ranges[name]
    return f"{format_value(median)} [{format_value(low)}-{format_value(high)}]"


def render_markdown(result: ExperimentResult, curve_png: str, overlap_png: str | None) -> str:
    """The report's Markdown text (plots referenced by file name, next to the report)."""
    spec = result.spec
    arms = result.arms
    out = [f"# Experiment: {spec.title()}", ""]
    for paragraph in experiment_summary(result):
        out += [paragraph, ""]
    out += ["## What differs", ""]
    header, rows, shared = settings_table(arms)
    out += _table(header, rows)
    out += ["", shared, ""]

    out += ["## Loss curves", "", f"![Overlaid loss curves]({curve_png})", ""]
    out += ["## Curve statistics", ""]
    out += _table(*curve_table(arms))
    window = arms[0].curve.get("window", CURVE_WINDOW) if arms else CURVE_WINDOW
    out += ["", curve_definitions(window), ""]

    scored = [a for a in arms if a.set_metrics]
    if scored:
        out += ["## Quality of the generated tunes (set metrics)", ""]
        out += _table(*set_metrics_table([(a.label, a.set_metrics) for a in scored], result.baseline))
        out += ["", SET_DEFINITIONS, ""]
        if overlap_png:
            out += [f"![Overlap per feature]({overlap_png})", ""]
        out += ["## Per-tune metrics (median over each run's tunes) vs the corpus range", ""]
        out += _table(*feature_table([(a.label, a.tune_metrics) for a in scored], result.reference_ranges))
        out += [""]

    out += ["## Analysis", ""]
    out += [f"- {line}" for line in written_analysis(result)] or ["- Not enough finished runs to compare."]
    out += ["", "## Files", ""]
    for arm in arms:
        out.append(f"- {arm.label}: run `{arm.run_id}`" + (f", tunes `{Path(arm.samples_file).name}`"
                                                          if arm.samples_file else ""))
    out.append("")
    return "\n".join(out)


def experiment_summary(result: ExperimentResult) -> list[str]:
    """The opening sentences: corpus, preset, variable, sampling, status; and how the runs were kept comparable."""
    spec = result.spec
    out = [f"Corpus: **{result.corpus['name']}** ({result.corpus['tunes']} tunes). Base preset: **{spec.preset}**. "
           f"Variable: **{spec.variable}** = {', '.join(str(v) for v in spec.values)}. "
           f"Each run generated {spec.tunes_per_run} tunes at temperature "
           f"{'(varied)' if spec.generation_time else spec.temperature} with sampling seeds {spec.sampling_seed} to "
           f"{spec.sampling_seed + spec.tunes_per_run - 1}. Status: {result.status}. Started {result.started}, "
           f"finished {result.finished or '-'}."]
    if spec.generation_time:
        out.append("The variable acts at generation time, so one model was trained and sampled at each value.")
    else:
        out.append("The runs were trained one after the other with the same train/validation split and the same "
                   "seed (same initial weights where the shapes allow it), so the variable is the only difference.")
    return out


def write_report(result: ExperimentResult | Path | str) -> Path:
    """Writes ``report.md`` and its plots into the experiment folder; returns its path. (The HTML page beside it:
    :func:`studio.core.reports.report_html.write_reports`.)"""
    if not isinstance(result, ExperimentResult):
        result = load_experiment(result)
    folder = result.folder
    curve_png = plot_loss_curves(result, folder / "loss_curves.png").name
    overlap_png = plot_overlap(result, folder / "overlap.png").name if any(a.set_metrics for a in result.arms) else None
    path = folder / "report.md"
    path.write_text(render_markdown(result, curve_png, overlap_png), encoding="utf-8")
    return path
