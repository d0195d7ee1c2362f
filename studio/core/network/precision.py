"""What precision ``auto`` trains in: the choice from two measured step times, and its cache on disk (no torch here).

CPU flags do not say whether bf16 autocast pays: on an AMD EPYC with AVX-512 BF16 and no AMX, bf16 matrix products
run at half fp32's speed, yet the lab's training step, bound by streaming the recurrent weights, was 1.17-1.30x
faster under bf16. So ``auto`` measures: :mod:`studio.core.network.precision_probe` times a few training steps of
each precision on the run's own shapes, and :func:`decide` takes bf16 only when it is at least :data:`MARGIN` times
as fast and its gradients agree with fp32's (:data:`MAX_GRADIENT_ERROR`: on an Intel Xeon with AMX, oneDNN's bf16
LSTM kernels in torch 2.13 gave gradients 16-107% away from fp32's, and a run trained under them scored 12% worse
per note, though 2.7x faster). The answer is kept in ``<data folder>/cache/precision.json``, keyed by
:class:`ProbeKey` (the CPU's model name, torch's version, the threads and the shapes), so each machine and shape is
measured once; a missing or corrupt file only means measuring again.

The Train form shows what ``auto`` will do from this cache (:func:`auto_precision_label`), so this module imports
neither torch nor Qt.
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from studio.core.atomic_files import write_json_atomic
from studio.core.configs import ModelConfig, TrainConfig
from studio.core.paths import data_home

#: bf16 must make a step at least this many times as fast as fp32 to be chosen (noise and bf16's rounding aside).
MARGIN = 1.1
#: bf16 is refused when one batch's gradients under it differ from fp32's by more than this (the worst weight
#: tensor's relative error): bf16's own rounding leaves 0.2-0.5% on the lab's network; AMX's LSTM kernels 107%.
MAX_GRADIENT_ERROR = 0.05
#: Raised by hand when the cache file's layout changes (a file of another layout reads as empty). 2: the gradients
#: are compared too, so a choice cached before that is measured again.
CACHE_FORMAT = 2
#: The cache keeps the most recent entries only.
MAX_ENTRIES = 200
#: How :meth:`AutoPrecision.words` ends for each ``source``.
SOURCE_WORDS = {"cache": " (from the cache)", "run": " (as when the run started)"}


def read_cpu_flags() -> str:
    """The ``flags`` line of /proc/cpuinfo ("" where there is none, e.g. not Linux)."""
    return _cpuinfo_line("flags")


def cpu_has_amx(cpu_flags: str | None = None) -> bool:
    """True when the CPU multiplies bf16 matrices with AMX tiles (what the benchmarks print beside their figures)."""
    return "amx_bf16" in (read_cpu_flags() if cpu_flags is None else cpu_flags).split()


def _cpuinfo_line(name: str) -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as handle:
            return next((line for line in handle if line.startswith(name)), "")
    except OSError:
        return ""


@lru_cache(maxsize=1)
def cpu_model_name() -> str:
    """The CPU's model name (/proc/cpuinfo's ``model name``, else what the platform says)."""
    line = _cpuinfo_line("model name")
    return line.partition(":")[2].strip() or platform.processor() or platform.machine() or "unknown CPU"


@lru_cache(maxsize=1)
def torch_version() -> str:
    """The installed torch's version, read from its package metadata (importing torch takes seconds)."""
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class ProbeKey:
    """What a measurement holds for: this CPU, this torch, this many threads and these shapes."""

    cpu: str
    torch: str
    threads: int
    embedding_dim: int
    hidden_size: int
    num_layers: int
    batch_size: int
    seq_length: int
    vocab_size: int

    @classmethod
    def here(cls, model_config: ModelConfig, train_config: TrainConfig, threads: int) -> "ProbeKey":
        """The key of a run with these configs (``model_config.vocab_size`` set, or 0 when not known yet) on this
        machine with ``threads`` torch threads."""
        return cls(cpu_model_name(), torch_version(), threads, model_config.embedding_dim, model_config.hidden_size,
                   model_config.num_layers, train_config.batch_size, train_config.seq_length, model_config.vocab_size)

    def matches(self, other: "ProbeKey", any_vocabulary: bool = False) -> bool:
        """The same key (with ``any_vocabulary``: whatever the vocabulary's size, for a form that does not know it)."""
        return self == other or (any_vocabulary and replace(self, vocab_size=0) == replace(other, vocab_size=0))


