"""What precision ``auto`` trains in on this machine's CPU (bf16 autocast only with AMX), without importing torch.

The window's form shows it next to the choice, so it needs no torch; :func:`studio.core.learning.training.bf16_is_fast` asks
the same question for any device (CUDA too).
"""

from __future__ import annotations


def read_cpu_flags() -> str:
    """The ``flags`` line of /proc/cpuinfo ("" where there is none, e.g. not Linux)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as handle:
            return next((line for line in handle if line.startswith("flags")), "")
    except OSError:
        return ""


def cpu_has_amx(cpu_flags: str | None = None) -> bool:
    """True when the CPU multiplies bf16 matrices with AMX tiles. AVX-512 BF16 alone converts but multiplies no
    faster than fp32 (measured: about half the speed), so it does not count."""
    return "amx_bf16" in (read_cpu_flags() if cpu_flags is None else cpu_flags).split()


def auto_precision_label(cpu_flags: str | None = None) -> str:
    """``auto`` as the form shows it: what it picks on this CPU and why, e.g. ``auto (fp32 here: no AMX)``."""
    flags = (read_cpu_flags() if cpu_flags is None else cpu_flags).split()
    if "amx_bf16" in flags:
        return "auto (bf16 here: AMX)"
    if "avx512_bf16" in flags:
        return "auto (fp32 here: AVX-512 BF16 but no AMX)"
    return "auto (fp32 here: no AMX)"
