"""Time to quality: held-out loss per melody note against one core's training seconds, for the lab's recipe and for
the shipped model's, side by side in one run (issue 29: does the default reach the lab's final score in a third of
the lab's time?).

The two recipes:

- ``lab``: the lab's, as the studio replicates it: preset ``lab-window`` (random windows of 100 characters from a
  zero state, batch 8, Adam 5e-3 constant, 3,000 steps, no dropout) on O'Neill's at the ``raw`` text level, fp32;
- ``default``: the shipped model's, read from its checkpoint (``models/default.pt``, or ``--default-model``): its
  network, corpus and training settings (stream context, batch 32, cosine, dropout, canonical text, one tonic), in
  the precision ``auto`` picks on this machine.

Each trains in its own process on one torch thread (``studio.core.learning.training.Trainer``, as ``python -m studio train``
does); both set up their data first, then start training together, so machine noise hits both alike while they run.
At evenly spaced steps a listener saves the weights (``studio.core.network.checkpoints``) and reads the run's own clock (the
trainer's ``elapsed``) and the process's CPU time since training began (which other work on a shared machine does not
stretch); the time the saves take is taken out of both, and so is validation (the trainer validates only after its
last step here: validation and checkpoint intervals do not change what a step does). After training, each process scores
its saved weights on O'Neill's validation tunes read whole (``studio.core.quality.scoring``: nats per character and per
melody note; per note compares the two text levels), so no scoring is counted in the training time.

The lab's final score is its last point; for each recipe the script finds the training seconds at which the curve
first reaches it (linear between the two points around the crossing) and the ratio to the lab's whole training time,
on both clocks. It writes ``points.csv`` (recipe, step, train wall s, train CPU s, nats/char, nats/note) and
``result.json`` in ``--out``.

    python bench/time_to_quality.py --scale lab      # the full recipes: hours of two cores
    python bench/time_to_quality.py --scale pilot    # hidden 512, half the steps: tens of minutes
    python bench/time_to_quality.py --scale smoke    # a tiny network, a few steps on O'Neill's first file: seconds

``--default-until STEP`` stops the default after that step of its own schedule (its learning rate follows the full
run's cosine, so every step is the full recipe's step): enough when it reaches the lab's final score early, and an hour
cheaper at the lab's scale. ``--default-model`` takes another model's recipe as the default (a candidate to ship).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from studio.core.configs import ModelConfig, TrainConfig, preset, settings_of
from studio.core.corpus import COMBINED_CORPORA, DEFAULT_CORPUS, builtin_corpus_files
from studio.core.learning.training_listener import TrainingListener
from studio.core.paths import SHIPPED_MODEL

RECIPES = ("lab", "default")
#: The done-when of issue 29: the default reaches the lab's final score in at most this share of the lab's time.
TARGET_SHARE = 1 / 3


@dataclass(frozen=True)
class Scale:
    """How big the bench runs: the recipes' steps divided by ``divisor``, the network changed by ``model``, and
    ``snapshots`` points along each run."""

    divisor: int
    model: dict = field(default_factory=dict)
    snapshots: int = 30


SCALES = {
    "lab": Scale(1, {}, 30),
    "pilot": Scale(2, {"hidden_size": 512}, 15),
    "smoke": Scale(500, {"embedding_dim": 16, "hidden_size": 32}, 2),
}


@dataclass
class Recipe:
    """One recipe: the corpus it trains on and its settings."""

    name: str
    corpus: str
    model_config: ModelConfig
    train_config: TrainConfig


def _with(model_config: ModelConfig, train_config: TrainConfig, changes: dict) -> tuple[ModelConfig, TrainConfig]:
    """Both configs with ``changes`` (setting name -> value) applied to whichever holds each setting."""
    model_names = {s.name for s in settings_of(ModelConfig)}
    return (replace(model_config, **{k: v for k, v in changes.items() if k in model_names}),
            replace(train_config, **{k: v for k, v in changes.items() if k not in model_names}))


def smoke_corpus() -> str:
    """O'Neill's first file (about 50 tunes): the smoke scale trains and scores both recipes on it."""
    return str(builtin_corpus_files(DEFAULT_CORPUS)[0])


def recipes(scale_name: str, default_model: Path) -> tuple[list[Recipe], str]:
    """The two recipes at ``scale_name`` and the corpus whose validation tunes score them."""
    from studio.core.network.checkpoints import load_checkpoint

    scale = SCALES[scale_name]
    shipped = load_checkpoint(default_model)
    lab = Recipe("lab", DEFAULT_CORPUS, *_with(*preset("lab-window"), {"text_level": "raw", "precision": "fp32"}))
    # precision auto, as a new run of that recipe gets it: the shipped model's bf16 was right on the CPU it was
    # trained on, wrong on one whose bf16 LSTM kernels stray (studio.core.network.precision.MAX_GRADIENT_ERROR)
    default = Recipe("default", shipped.corpus.get("source") or DEFAULT_CORPUS,
                     replace(shipped.model_config, vocab_size=0), replace(shipped.train_config, precision="auto"))
    scored_on = COMBINED_CORPORA.get(default.corpus, (default.corpus,))[0]
    if scale_name == "smoke":
        lab.corpus = default.corpus = scored_on = smoke_corpus()
    out = []
    for recipe in (lab, default):
        iterations = max(2, recipe.train_config.iterations // scale.divisor)
        # validation only after the last step and no checkpoint before it: neither changes what a step does
        changes = {**scale.model, "iterations": iterations, "validation_interval": iterations,
                   "checkpoint_interval": iterations}
        out.append(Recipe(recipe.name, recipe.corpus, *_with(recipe.model_config, recipe.train_config, changes)))
    return out, scored_on


def snapshot_steps(iterations: int, count: int) -> list[int]:
    """``count`` evenly spaced steps ending at ``iterations`` (fewer when there are fewer steps)."""
    return sorted({max(1, round(iterations * i / count)) for i in range(1, count + 1)})


# --- one recipe, in its own process ---------------------------------------------------------------------------------


class SnapshotKeeper(TrainingListener):
    """Saves the weights at ``steps`` into ``folder`` and keeps the run's training clocks without the time the saves
    took: the trainer's wall clock, and this process's CPU time since ``cpu_started`` (``trainer`` and
    ``cpu_started`` are set when training is about to start)."""

    def __init__(self, folder: Path, steps: list[int], stop_after: int | None = None):
        self.folder = folder
        self.wanted = set(steps)
        self.stop_after = stop_after
        self.trainer = None
        self.overhead = 0.0
        self.cpu_started = 0.0
        self.cpu_overhead = 0.0
        self.kept: list[dict] = []

    def on_step(self, step, loss, elapsed, steps_per_second):
        if step not in self.wanted:
            return
        from studio.core.network.checkpoints import save_checkpoint

        began, cpu = time.perf_counter(), time.process_time()
        weights = self.trainer.snapshot(elapsed, with_optimizer=False)
        path = save_checkpoint(self.folder / f"step-{step:06d}.pt", weights)
        self.kept.append({"step": step, "train_wall_s": elapsed - self.overhead, "elapsed_s": elapsed,
                          "train_cpu_s": cpu - self.cpu_started - self.cpu_overhead, "train_loss": loss,
                          "path": str(path)})
        self.overhead += time.perf_counter() - began
        self.cpu_overhead += time.process_time() - cpu
        if step == self.stop_after:
            self.trainer.stop()


def _wait_for_parties(out: Path, name: str, parties: list[str]) -> float:
    """Says this recipe is ready to train and waits until every party is; returns the time (epoch s) they all were."""
    (out / f"ready-{name}").write_text(str(os.getpid()))
    while not all((out / f"ready-{party}").exists() for party in parties):
        time.sleep(0.05)
    return time.time()


def worker(args) -> int:
    """Trains one recipe, then scores its saved weights; writes ``OUT/NAME.json``."""
    import torch

    from studio.core.corpus import load_corpus
    from studio.core.learning.training import Trainer
    from studio.core.quality.scoring import score_corpus
    from studio.core.runs import RunStore
    from studio.core.text_levels import corpus_at_level

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    both, scored_on = recipes(args.scale, Path(args.default_model))
    recipe = next(r for r in both if r.name == args.worker)
    until = args.default_until if recipe.name == "default" and args.default_until else None
    until = min(until, recipe.train_config.iterations) if until else None
    steps = snapshot_steps(until or recipe.train_config.iterations, args.snapshots or SCALES[args.scale].snapshots)
    keeper = SnapshotKeeper(out / f"snapshots-{recipe.name}", steps, until)
    trainer = Trainer.new(load_corpus(recipe.corpus), recipe.model_config, recipe.train_config,
                          RunStore(out / "runs"), recipe.name, keeper)
    keeper.trainer = trainer
    started = _wait_for_parties(out, recipe.name, args.parties.split(","))
    keeper.cpu_started = time.process_time()
    result = trainer.run()
    ended = time.time()
    if result.reason != "finished" and not (until and result.reason == "stopped" and trainer.step == until):
        print(f"{recipe.name}: training {result.reason}: {result.error or result.stop_reason}", file=sys.stderr)
        return 1
    scoring_began = time.perf_counter()
    held_out = corpus_at_level(load_corpus(scored_on), recipe.train_config.text_level)
    for point in keeper.kept:
        score = score_corpus(point["path"], held_out, run=trainer.run_folder)
        point.update(nats_per_char=score.nats_per_char, nats_per_note=score.nats_per_note, notes=score.notes,
                     characters=score.characters)
        if not args.keep_snapshots:
            Path(point.pop("path")).unlink()
    report = {
        "recipe": recipe.name, "corpus": recipe.corpus, "scored_on": scored_on, "run": str(trainer.run_folder.path),
        "model_config": trainer.model_config.to_dict(), "train_config": recipe.train_config.to_dict(),
        "precision": "bf16" if trainer.use_bf16 else "fp32", "threads": torch.get_num_threads(),
        "stopped_at_step": until, "started_at": started, "ended_at": ended,
        "train_wall_s": keeper.kept[-1]["train_wall_s"],
        "train_cpu_s": keeper.kept[-1]["train_cpu_s"], "save_overhead_s": keeper.overhead,
        "scoring_s": time.perf_counter() - scoring_began,
        "validation_ids": sorted(trainer.run_folder.split_identity()["validation_ids"]), "points": keeper.kept,
    }
    (out / f"{recipe.name}.json").write_text(json.dumps(report, indent=1))
    return 0


# --- the whole bench: both recipes side by side, then the comparison -----------------------------------------------


def time_to_reach(points: list[dict], target: float, clock: str = "train_wall_s") -> tuple[float | None, int | None]:
    """Training seconds (``clock``: a key of the points) at which the curve of ``points`` (by step) first reaches
    ``target`` nats per note (linear between the last point above it and the first at or under it; that point's time
    when it is the first point), and the step of that first point; (None, None) when it never does."""
    previous = None
    for point in sorted(points, key=lambda p: p["step"]):
        if point["nats_per_note"] <= target:
            if previous is None:
                return point[clock], point["step"]
            above = previous["nats_per_note"] - target
            share = above / (previous["nats_per_note"] - point["nats_per_note"])
            return previous[clock] + share * (point[clock] - previous[clock]), point["step"]
        previous = point
    return None, None


def compare(reports: dict[str, dict]) -> dict:
    """The lab's final score, when each recipe reaches it and the default's time as a share of the lab's (by the
    wall clock, the issue's measure, and by CPU time, which other work on the machine does not stretch)."""
    lab = reports["lab"]
    target = lab["points"][-1]["nats_per_note"]
    reached = {}
    for name, report in reports.items():
        wall, step = time_to_reach(report["points"], target)
        cpu, _ = time_to_reach(report["points"], target, "train_cpu_s")
        reached[name] = {"seconds": wall, "first_step_at_or_under": step,
                         "share_of_lab_wall": None if wall is None else wall / lab["train_wall_s"],
                         "cpu_seconds": cpu, "share_of_lab_cpu": None if cpu is None else cpu / lab["train_cpu_s"]}
    share = reached["default"]["share_of_lab_wall"]
    return {"target_nats_per_note": target, "lab_train_wall_s": lab["train_wall_s"],
            "lab_train_cpu_s": lab["train_cpu_s"], "reached": reached,
            "ratio_default_to_lab_cpu": reached["default"]["share_of_lab_cpu"],
            "ratio_default_to_lab": share, "speed_up": None if not share else 1 / share,
            "met": share is not None and share <= TARGET_SHARE,
            "same_validation_tunes": len({tuple(r["validation_ids"]) for r in reports.values()}) == 1}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as handle:
            return next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "?")
    except OSError:
        return "?"


