"""Does bf16 autocast cost quality? The same run (config, seed, data windows) in fp32 and in bf16, in one process.

Prints each precision's validation loss after the same number of steps, their ratio (target: bf16 within 2% of
fp32) and their speed ratio on this CPU (precision ``auto`` measures the speed itself; see bench/README.md).

    python bench/bf16_quality.py                          # lab model, 200 steps
    python bench/bf16_quality.py --steps 30 --hidden-size 64 --smoke
"""

from __future__ import annotations

import argparse
import time

import torch

from studio.core.configs import preset
from studio.core.corpus import load_corpus
from studio.core.learning.training import Trainer
from studio.core.network.precision import cpu_has_amx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--hidden-size", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="accepted for the bench smoke test (use small sizes)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    corpus = load_corpus("oneills1850")
    results = {}
    for precision in ("fp32", "bf16"):
        model_config, train_config = preset("lab")
        model_config.hidden_size = args.hidden_size
        train_config.iterations, train_config.precision, train_config.device = args.steps, precision, "cpu"
        trainer = Trainer.new(corpus, model_config, train_config)
        began = time.perf_counter()
        trainer.run()
        results[precision] = (trainer.validation_loss(), (time.perf_counter() - began) / args.steps)
    (fp32_loss, fp32_time), (bf16_loss, bf16_time) = results["fp32"], results["bf16"]
    print(f"{args.steps} steps, hidden {args.hidden_size}, {args.threads} thread(s), AMX here: "
          f"{cpu_has_amx()}")
    print(f"validation loss: fp32 {fp32_loss:.4f}, bf16 {bf16_loss:.4f}: bf16 / fp32 = {bf16_loss / fp32_loss:.4f} "
          f"({(bf16_loss / fp32_loss - 1) * 100:+.2f}%, target within 2%)")
    print(f"seconds per step: fp32 {fp32_time:.3f}, bf16 {bf16_time:.3f}: speed ratio bf16/fp32 "
          f"{fp32_time / bf16_time:.2f}x")


if __name__ == "__main__":
    main()
