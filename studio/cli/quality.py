"""``python -m studio evaluate`` and ``experiment``: judging tunes against a corpus, controlled experiments.

    python -m studio evaluate FILE.abc | --run RUN [--corpus NAME]
    python -m studio experiment --preset lab --vary batch_size=8,4 [--iterations N] [--tunes 20] [--out DIR]

Heavy modules are imported inside the commands, so registering them costs nothing at start-up.
"""

from __future__ import annotations

import signal
import sys
import time

from studio.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, ProgressBar, UserError, run_store


def register(subparsers) -> None:
    _register_evaluate(subparsers)
    _register_experiment(subparsers)


def _register_evaluate(subparsers) -> None:
    """Adds ``evaluate``: per-tune metrics and set metrics of tunes against a corpus and its baseline."""
    from studio.core.corpus import DEFAULT_CORPUS

    p = subparsers.add_parser("evaluate", help="score tunes (a file or a run's samples) against a corpus")
    p.add_argument("file", nargs="?", help="an .abc file of tunes")
    p.add_argument("--run", help="score the saved samples of this run instead")
    p.add_argument("--corpus", default=DEFAULT_CORPUS, help="built-in name or .abc file/folder to compare with")
    p.set_defaults(func=cmd_evaluate)


def _register_experiment(subparsers) -> None:
    """Adds ``experiment``: a controlled comparison of one variable, trained, sampled, scored and reported."""
    from studio.core.corpus import DEFAULT_CORPUS

    p = subparsers.add_parser("experiment", help="compare values of one variable (runs, tunes, report)")
    p.add_argument("--preset", help="base configuration (lab, lab-batch4, lab-seq200, lab-window, fine-tune, tiny; "
                                    "default lab, or fine-tune with --from or --vary start_from=...)")
    p.add_argument("--from", dest="from_model", metavar="MODEL|RUN",
                   help="fine-tune every arm from this model: shipped, a run id or a model file (as train --from)")
    p.add_argument("--vary", required=True, metavar="NAME=V1,V2",
                   help="the variable and its values, e.g. batch_size=8,4 or seq_length=100,200 or temperature=0.8,1 "
                        "or text_level=raw,canonical or context=window,stream, or start_from=shipped,nothing (does the "
                        "shipped model help with these tunes? one arm fine-tuned from it, one from nothing)")
    p.add_argument("--iterations", type=int, help="training steps per run (default: the preset's)")
    p.add_argument("--tunes", type=int, default=20, help="tunes generated per run (default 20)")
    p.add_argument("--seed", type=int, default=1000, help="first sampling seed (default 1000)")
    p.add_argument("--corpus", default=DEFAULT_CORPUS, help="built-in name or .abc file/folder")
    p.add_argument("--out", help="folder under which the experiment folder is written (default: the data folder)")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice; 1 is faster on a busy "
                                               "machine)")
    p.set_defaults(func=cmd_experiment)


def _tunes_to_evaluate(args) -> tuple[list[str], str]:
    from studio.core.quality.evaluation import read_tunes_file, run_sample_tunes

    if bool(args.file) == bool(args.run):
        raise UserError("give either an .abc file or --run RUN")
    if args.run:
        run = run_store(args).open(args.run)
        return run_sample_tunes(run), f"samples of run {run.name!r}"
    return read_tunes_file(args.file), args.file


