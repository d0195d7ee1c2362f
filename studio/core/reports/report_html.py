"""The lab report as one self-contained HTML page, for an experiment, a single run or a tune book.

:func:`write_html_report` gathers what the page shows and renders ``templates/report.html.j2`` with Jinja2: what
was compared and held fixed, the overlaid loss curves as inline SVG with the spikes and the oscillation marked and
described in words, the curve and quality tables beside the corpus's ranges, every sampled tune engraved with its
ABC, metrics and an ``<audio>`` player (Ogg Vorbis in a ``data:`` URI, see :mod:`studio.core.reports.report_media`), the
same seed at three temperatures for the best run, and the command lines that reproduce it. The page loads nothing
from the network: CSS is inline, charts and scores are inline SVG, audio is embedded; it carries a print
stylesheet. The tables come from :mod:`studio.core.reports.report`, the same functions the Markdown report uses, so both
reports show the same numbers.
"""

from __future__ import annotations

import io
import os
import re
import shlex
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from studio.core.configs import ModelConfig, TrainConfig, training_settings
from studio.core.corpus import DEFAULT_CORPUS
from studio.core.learning.early_stopping import COMPLETED_REASONS
from studio.core.learning.experiment_spec import ExperimentError
from studio.core.learning.experiments import ArmResult, ExperimentResult, load_experiment
from studio.core.quality.curves import curve_stats
from studio.core.quality.evaluation import corpus_reference, read_tunes_file, run_sample_tunes, EvaluationError
from studio.core.quality.metrics import set_metrics, tune_metrics
from studio.core.reports import report
from studio.core.reports.report_media import audio_seconds_per_tune, tune_media
from studio.core.runs import Run

#: The temperatures of the temperature section (one tune each, same seed, from the best run).
TEMPERATURES = (0.5, 1.0, 1.5)
#: Tunes sampled for a single run's report when the run has no saved samples.
RUN_TUNES = 6
RUN_SEED = 1000
RUN_MAX_LENGTH = 1000
_TEMPLATE = "report.html.j2"
_BOLD = re.compile(r"\*\*(.+?)\*\*")
def write_reports(result: ExperimentResult | Path | str) -> tuple[Path, Path]:
    """Both reports of an experiment, from the same data: ``report.md`` (with its plots) and ``report.html``."""
    if not isinstance(result, ExperimentResult):
        result = load_experiment(result)
    return report.write_report(result), write_html_report(result)


def write_html_report(source, out_path: str | os.PathLike | None = None, *, temperatures=TEMPERATURES,
                      audio: bool = True, soundfont: str | os.PathLike | None = None) -> Path:
    """Writes the HTML report of ``source`` and returns its path.

    ``source``: an :class:`ExperimentResult` or experiment folder (``report.html`` in it by default), a
    :class:`Run` or run folder (``report.html`` in the run folder), or an ``.abc`` tune book (``NAME.html`` beside
    it). ``temperatures``: the temperature section's values (empty: no section). ``audio=False`` leaves the players
    out (faster). Raises ExperimentError / EvaluationError / RunStoreError with a readable message.
    """
    folder = None if isinstance(source, (ExperimentResult, Run)) else Path(source)
    if isinstance(source, ExperimentResult) or (folder and (folder / "results.json").exists()):
        result = source if isinstance(source, ExperimentResult) else load_experiment(folder)
        context, default_path = experiment_context(result, temperatures), result.folder / "report.html"
    elif isinstance(source, Run) or (folder and (folder / "run.json").exists()):
        run = source if isinstance(source, Run) else Run(folder)
        context, default_path = run_context(run, temperatures), run.path / "report.html"
    elif folder and folder.is_file():
        context, default_path = tune_book_context(folder), folder.with_suffix(".html")
    else:
        raise ExperimentError(f"{source} is neither an experiment folder, a run folder nor an .abc file")
    engrave_tunes(context, audio, soundfont)
    path = Path(out_path) if out_path else default_path
    temporary = path.with_name(path.name + ".part")
    temporary.write_text(render_html(context), encoding="utf-8")
    temporary.replace(path)
    return path


def render_html(context: dict) -> str:
    """The page's HTML from a context built by one of the ``*_context`` functions."""
    import jinja2
    import markupsafe

    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters["bold"] = lambda text: markupsafe.Markup(
        _BOLD.sub(r"<strong>\1</strong>", str(markupsafe.escape(text))))
    return environment.get_template(_TEMPLATE).render(**context)