def run_side_by_side(args, out: Path) -> dict[str, dict]:
    """Starts one worker process per recipe and waits for both; stops the others when one fails."""
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    workers = {}
    for name in RECIPES:
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--scale", args.scale,
                   "--out", str(out), "--parties", ",".join(RECIPES), "--default-model", str(args.default_model),
                   "--threads", str(args.threads), "--snapshots", str(args.snapshots or 0),
                   "--default-until", str(args.default_until or 0)]
        if args.keep_snapshots:
            command.append("--keep-snapshots")
        log = open(out / f"worker-{name}.log", "w")  # noqa: SIM115 - closed when the worker has ended
        workers[name] = (subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env), log)
    try:
        while all(process.poll() in (None, 0) for process, _ in workers.values()):
            if all(process.poll() == 0 for process, _ in workers.values()):
                break
            time.sleep(0.5)
    finally:  # one failed, or this process is being stopped: the other goes too
        for process, log in workers.values():
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()
    failed = next((n for n, (p, _) in workers.items() if p.returncode != 0), None)
    if failed:
        raise SystemExit(f"the {failed} recipe failed:\n{(out / f'worker-{failed}.log').read_text()[-3000:]}")
    return {name: json.loads((out / f"{name}.json").read_text()) for name in RECIPES}


