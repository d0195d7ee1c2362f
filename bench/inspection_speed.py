"""Inspection and scoring speed: the per-position pass over a tune vs sampling it, and scoring a whole corpus.

Two measurements in one run, 1 torch thread by default:

* **Per-position pass vs sampling** (issue 15): ``inspect_text`` over a 1,000-character tune (one forward pass of the
  LSTM over the text) vs ``Sampler.sample`` writing 1,000 characters (one model call per character), taking turns so
  machine noise hits both alike. Prints the median seconds of each and the ratio sampling / inspection.
* **Dial redraw** (issue 15): the Generate tab's next-character chart redrawn at a new temperature from the cached
  log-probabilities (``DistributionChart.set_temperature`` plus a synchronous repaint of the plot, offscreen Qt), in
  milliseconds, against a 16 ms frame (60 Hz): the ratio printed is frame budget / redraw time.
* **Scoring a corpus** (issue 13): ``score_corpus`` of the shipped model on a whole corpus (O'Neill's by default, every
  tune read whole), in seconds and characters per second. The work is almost all matrix products (about 10.7 MFLOP
  per character for the lab model), so the script also times a plain matrix product of the LSTM's recurrent shape
  (256 x 1024 @ 1024 x 4096) in the same run and prints how near to it scoring ran: on a busy machine the seconds
  grow with the load, the share of the product's rate does not.

    python bench/inspection_speed.py                      # shipped model, O'Neill's whole corpus
    python bench/inspection_speed.py --corpus airdsAirs --threads 2
    python bench/inspection_speed.py --smoke              # seconds: a few tunes, one round
    python bench/inspection_speed.py --no-scoring         # the pass and the dial redraw only
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch

from studio.core.corpus import Corpus, load_corpus
from studio.core.generation.sampling import Sampler
from studio.core.network.inspection import inspect_text
from studio.core.quality.scoring import score_corpus

from generation_speed import timed_sample  # noqa: E402 - bench/ is on the path when a script runs

SHIPPED_MODEL = Path(__file__).resolve().parents[1] / "models" / "default.pt"


def thousand_character_tune(corpus: Corpus, length: int) -> str:
    """The first corpus tune of at least ``length`` characters, cut to ``length``."""
    tune = next((t.text for t in corpus.tunes if len(t.text) >= length), max((t.text for t in corpus.tunes), key=len))
    return tune[:length]


def flops_per_character(sampler: Sampler) -> float:
    """Multiply-adds x 2 of one LSTM step and the output layer, per character."""
    config = sampler.model.config
    gates = 4 * config.hidden_size
    per_layer = [gates * ((config.embedding_dim if i == 0 else config.hidden_size) + config.hidden_size)
                 for i in range(config.num_layers)]
    return 2.0 * (sum(per_layer) + config.hidden_size * config.vocab_size)


def product_gflops(rows: int, hidden: int, rounds: int = 20) -> float:
    """GFLOP/s of the LSTM's recurrent product at ``rows`` rows, now, on this machine."""
    a, b = torch.randn(rows, hidden), torch.randn(hidden, 4 * hidden)
    a @ b
    began = time.perf_counter()
    for _ in range(rounds):
        a @ b
    return 2.0 * rows * hidden * 4 * hidden * rounds / (time.perf_counter() - began) / 1e9


def pass_vs_sampling(sampler: Sampler, text: str, rounds: int) -> tuple[float, float]:
    """Median seconds of the per-position pass over ``text`` and of sampling as many characters."""
    inspect_times, sample_times = [], []
    for _ in range(rounds):
        began = time.perf_counter()
        inspect_text(sampler.model, sampler.vocabulary, text)
        inspect_times.append(time.perf_counter() - began)
        seconds, steps = timed_sample(sampler, 1, len(text) - 1, seed=1)
        sample_times.append(seconds * (len(text) - 1) / max(steps, 1))  # per text length, if a tune ended early
    return statistics.median(inspect_times), statistics.median(sample_times)


FRAME_BUDGET_MS = 1000 / 60