def _table(header_and_rows, table_id: str) -> dict:
    header, rows = header_and_rows[0], header_and_rows[1]
    return {"id": table_id, "header": header, "rows": rows}


def loss_chart_svg(series: list[tuple[str, list, dict]], title: str) -> str:
    """The overlaid loss curves (see :func:`report.plot_loss_series`) as SVG for inlining: text kept as text."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": "sans-serif"}):
        report.plot_loss_series(series, title, buffer, "svg")
    svg = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<metadata>.*?</metadata>|<!--.*?-->", "", buffer.getvalue(),
                 flags=re.DOTALL)
    svg = re.sub(r'<svg\b([^>]*?)\swidth="[^"]*"\s+height="[^"]*"', r'<svg\1', svg, count=1)
    return svg.replace("<svg", '<svg class="chart loss-chart" role="img" aria-label="loss curves"', 1).strip()


def _curve_notes(series: list[tuple[str, list, dict]]) -> list[str]:
    notes = []
    for label, _, curve in series:
        if curve.get("spike_step") is not None:
            notes.append(report.describe_spike(label, curve))
        if curve.get("oscillation"):
            notes.append(report.describe_oscillation(label, curve))
    return notes


def _tunes(texts: list[str], metrics: list[dict], notes: list[str]) -> list[tuple[str, dict, str]]:
    """Tunes waiting for :func:`engrave_tunes`: (ABC, metrics, note)."""
    return list(zip(texts, metrics, notes))


def engrave_tunes(context: dict, audio: bool = True, soundfont=None) -> dict:
    """Replaces the waiting tunes of every section by engraved, rendered :class:`TuneMedia`, sharing the audio
    budget of the page among them."""
    lists = [run["tunes"] for run in context["runs"]] + ([context["temperature"]["tunes"]]
                                                         if context["temperature"] else [])
    max_seconds = audio_seconds_per_tune(sum(len(tunes) for tunes in lists))
    for tunes in lists:
        tunes[:] = [tune_media(text, metrics, context["ranges"], note, audio=audio, soundfont=soundfont,
                               max_seconds=max_seconds) for text, metrics, note in tunes]
    return context


def _generation_note(text: str) -> str:
    match = re.search(r"^% generated by ABC Studio: (.*)$", text, flags=re.MULTILINE)
    return match.group(1) if match else ""


def _tunes_of_file(path: str | None) -> list[str]:
    try:
        return read_tunes_file(path) if path else []
    except EvaluationError:
        return []


def temperature_section(checkpoint: Path, seed: int, temperatures, max_length: int, label: str) -> dict | None:
    """The same seed sampled at each temperature from ``checkpoint``, engraved, played and measured."""
    if not temperatures or not checkpoint.exists():
        return None
    from studio.core.configs import SamplingConfig
    from studio.core.generation.sampling import Sampler

    sampler = Sampler.from_checkpoint(checkpoint)
    texts = [sampler.sample(SamplingConfig(temperature=t, seed=seed, max_length=max_length, count=1))[0].text
             for t in temperatures]
    notes = [f"temperature {t:g}, seed {seed}" for t in temperatures]
    return {"run": label, "seed": seed, "checkpoint": checkpoint.name,
            "tunes": _tunes(texts, [tune_metrics(t).as_dict() for t in texts], notes)}


def _best_arm(arms: list[ArmResult]) -> ArmResult | None:
    finished = [a for a in arms if a.reason in COMPLETED_REASONS and a.run_path]
    key = "best_validation_loss" if all(a.curve.get("best_validation_loss") is not None for a in finished) \
        else "final_loss"
    return min(finished, key=lambda a: a.curve.get(key) or float("inf"), default=None)


def _checkpoint_of(run_path: str | Path) -> Path:
    run = Run(Path(run_path))
    return run.best_checkpoint if run.best_checkpoint.exists() else run.last_checkpoint


def _command(words: list[str]) -> str:
    return " ".join(shlex.quote(str(w)) for w in words)


def experiment_commands(result: ExperimentResult) -> list[str]:
    """The command lines that run this experiment again and rebuild its report."""
    spec = result.spec
    words = ["python", "-m", "studio", "experiment", "--preset", spec.preset,
             "--vary", f"{spec.variable}=" + ",".join(str(v) for v in spec.values)]
    if spec.iterations is not None:
        words += ["--iterations", spec.iterations]
    words += ["--tunes", spec.tunes_per_run, "--seed", spec.sampling_seed]
    if spec.corpus != DEFAULT_CORPUS:
        words += ["--corpus", spec.corpus]
    lines = [_command(words)]
    extra = {**spec.overrides, **({"temperature": spec.temperature} if spec.temperature != 1.0 else {}),
             **({"max_length": spec.max_length} if spec.max_length != RUN_MAX_LENGTH else {})}
    if extra:
        lines.append("# also set (window or Python API): " + ", ".join(f"{k}={v}" for k, v in extra.items()))
    lines.append(_command(["python", "-m", "studio", "report", str(result.folder)]))
    return lines


def experiment_context(result: ExperimentResult, temperatures=TEMPERATURES) -> dict:
    """Everything the page shows for an experiment."""
    arms, ranges = result.arms, result.reference_ranges
    scored = [a for a in arms if a.set_metrics]
    header, rows, shared = report.settings_table(arms)
    series = report.loss_series(result)
    runs = []
    for arm in scored:
        texts = _tunes_of_file(arm.samples_file)
        notes = [_generation_note(t) for t in texts]
        runs.append({"label": arm.label, "run_id": arm.run_id,
                     "tunes": _tunes(texts, arm.tune_metrics, notes)})
    best = _best_arm(arms)
    temperature = best and temperature_section(_checkpoint_of(best.run_path), result.spec.sampling_seed,
                                               temperatures, result.spec.max_length, best.label)
    window = arms[0].curve.get("window", report.CURVE_WINDOW) if arms else report.CURVE_WINDOW
    return _page(
        kind="Experiment", title=result.spec.title(), summary=report.experiment_summary(result),
        settings={"header": header, "rows": rows, "shared": shared}, chart=loss_chart_svg(series, result.spec.title()),
        curve_notes=_curve_notes(series), curve_table=_table(report.curve_table(arms), "curve-stats"),
        curve_definitions=report.curve_definitions(window),
        set_table=_table(report.set_metrics_table([(a.label, a.set_metrics) for a in scored], result.baseline),
                         "set-metrics") if scored else None,
        feature_table=_table(report.feature_table([(a.label, a.tune_metrics) for a in scored], ranges),
                             "feature-medians") if scored else None,
        analysis=report.written_analysis(result), runs=runs, temperature=temperature, ranges=ranges,
        commands=experiment_commands(result))


def _run_as_arm(run: Run) -> ArmResult:
    meta = run.meta()
    curve = asdict(curve_stats(run.loss_log()))
    curve["wall_time"] = float(meta.get("wall_time") or curve["wall_time"])
    return ArmResult(label=meta.get("name", run.id), value=None, run_id=run.id, run_path=str(run.path),
                     reason=run.status(), error=None, model_config=meta.get("model_config", {}),
                     train_config=meta.get("train_config", {}), temperature=1.0, curve=curve)


def train_command(corpus: str, name: str, train_config: dict | TrainConfig, model_config: dict | ModelConfig) -> str:
    """The ``train`` command line that trains a run with these settings again: one flag per setting
    (:func:`studio.core.configs.training_settings`); a saved dict missing a setting gives the value runs of its age
    used (``raw`` text, ``window`` context)."""
    configs = {TrainConfig: _typed(TrainConfig, train_config), ModelConfig: _typed(ModelConfig, model_config)}
    words = ["python", "-m", "studio", "train", "--corpus", corpus, "--name", name]
    for setting in training_settings():
        text = setting.show(getattr(configs[setting.config], setting.name))
        words += [f"--{setting.flag}={text}"] if text.startswith("-") else [f"--{setting.flag}", text]
    return _command(words)


def _typed(config: type, value):
    return value if isinstance(value, config) else config.from_dict(value)


def run_commands(run: Run, arm: ArmResult, sampled: bool) -> list[str]:
    """The command lines that train this run again, sample from it and rebuild its report."""
    corpus = run.meta().get("corpus", {}).get("source", DEFAULT_CORPUS)
    parent = run.meta().get("parent")  # a fine-tuned run starts from its base again
    lines = [train_command(corpus, arm.label, arm.train_config, arm.model_config)
             + (f" --from {_command([parent.get('run') or parent['path']])}" if parent else "")]
    if sampled:
        lines.append(_command(["python", "-m", "studio", "generate", "--run", run.id, "--count", RUN_TUNES,
                               "--temperature", 1, "--seed", RUN_SEED, "--max-length", RUN_MAX_LENGTH]))
    lines.append(_command(["python", "-m", "studio", "report", run.id]))
    return lines


def _reference(corpus_spec: str):
    try:
        return corpus_reference(corpus_spec)
    except Exception:  # noqa: BLE001 - a corpus that moved away only costs the comparison
        return None


def run_context(run: Run, temperatures=TEMPERATURES) -> dict:
    """Everything the page shows for a single run: its saved samples, or a few tunes sampled now."""
    arm = _run_as_arm(run)
    corpus = run.meta().get("corpus", {}).get("source", DEFAULT_CORPUS)
    reference = _reference(corpus)
    ranges = reference.ranges if reference else {}
    try:
        texts, sampled = run_sample_tunes(run), False
    except EvaluationError:
        from studio.core.configs import SamplingConfig
        from studio.core.generation.sampling import Sampler

        checkpoint = _checkpoint_of(run.path)
        sampler = Sampler.from_checkpoint(checkpoint) if checkpoint.exists() else None
        texts = [t.text for t in sampler.sample(SamplingConfig(seed=RUN_SEED, max_length=RUN_MAX_LENGTH,
                                                               count=RUN_TUNES))] if sampler else []
        sampled = True
    metrics = [tune_metrics(t).as_dict() for t in texts]
    if texts and reference:
        arm.set_metrics = set_metrics(texts, reference.tunes, novelty_index=reference.novelty).as_dict()
    arm.tune_metrics = metrics
    notes = [_generation_note(t) or (f"seed {RUN_SEED + i}, temperature 1" if sampled else "")
             for i, t in enumerate(texts)]
    series = [(arm.label, run.loss_log(), arm.curve)]
    header, rows, shared = report.settings_table([arm])
    return _page(
        kind="Run", title=arm.label, summary=[f"Run **{run.id}** trained on **{corpus}**; status {arm.reason}."],
        settings={"header": header, "rows": rows, "shared": shared}, chart=loss_chart_svg(series, arm.label),
        curve_notes=_curve_notes(series), curve_table=_table(report.curve_table([arm]), "curve-stats"),
        curve_definitions=report.curve_definitions(arm.curve.get("window", report.CURVE_WINDOW)),
        set_table=_table(report.set_metrics_table([(arm.label, arm.set_metrics)], reference.baseline),
                         "set-metrics") if arm.set_metrics else None,
        feature_table=_table(report.feature_table([(arm.label, metrics)], ranges), "feature-medians")
        if metrics and ranges else None,
        analysis=[], runs=[{"label": arm.label, "run_id": run.id,
                            "tunes": _tunes(texts, metrics, notes)}], ranges=ranges,
        temperature=temperature_section(_checkpoint_of(run.path), RUN_SEED, temperatures, RUN_MAX_LENGTH,
                                        arm.label),
        commands=run_commands(run, arm, sampled))


def tune_book_context(path: Path, corpus: str = DEFAULT_CORPUS) -> dict:
    """Everything the page shows for a tune book: each tune, and the set against ``corpus``."""
    texts = read_tunes_file(path)
    reference = _reference(corpus)
    ranges = reference.ranges if reference else {}
    metrics = [tune_metrics(t).as_dict() for t in texts]
    columns = [(path.name, set_metrics(texts, reference.tunes, novelty_index=reference.novelty).as_dict())] \
        if reference else []
    return _page(
        kind="Tune book", title=path.name,
        summary=[f"{len(texts)} tunes from **{path.name}**, measured against **{corpus}**."],
        set_table=_table(report.set_metrics_table(columns, reference.baseline), "set-metrics") if columns else None,
        feature_table=_table(report.feature_table([(path.name, metrics)], ranges), "feature-medians")
        if ranges else None,
        runs=[{"label": path.name, "run_id": None,
               "tunes": _tunes(texts, metrics, [_generation_note(t) for t in texts])}], ranges=ranges,
        commands=[_command(["python", "-m", "studio", "evaluate", str(path)]),
                  _command(["python", "-m", "studio", "report", str(path)])])


def _page(**sections) -> dict:
    defaults = {"summary": [], "settings": None, "chart": None, "curve_notes": [], "curve_table": None,
                "curve_definitions": "", "set_table": None, "feature_table": None, "analysis": [], "runs": [],
                "temperature": None, "commands": [], "set_definitions": report.SET_DEFINITIONS,
                "ranges": {},
                "written": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    return {**defaults, **sections}
