"""The settings of a model, a training run and a sampling call, and the presets: plain dataclasses, no torch.

They live apart from the code that uses them (model.py, training.py, sampling.py re-export them) so that the window
can build its forms without importing torch: the studio opens in a fraction of the time.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

from studio.core.abc.canonical import TEXT_LEVELS

DEFAULT_PRIMER = "X:1\n"
#: ``TrainConfig.context``: ``window`` (the lab's random windows from a zero state) or ``stream`` (whole tunes).
CONTEXTS = ("window", "stream")


class ConfigFields:
    """What every settings dataclass here can do: say which values are out of range, and round-trip to a dict.

    A subclass lists ``LIMITS`` (field -> (low, high)) and may list ``CHOICES`` (field -> allowed values).
    """

    LIMITS: dict[str, tuple[float, float]] = {}
    CHOICES: dict[str, tuple] = {}

    def problems(self) -> dict[str, str]:
        """Field name -> why its value is out of range (empty when the settings are usable)."""
        out = {}
        for name, (low, high) in self.LIMITS.items():
            if not low <= getattr(self, name) <= high:
                out[name] = f"must be between {low:g} and {high:g}"
        for name, allowed in self.CHOICES.items():
            if getattr(self, name) not in allowed:
                out[name] = f"must be one of {', '.join(allowed)}"
        return out

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict):
        """An instance from ``data``, ignoring keys it does not know (files of older or newer versions)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class ModelConfig(ConfigFields):
    """Network shape. The defaults are the lab's: embedding 256, one LSTM layer of 1024 units, no dropout."""

    vocab_size: int = 0
    embedding_dim: int = 256
    hidden_size: int = 1024
    num_layers: int = 1
    dropout: float = 0.0

    LIMITS = {
        "embedding_dim": (8, 2048),
        "hidden_size": (8, 4096),
        "num_layers": (1, 8),
        "dropout": (0.0, 0.9),
    }


@dataclass
class TrainConfig(ConfigFields):
    """Optimisation settings. The defaults are the lab's: Adam 5e-3, batch 8, sequence 100, 3000 iterations.

    ``lr_schedule``: ``constant`` (the lab's) keeps the learning rate; ``cosine`` lowers it along half a cosine from
    ``learning_rate`` at the first step to nothing at the last (see ``learning_rate_at``).

    ``text_level``: how the corpus is written for training (:mod:`studio.core.abc.canonical`): ``raw`` (as cleaned,
    the lab's exact text), ``canonical`` (one spelling, the default for new runs) or ``melody`` (canonical without
    slurs, decorations, grace notes and chord symbols). Runs saved before the field existed load as ``raw``.

    ``augment_keys``: semitone shifts (each -11 to 11, not 0, at most one per key) by which every training tune is
    also written (:mod:`studio.core.augmentation`; e.g. ``(-5, -2, 2, 5)`` adds a tune in D in A, C, E and G).
    Validation tunes are never transposed. Empty (the default and the lab's): no augmentation.

    ``context``: what each training window is read after. ``window`` (the lab's) draws random windows of the training
    text, each from a zero LSTM state; ``stream`` (the default for new runs) gives each batch row its own shuffled
    stream of whole tunes, read window after window with the state carried across steps (truncated backpropagation
    through time, :mod:`studio.core.tune_streams`), and validates on whole tunes read from a zero state, as sampling
    reads them. Runs saved before the field existed load as ``window``.
    """

    iterations: int = 3000
    batch_size: int = 8
    seq_length: int = 100
    learning_rate: float = 5e-3
    lr_schedule: str = "constant"
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    grad_clip: float = 5.0
    validation_interval: int = 100
    validation_windows: int = 64
    checkpoint_interval: int = 250
    validation_fraction: float = 0.1
    text_level: str = "canonical"
    augment_keys: tuple[int, ...] = ()
    context: str = "stream"

    LIMITS = {
        "iterations": (1, 1_000_000),
        "batch_size": (1, 1024),
        "seq_length": (2, 2000),
        "learning_rate": (1e-6, 1.0),
        "seed": (0, 2**31 - 1),
        "grad_clip": (0.0, 1000.0),
        "validation_interval": (1, 1_000_000),
        "validation_windows": (1, 10_000),
        "checkpoint_interval": (1, 1_000_000),
        "validation_fraction": (0.0, 0.5),
    }
    CHOICES = {"device": ("auto", "cpu", "cuda", "mps"), "precision": ("auto", "fp32", "bf16"),
               "lr_schedule": ("constant", "cosine"), "text_level": TEXT_LEVELS,
               "context": CONTEXTS}

    @classmethod
    def from_dict(cls, data: dict):
        """As :meth:`ConfigFields.from_dict`; settings saved before text levels existed trained on the raw text, and
        before contexts existed on random windows."""
        config = super().from_dict({"text_level": "raw", "context": "window", **data})
        config.augment_keys = tuple(config.augment_keys)  # a list in JSON
        return config

    def problems(self) -> dict[str, str]:
        out = super().problems()
        shifts = self.augment_keys
        if any(not isinstance(s, int) or not -11 <= s <= 11 or s == 0 for s in shifts):
            out["augment_keys"] = "must be semitone shifts from -11 to 11, none of them 0"
        elif len({s % 12 for s in shifts}) != len(shifts):
            out["augment_keys"] = "must name each key once (a shift and the same shift 12 apart give one key)"
        return out

    def learning_rate_at(self, step: int) -> float:
        """The learning rate of training step ``step`` (1 to ``iterations``). A function of the step alone, so a
        resumed run continues the same schedule (a run resumed with more iterations stretches what is left of it)."""
        if self.lr_schedule == "cosine":
            progress = min(max(step - 1, 0) / max(self.iterations, 1), 1.0)
            return self.learning_rate * 0.5 * (1.0 + math.cos(math.pi * progress))
        return self.learning_rate