@dataclass(frozen=True)
class AutoPrecision:
    """What ``auto`` chose and why: ``precision`` (fp32 or bf16), the measured milliseconds per step of each (None
    where nothing was measured), ``reason`` in words, where the answer came from (``source``: ``measured`` now,
    the ``cache``, or the ``run``'s own record when it is resumed), when it was measured and how far bf16's
    gradients were from fp32's (``gradient_error``, relative; None where not measured)."""

    precision: str
    reason: str
    fp32_ms: float | None = None
    bf16_ms: float | None = None
    source: str = "measured"
    measured_at: str = ""
    gradient_error: float | None = None

    @property
    def cached(self) -> bool:
        """Read from the cache, not measured for this run."""
        return self.source == "cache"

    @property
    def speed_up(self) -> float | None:
        """fp32's time over bf16's (above 1: bf16 is faster), None without both."""
        return self.fp32_ms / self.bf16_ms if self.fp32_ms and self.bf16_ms else None

    def to_dict(self) -> dict:
        return {**asdict(self), "cached": self.cached}

    @classmethod
    def from_dict(cls, data: dict, source: str = "cache") -> "AutoPrecision":
        """The measurement ``data`` holds, as read from ``source``; ValueError when it is none this module wrote."""
        if not isinstance(data, dict) or data.get("precision") not in ("fp32", "bf16"):
            raise ValueError("not a precision measurement")
        times = [data.get("fp32_ms"), data.get("bf16_ms")]
        if not all(isinstance(t, (int, float)) and t > 0 for t in times):
            raise ValueError("a measurement without both step times")
        error = data.get("gradient_error")
        return cls(data["precision"], str(data.get("reason", "")), float(times[0]), float(times[1]), source,
                   str(data.get("measured_at", "")), float(error) if isinstance(error, (int, float)) else None)

    def words(self) -> str:
        """The choice and what it rests on, e.g. ``bf16: 624 ms a step under bf16 autocast, 750 in fp32 (1.20x
        faster; bf16 from 1.10x), measured 2026-12-03 (from the cache)``."""
        if self.speed_up is None:
            return f"{self.precision}: {self.reason}"
        when = f", measured {self.measured_at[:10]}" if self.measured_at else ""
        gradients = ("" if self.gradient_error is None else
                     f"; its gradients {self.gradient_error:.1%} from fp32's, at most {MAX_GRADIENT_ERROR:.0%} allowed")
        return (f"{self.precision}: {_ms(self.bf16_ms)} ms a step under bf16 autocast, {_ms(self.fp32_ms)} in fp32 "
                f"(bf16 {self.speed_up:.2f}x as fast; bf16 from {MARGIN:.2f}x{gradients}){when}"
                f"{SOURCE_WORDS.get(self.source, '')}")


def _ms(milliseconds: float) -> str:
    """``1,574`` or ``7.3``: whole milliseconds from 100 up, one decimal below."""
    return f"{milliseconds:,.0f}" if milliseconds >= 100 else f"{milliseconds:.1f}"


def decide(fp32_ms: float, bf16_ms: float, gradient_error: float | None = None, *,
           margin: float = MARGIN) -> AutoPrecision:
    """``auto``'s choice from one measurement of each: bf16 when its step is at least ``margin`` times as fast and
    its gradients (when measured: ``gradient_error``) within :data:`MAX_GRADIENT_ERROR` of fp32's."""
    speed_up = fp32_ms / bf16_ms
    fast = speed_up >= margin - 1e-9
    accurate = gradient_error is None or gradient_error <= MAX_GRADIENT_ERROR
    chosen = "bf16" if fast and accurate else "fp32"
    reason = f"bf16 measured {speed_up:.2f}x as fast as fp32"
    if not fast:
        reason += f", under the {margin:.2f}x it must reach"
    elif not accurate:
        reason += (f", but its gradients were {gradient_error:.0%} away from fp32's (at most "
                   f"{MAX_GRADIENT_ERROR:.0%}): this CPU's bf16 kernels lose too much precision to train well")
    return AutoPrecision(chosen, reason, fp32_ms, bf16_ms, "measured",
                         datetime.now(timezone.utc).isoformat(timespec="seconds"), gradient_error)


def failed(reason: str) -> AutoPrecision:
    """fp32, because the measurement could not be made (``reason`` says why)."""
    return AutoPrecision("fp32", reason)


def as_started(meta: dict) -> AutoPrecision | None:
    """What ``auto`` took when the run whose run.json is ``meta`` started (None: not known), so that a resumed run
    goes on in the precision it began in, whatever this machine or its cache says now: the measurement it recorded,
    or for a run from before measuring (``auto`` then followed the CPU's flags) the precision it recorded."""
    try:
        return AutoPrecision.from_dict(meta.get("precision_auto"), "run")
    except ValueError:
        recorded = meta.get("precision")
        return AutoPrecision(recorded, "the precision the run trained in", source="run") if recorded in (
            "fp32", "bf16") else None