def dial_redraw_ms(sampler: Sampler, text: str, redraws: int = 200) -> tuple[float, float]:
    """Median and 95th-percentile milliseconds of one dial redraw of the distribution chart (offscreen Qt), the
    dial swept from 0.1 to 2.0 and back at a point in the middle of ``text``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from studio.ui.generate.distribution_view import DistributionChart

    app = QApplication.instance() or QApplication([])
    chart = DistributionChart()
    chart.resize(420, 360)
    chart.show()
    seen = inspect_text(sampler.model, sampler.vocabulary, text)
    chart.show_at(seen, len(text) // 2, 1.0)
    app.processEvents()
    sweep = [0.1 + 1.9 * abs((i % 40) - 20) / 20 for i in range(redraws)]
    times = []
    for temperature in sweep:
        began = time.perf_counter()
        chart.set_temperature(temperature)
        chart.plot_widget.repaint()  # draw now, not at the next event loop turn
        times.append((time.perf_counter() - began) * 1000)
    chart.hide()
    chart.deleteLater()  # deleted now, in order: left to the interpreter's exit, pyqtgraph's legend anchor
    app.processEvents()  # touched an already deleted ViewBox (a traceback, harmless)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=str(SHIPPED_MODEL))
    parser.add_argument("--corpus", default="oneills1850")
    parser.add_argument("--length", type=int, default=1000, help="characters of the inspected/sampled tune")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--no-scoring", action="store_true", help="skip scoring the corpus")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    flags = open("/proc/cpuinfo", encoding="ascii", errors="ignore").read()
    print(f"torch {torch.__version__}, {args.threads} thread(s), avx512f {'avx512f' in flags}, "
          f"amx_bf16 {'amx_bf16' in flags}, load {os.getloadavg()[0]:.1f}")

    sampler = Sampler.from_checkpoint(args.checkpoint)
    corpus = load_corpus(args.corpus)
    if args.smoke:
        corpus = Corpus(corpus.name, corpus.source, corpus.tunes[:8], corpus.report)
        args.rounds, args.length = 1, 200
    text = thousand_character_tune(corpus, args.length)
    with torch.no_grad():
        inspect_seconds, sample_seconds = pass_vs_sampling(sampler, text, args.rounds)
    print(f"\nper-position pass over {len(text)} characters: {inspect_seconds:.3f} s; sampling {len(text) - 1} "
          f"characters: {sample_seconds:.3f} s; sampling / pass = {sample_seconds / inspect_seconds:.1f}x")

    median_ms, slow_ms = dial_redraw_ms(sampler, text)
    print(f"dial redraw of the distribution chart (no model call): median {median_ms:.2f} ms, 95th percentile "
          f"{slow_ms:.2f} ms; a 60 Hz frame ({FRAME_BUDGET_MS:.1f} ms) / median = {FRAME_BUDGET_MS / median_ms:.0f}x, "
          f"/ 95th percentile = {FRAME_BUDGET_MS / slow_ms:.0f}x")
    if args.no_scoring:
        return

    before = product_gflops(256, sampler.model.config.hidden_size)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if done / total >= last[0] + 0.25:
            last[0] = done / total
            print(f"  {done:,} / {total:,} characters", flush=True)

    score = score_corpus(args.checkpoint, corpus, "all", progress=progress)
    after = product_gflops(256, sampler.model.config.hidden_size)
    rate = score.characters / score.seconds
    achieved = rate * flops_per_character(sampler) / 1e9
    reference = (before + after) / 2
    print(f"\nscoring {corpus.name} whole ({len(score.tunes):,} tunes, {score.characters:,} characters): "
          f"{score.seconds:.1f} s, {rate:,.0f} characters/s, {achieved:.0f} GFLOP/s; the plain recurrent product ran "
          f"at {reference:.0f} GFLOP/s in the same run (scoring at {achieved / reference:.0%} of it); "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"loss: {score.nats_per_char:.4f} nats = {score.bits_per_char:.4f} bits per character")


if __name__ == "__main__":
    main()