#: The lab's configuration and its two controlled variants (one variable changed each).
PRESETS: dict[str, tuple[ModelConfig, TrainConfig]] = {
    "lab": (ModelConfig(), TrainConfig()),
    "lab-batch4": (ModelConfig(), TrainConfig(batch_size=4)),
    "lab-seq200": (ModelConfig(), TrainConfig(seq_length=200)),
    # the lab's exact context: random windows, each from a zero state
    "lab-window": (ModelConfig(), TrainConfig(context="window")),
    # a small collection taught to a trained base (``train --from``), chosen on miscFolk (bench/fine_tune_recipe.py):
    # lr 1e-3 kept 84% of lr 3e-3's gain on the new tunes for 40% of its cost on O'Neill's; 150 cosine steps
    "fine-tune": (ModelConfig(dropout=0.2), TrainConfig(iterations=150, learning_rate=1e-3, lr_schedule="cosine",
                                                        validation_fraction=0.2, validation_interval=25,
                                                        checkpoint_interval=50)),
    # a quick look (and the tests' model): the corpus as cleaned, so no one-off rewrite of the corpus comes first
    "tiny": (ModelConfig(embedding_dim=32, hidden_size=64), TrainConfig(iterations=200, validation_interval=20,
                                                                         checkpoint_interval=50, text_level="raw")),
}


def preset(name: str) -> tuple[ModelConfig, TrainConfig]:
    """Fresh copies of a preset's configs; KeyError names the known presets."""
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    model_config, train_config = PRESETS[name]
    return replace(model_config), replace(train_config)


#: ``SamplingConfig.bars``: ``strict`` masks what would make a bar miss the meter, ``free`` is the lab's sampling.
BARS_MODES = ("strict", "free")
#: ``SamplingConfig.form``: ``free`` lets the model decide; the others place strains of ``strain_bars`` bars.
FORMS = ("free", "AABB", "AB", "AABBCC")
STRAIN_BARS = (8, 16)
#: ``SamplingConfig.cadence``: ``home`` ends each strain of a form on a tonic-triad note and the tune on the tonic
#: (:mod:`studio.core.cadence`); ``free`` leaves the strains' last notes to the model.
CADENCES = ("home", "free")


@dataclass
class SamplingConfig:
    """How to sample: ``seed`` None picks a random seed (reported in the results).

    ``bars`` ``strict`` (every bar adds up to the meter, every tune valid) or ``free``; ``form`` (strict bars only:
    ignored when ``bars`` is ``free``) ``free``, ``AABB``, ``AB`` or ``AABBCC`` with ``strain_bars`` 8 or 16;
    ``phrase_repeats`` (with a form) lets bars copy earlier ones as folk tunes do (:mod:`studio.core.phrase_repeats`);
    ``cadence`` (with a form) ``home`` brings every strain to a tonic-triad note and the tune to its tonic, ``free``
    does not (:mod:`studio.core.cadence`).
    """

    temperature: float = 1.0
    top_k: int | None = None
    seed: int | None = None
    primer: str = DEFAULT_PRIMER
    max_length: int = 1000
    count: int = 1
    bars: str = "strict"
    form: str = "AABB"
    strain_bars: int = 8
    phrase_repeats: bool = True
    cadence: str = "home"

    def problems(self) -> dict[str, str]:
        out = {}
        if not 0.01 <= self.temperature <= 10:
            out["temperature"] = "must be between 0.01 and 10"
        if self.top_k is not None and self.top_k < 1:
            out["top_k"] = "must be at least 1 (or empty for no limit)"
        if not 1 <= self.max_length <= 100_000:
            out["max_length"] = "must be between 1 and 100000"
        if not 1 <= self.count <= 256:
            out["count"] = "must be between 1 and 256"
        for name, allowed in (("bars", BARS_MODES), ("form", FORMS), ("strain_bars", STRAIN_BARS),
                              ("cadence", CADENCES)):
            if getattr(self, name) not in allowed:
                out[name] = f"must be one of {', '.join(map(str, allowed))}"
        return out