def cmd_evaluate(args) -> int:
    from studio.core.formatting import format_value
    from studio.core.quality.evaluation import TABLE_FEATURES, corpus_reference, evaluate_tunes

    tunes, source = _tunes_to_evaluate(args)
    print(f"loading the reference corpus {args.corpus} ...", file=sys.stderr)
    reference = corpus_reference(args.corpus)
    evaluation = evaluate_tunes(tunes, reference)
    print(f"{len(tunes)} tune(s) from {source} vs {reference.name} ({reference.tune_count} tunes)")
    print("values outside the corpus's 5-95 % range are marked *\n")
    header = ["#"] + [label for _, label in TABLE_FEATURES] + ["nearest"]
    rows = []
    for number, (metrics, similarity) in enumerate(zip(evaluation.per_tune, evaluation.novelty), 1):
        values = metrics.as_dict()
        cells = [str(number)]
        for name, _ in TABLE_FEATURES:
            mark = "*" if reference.outside(name, values[name]) else ""
            cells.append(format_value(values[name]) + mark)
        cells.append(f"{similarity:.2f}" + ("!" if similarity >= 0.85 else ""))
        rows.append(cells)
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths)))
    print("\ncorpus range (p5 / median / p95):")
    for name, label in TABLE_FEATURES:
        if name in reference.ranges:
            low, median, high = reference.ranges[name]
            print(f"  {label:>12}  {low:.3f} / {median:.3f} / {high:.3f}")
        elif isinstance(values[name], bool):
            print(f"  {label:>12}  yes in {reference.share(name):.0%} of the corpus's tunes")
    _print_set_metrics(evaluation.set_metrics.as_dict(), reference.baseline)
    return EXIT_OK


def _print_set_metrics(measured: dict, baseline: dict) -> None:
    from studio.core.quality.evaluation import SET_TABLE

    print("\nset metrics              tunes   real-vs-real baseline")
    for key, label in SET_TABLE:
        print(f"  {label:22} {measured[key]:7.3f}   {baseline.get(key, float('nan')):7.3f}")
    print("  overlap per feature (Y&L; 1 = indistinguishable from the corpus):")
    for name, values in measured["features"].items():
        base = baseline.get("features", {}).get(name, {}).get("overlap", float("nan"))
        print(f"    {name:22} {values['overlap']:.3f}   {base:.3f}")


class _ExperimentProgress:
    """Prints the queue's progress on stderr."""

    def __init__(self):
        self.bar = None

    def on_arm_started(self, index, total, label):
        print(f"\n[{index + 1}/{total}] {label}", file=sys.stderr)

    def on_phase(self, index, phase):
        if phase != "training":
            print(f"  {phase} ...", file=sys.stderr)
        self.bar = None

    def on_step(self, index, step, loss, total_steps):
        if self.bar is None:
            self.bar = ProgressBar(total_steps, "  train")
        self.bar.update(step, f"loss {loss:.3f}")

    def on_validation(self, index, step, loss): ...
    def on_arm_finished(self, index, arm):
        if arm.error:
            print(f"  {arm.label} {arm.reason}: {arm.error}", file=sys.stderr)

    def on_warning(self, message):
        print(f"warning: {message}", file=sys.stderr)

    def on_finished(self, result): ...


def cmd_experiment(args) -> int:
    from studio.core.learning.experiment_spec import START_FROM, ExperimentSpec, parse_values
    from studio.core.learning.experiments import ExperimentRunner

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    variable, _, values = args.vary.partition("=")
    variable = variable.strip().replace("-", "_")
    if not values:
        raise UserError("--vary needs NAME=V1,V2, e.g. batch_size=8,4")
    spec = ExperimentSpec(variable=variable, values=parse_values(variable, values),
                          preset=args.preset or ("fine-tune" if args.from_model or variable == START_FROM else "lab"),
                          corpus=args.corpus,
                          iterations=args.iterations, tunes_per_run=args.tunes, sampling_seed=args.seed,
                          base=args.from_model or "")
    runner = ExperimentRunner(spec, store=run_store(args), root=args.out, listener=_ExperimentProgress())
    print(f"experiment folder: {runner.folder}", file=sys.stderr)
    previous = signal.signal(signal.SIGINT, lambda *_: runner.stop())
    try:
        result = runner.run()
    finally:
        signal.signal(signal.SIGINT, previous)
    from studio.core.reports.report_html import write_reports  # noqa: PLC0415 - matplotlib only once there is a result

    print("writing the reports (engraving and rendering every tune) ...", file=sys.stderr)
    started = time.monotonic()
    markdown, page = write_reports(result)
    print(f"\n{result.status}; report: {page} ({page.stat().st_size / 1e6:.1f} MB, written in "
          f"{time.monotonic() - started:.0f} s; {markdown.name} beside it)")
    if result.status == "failed":
        return EXIT_FAILED
    return EXIT_INTERRUPTED if result.status == "stopped" else EXIT_OK