def cache_path() -> Path:
    """``<data folder>/cache/precision.json``."""
    return data_home() / "cache" / "precision.json"


def _entries(path: Path) -> list[dict]:
    """The cache's entries; [] for a missing, unreadable or corrupt file (never an error: it only costs a probe)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or not isinstance(data.get("entries"), list):
        return []
    return [entry for entry in data["entries"] if isinstance(entry, dict)]


def _key_of(entry: dict) -> ProbeKey | None:
    try:
        return ProbeKey(**{f.name: entry["key"][f.name] for f in fields(ProbeKey)})
    except (KeyError, TypeError):
        return None


def lookup(key: ProbeKey, path: Path | None = None, any_vocabulary: bool = False) -> AutoPrecision | None:
    """The latest measurement kept for ``key`` (see :meth:`ProbeKey.matches`), or None."""
    for entry in reversed(_entries(path or cache_path())):
        found = _key_of(entry)
        if found is not None and key.matches(found, any_vocabulary):
            try:
                return AutoPrecision.from_dict(entry.get("result"))
            except ValueError:
                continue
    return None


def remember(key: ProbeKey, result: AutoPrecision, path: Path | None = None) -> None:
    """Adds ``result`` for ``key`` to the cache (atomically, replacing an older one of the same key); OSError when
    the file cannot be written."""
    path = path or cache_path()
    kept = [entry for entry in _entries(path) if _key_of(entry) != key]
    kept.append({"key": asdict(key), "result": result.to_dict()})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, {"format": CACHE_FORMAT, "entries": kept[-MAX_ENTRIES:]})


def bf16_warning(model_config: ModelConfig | None, train_config: TrainConfig | None, threads: int,
                 path: Path | None = None) -> str:
    """A warning for someone who asks for bf16 at these shapes on a CPU where ``auto`` measured bf16's gradients
    too far from fp32's (whatever the corpus's characters); "" when it did not, or has not measured them."""
    found = (lookup(ProbeKey.here(model_config, train_config, threads), path, any_vocabulary=True)
             if model_config is not None and train_config is not None else None)
    if found is None or found.gradient_error is None or found.gradient_error <= MAX_GRADIENT_ERROR:
        return ""
    return (f"bf16 trains worse on this CPU: its gradients were {found.gradient_error:.0%} away from fp32's at these "
            f"shapes (auto takes fp32)")


def auto_precision_label(model_config: ModelConfig | None, train_config: TrainConfig | None, threads: int,
                         device: str = "auto", path: Path | None = None) -> tuple[str, str]:
    """``auto`` as the Train form shows it for these settings: a short label, e.g. ``auto (bf16 here: measured 1.24x
    faster)``, and a sentence for its tooltip. From the cache when these shapes were measured on this machine
    (whatever the corpus's characters), else it says the measurement is made when training starts."""
    if device == "cuda":
        return "auto (bf16 if the GPU has it)", "On a CUDA GPU, auto trains in bf16 where the GPU supports it."
    if device == "mps":
        return "auto (fp32 on mps)", "On Apple's MPS, auto trains in fp32."
    found = (lookup(ProbeKey.here(model_config, train_config, threads), path, any_vocabulary=True)
             if model_config is not None and train_config is not None else None)
    if found is None:
        return ("auto (measured when training starts)",
                f"When training starts, auto times a few steps in fp32 and in bf16 at these shapes on this CPU "
                f"({cpu_model_name()}, {threads} thread{'s' if threads != 1 else ''}) and takes bf16 if it is at "
                f"least {MARGIN:.1f}x as fast and its gradients agree with fp32's; the answer is kept, so this is "
                f"done once per machine and shape.")
    ratio, error = found.speed_up, found.gradient_error
    short = (f"bf16 here: measured {ratio:.2f}x faster" if found.precision == "bf16" else
             f"fp32 here: bf16's gradients {error:.0%} off" if error is not None and error > MAX_GRADIENT_ERROR else
             f"fp32 here: bf16 measured only {ratio:.2f}x faster" if ratio >= 1 else "fp32 here: bf16 measured slower")
    return (f"auto ({short})",
            f"Measured on this CPU ({cpu_model_name()}, {threads} thread{'s' if threads != 1 else ''}) at these "
            f"shapes: {found.words()}. Choose fp32 or bf16 to override it.")
