"""This machine's matrix-multiply limit: fp32 vs bf16 GFLOP/s, at the lab model's shapes and at a large square size.

Training the lab model is mostly matrix products (the LSTM's gates and the output layer), so whether bf16 can make
training faster here is settled by how fast the CPU multiplies bf16 matrices compared with fp32. For each shape the
two precisions take turns (so machine noise hits them alike) and the script prints the median GFLOP/s of each and
the ratio bf16 / fp32, plus the CPU flags that decide it (avx512_bf16: bf16 conversions and dot products in AVX-512;
amx_bf16: the AMX tile units that make bf16 several times faster).

    python bench/gemm_peak.py                 # 1 torch thread (what the window trains with on 2 cores)
    python bench/gemm_peak.py --threads 2
    python bench/gemm_peak.py --smoke         # small shapes, one round
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

# (name, m, k, n): C[m, n] = A[m, k] @ B[k, n]
LAB_SHAPES = (
    ("LSTM input gates, all steps (800 x 256 @ 256 x 4096)", 800, 256, 4096),
    ("LSTM recurrent gates, one step (8 x 1024 @ 1024 x 4096)", 8, 1024, 4096),
    ("output layer, all steps (800 x 1024 @ 1024 x 90)", 800, 1024, 90),
    ("large square (2048 x 2048 @ 2048 x 2048)", 2048, 2048, 2048),
)
SMOKE_SHAPES = (("small square (128 x 128 @ 128 x 128)", 128, 128, 128),)


def cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as handle:
            line = next((line for line in handle if line.startswith("flags")), "")
    except OSError:
        return set()
    return set(line.split(":", 1)[-1].split())


def gflops(m: int, k: int, n: int, dtype: torch.dtype, seconds_target: float) -> float:
    """GFLOP/s of ``a @ b`` in ``dtype``, repeated for about ``seconds_target``."""
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=generator).to(dtype)
    b = torch.randn(k, n, generator=generator).to(dtype)
    a @ b  # warm-up (oneDNN picks and caches its kernel)
    repeats, began = 0, time.perf_counter()
    while True:
        a @ b
        repeats += 1
        elapsed = time.perf_counter() - began
        if elapsed >= seconds_target:
            return 2 * m * k * n * repeats / elapsed / 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.4, help="time per measurement")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    shapes, rounds, seconds = (SMOKE_SHAPES, 1, 0.05) if args.smoke else (LAB_SHAPES, args.rounds, args.seconds)
    flags = cpu_flags()
    print(f"torch {torch.__version__}, {args.threads} thread(s), {rounds} rounds; CPU flags: "
          + ", ".join(f"{name} {'yes' if name in flags else 'no'}" for name in ("avx512f", "avx512_bf16", "amx_bf16")))
    for name, m, k, n in shapes:
        results: dict[torch.dtype, list[float]] = {torch.float32: [], torch.bfloat16: []}
        for r in range(rounds):
            order = (torch.float32, torch.bfloat16) if r % 2 == 0 else (torch.bfloat16, torch.float32)
            for dtype in order:
                results[dtype].append(gflops(m, k, n, dtype, seconds))
        fp32, bf16 = (statistics.median(results[d]) for d in (torch.float32, torch.bfloat16))
        print(f"  {name}: fp32 {fp32:7.1f} GFLOP/s, bf16 {bf16:7.1f} GFLOP/s, bf16 / fp32 {bf16 / fp32:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