def write_outputs(out: Path, reports: dict[str, dict], comparison: dict, about: dict) -> None:
    with open(out / "points.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["recipe", "step", "train_wall_s", "train_cpu_s", "nats_per_char", "nats_per_note"])
        for name, report in reports.items():
            for p in report["points"]:
                writer.writerow([name, p["step"], f"{p['train_wall_s']:.3f}", f"{p['train_cpu_s']:.3f}",
                                 f"{p['nats_per_char']:.5f}", f"{p['nats_per_note']:.5f}"])
    (out / "result.json").write_text(json.dumps({**about, **comparison, "recipes": reports}, indent=1))


def print_report(reports: dict[str, dict], comparison: dict, about: dict) -> None:
    from studio.core.reports.report_html import train_command

    print(f"time to quality, scale {about['scale']}; {about['cpu']}; load average {about['load_before']} before, "
          f"{about['load_after']} after")
    for name, r in reports.items():
        steps = r["points"][-1]["step"]
        stopped = f" (stopped there, of {r['train_config']['iterations']:,})" if r.get("stopped_at_step") else ""
        print(f"- {name}: {r['corpus']}, {r['precision']}, {r['threads']} thread(s), {steps} steps{stopped} in "
              f"{r['train_wall_s']:.1f} s ({r['train_wall_s'] / steps:.3f} s/step; {r['train_cpu_s']:.1f} s CPU; saves "
              f"taken out: {r['save_overhead_s']:.1f} s); scored afterwards in {r['scoring_s']:.1f} s on "
              f"{r['scored_on']}")
        print(f"  {train_command(r['corpus'], name, r['train_config'], r['model_config'])}")
    starts = [r["started_at"] for r in reports.values()]
    first_end = min(reports.values(), key=lambda r: r["ended_at"])
    print(f"training started {max(starts) - min(starts):.2f} s apart; {first_end['recipe']} ended "
          f"{first_end['ended_at'] - max(starts):.0f} s after the start (the other trained on alone); held-out tunes "
          f"the same for both: {comparison['same_validation_tunes']}")
    print("\n| recipe | step | train wall s | train CPU s | nats/char | nats/note |\n|---|---|---|---|---|---|")
    for name, r in reports.items():
        for p in r["points"]:
            print(f"| {name} | {p['step']} | {p['train_wall_s']:.1f} | {p['train_cpu_s']:.1f} | "
                  f"{p['nats_per_char']:.4f} | {p['nats_per_note']:.4f} |")
    target = comparison["target_nats_per_note"]
    print(f"\nthe lab's final score: {target:.4f} nats per melody note after {comparison['lab_train_wall_s']:.1f} s "
          f"({comparison['lab_train_cpu_s']:.1f} s CPU)")
    print("| recipe | first point at or under it | reaches it after (train wall s) | share of the lab's wall time "
          "| after (train CPU s) | share of the lab's CPU time |\n|---|---|---|---|---|---|")
    for name, reached in comparison["reached"].items():
        figures = [_figure(reached[key], digits) for key, digits in
                   (("seconds", 1), ("share_of_lab_wall", 3), ("cpu_seconds", 1), ("share_of_lab_cpu", 3))]
        print(f"| {name} | {reached['first_step_at_or_under'] or 'never'} | {' | '.join(figures)} |")
    ratio, cpu_ratio = comparison["ratio_default_to_lab"], comparison["ratio_default_to_lab_cpu"]
    verdict = "met" if comparison["met"] else "not met"
    print(f"default / lab: {'not reached' if ratio is None else f'{ratio:.3f} ({1 / ratio:.2f}x sooner)'} by the wall "
          f"clock, {_figure(cpu_ratio, 3)} by CPU time; issue 29's target <= {TARGET_SHARE:.3f} (wall): {verdict}"
          + ("" if about["scale"] == "lab" else f" (at {about['scale']} scale: the target is for --scale lab)"))


def _figure(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=list(SCALES), default="pilot")
    parser.add_argument("--out", help="folder for the runs, points.csv and result.json (default: a new temporary one)")
    parser.add_argument("--snapshots", type=int, default=0, help="points along each run (default: the scale's)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per recipe")
    parser.add_argument("--default-model", default=str(SHIPPED_MODEL), help="the model whose recipe is the default")
    parser.add_argument("--default-until", type=int, default=0,
                        help="stop the default after this step of its schedule (the schedule unchanged: a step's "
                             "time and learning do not depend on later steps); snapshots spread up to it")
    parser.add_argument("--keep-snapshots", action="store_true", help="keep the saved weights after scoring")
    parser.add_argument("--worker", choices=RECIPES, help=argparse.SUPPRESS)
    parser.add_argument("--parties", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="time-to-quality-"))
    out.mkdir(parents=True, exist_ok=True)
    if args.worker:
        args.parties = args.parties or args.worker
        return worker(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stopped: the workers are stopped too (a finally clause)
    about = {"scale": args.scale, "cpu": _cpu_model(), "load_before": os.getloadavg()[0]}
    print(f"training both recipes side by side in {out} ...", flush=True)
    reports = run_side_by_side(args, out)
    about["load_after"] = os.getloadavg()[0]
    comparison = compare(reports)
    write_outputs(out, reports, comparison, about)
    print_report(reports, comparison, about)
    print(f"\nwrote {out / 'points.csv'} and {out / 'result.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
