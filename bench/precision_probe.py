"""Precision ``auto``'s probe against a longer measurement of the same steps, in one run: does the short probe
pick what a patient measurement picks, and how long does it take?

The probe is :func:`studio.core.network.precision_probe.measure_steps` with its defaults (what a run does when it starts with
precision ``auto``, without the cache); the long measurement is the same function held to ``--rounds`` turns. The
script prints each one's ms per step in fp32 and bf16, their ratio, the choice each implies, and the probe's wall
time. It writes no cache.

    python bench/precision_probe.py --threads 1                      # the lab's shapes (batch 8, sequence 100)
    python bench/precision_probe.py --threads 1 --batch-size 32
    python bench/precision_probe.py --hidden-size 64 --embedding 32 --rounds 3 --smoke
"""

from __future__ import annotations

import argparse
import time

import torch

from studio.core.configs import preset
from studio.core.network.precision import cpu_has_amx, cpu_model_name, decide
from studio.core.network.precision_probe import measure_steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seq-length", type=int, default=100)
    parser.add_argument("--hidden-size", type=int, default=1024)
    parser.add_argument("--embedding", type=int, default=256)
    parser.add_argument("--vocab", type=int, default=94, help="characters (O'Neill's canonical with key shifts: 94)")
    parser.add_argument("--rounds", type=int, default=8, help="turns of the long measurement")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="accepted for the bench smoke test (use small sizes)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model_config, train_config = preset("lab")
    model_config.vocab_size, model_config.embedding_dim = args.vocab, args.embedding
    model_config.hidden_size = args.hidden_size
    train_config.batch_size, train_config.seq_length = args.batch_size, args.seq_length
    print(f"{cpu_model_name()} (AMX: {cpu_has_amx()}), torch {torch.__version__}, {args.threads} thread(s); "
          f"embedding {args.embedding}, hidden {args.hidden_size}, batch {args.batch_size} x sequence "
          f"{args.seq_length}, vocabulary {args.vocab}")
    began = time.perf_counter()
    probe = decide(*measure_steps(model_config, train_config))
    probe_seconds = time.perf_counter() - began
    long = decide(*measure_steps(model_config, train_config, min_rounds=args.rounds, max_rounds=args.rounds))
    for name, result in (("probe", probe), (f"{args.rounds} rounds", long)):
        print(f"{name:>10}: fp32 {result.fp32_ms:8.1f} ms/step, bf16 {result.bf16_ms:8.1f} ms/step, "
              f"bf16 {result.speed_up:.2f}x as fast -> {result.precision}")
    print(f"the probe took {probe_seconds:.1f} s; it and the long measurement "
          f"{'agree' if probe.precision == long.precision else 'DISAGREE'}")


if __name__ == "__main__":
    main()
