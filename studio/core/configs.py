"""The settings of a model, a training run and a sampling call, and the presets: plain dataclasses, no torch.

Each setting of ``ModelConfig`` and ``TrainConfig`` is written once, here: its field carries a :class:`Setting` in
its metadata (label, help, unit, limits, choices, the CLI flag, the Train form's group, the runs table's column, the
value of runs saved before it existed). The command line's flags (``studio.cli.train``), the Train form
(``studio.ui.train.hyperparameter_form``), the runs table and comparison (``studio.ui.run_history.runs_table``,
``studio.ui.run_history.run_comparison``) and the "train this again" command (``studio.core.reports.report_html.train_command``) are
generated from :func:`training_settings`: adding a setting is one line below plus its use.

They live apart from the code that uses them so that the window can build its forms without importing torch: the
studio opens in a fraction of the time.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Callable

from studio.core.abc.canonical import TEXT_LEVELS
from studio.core.abc.bar_clock import CLOCKS
from studio.core.abc.key_moves import TONICS
from studio.core.setting_help import CLOCK_HELP, CONTEXT_HELP, TEXT_LEVEL_HELP, TONIC_HELP, UNITS_HELP

DEFAULT_PRIMER = "X:1\n"
#: ``TrainConfig.context``: ``window`` (the lab's random windows from a zero state) or ``stream`` (whole tunes).
CONTEXTS = ("window", "stream")
#: ``TrainConfig.units``: what one step of the model reads: a character (the lab's) or an ABC token (folk-rnn's).
UNITS = ("characters", "tokens")
#: ``score``: which tunes of a corpus a model is scored on (as its training divided them, or all), and how they are
#: read (whole tunes, or the trainer's validation windows). Here, not in the torch-using scoring module, so the
#: command line and the window offer them without loading torch.
SCORE_SPLITS = ("validation", "train", "all")
SCORE_METHODS = ("tunes", "windows")
#: The Train form's groups of settings, in the order it shows them.
GROUPS = ("text", "optimisation", "network", "run", "machine")
#: ``Setting.saved_before`` of a setting that runs have always saved.
NEW = object()
#: The network's shape, which a run started from a trained base (``train --from``) takes from it (dropout is a
#: training choice and stays the run's own); ``BASE_FIELDS`` adds the text level it reads, also the base's.
SHAPE_FIELDS = ("embedding_dim", "hidden_size", "num_layers", "clock")
BASE_FIELDS = SHAPE_FIELDS + ("text_level",)


def semitone_shifts(text: str) -> tuple[int, ...]:
    """``'-5,-2,2,5'`` -> ``(-5, -2, 2, 5)``; ``''`` or ``none`` -> no augmentation; ValueError otherwise."""
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"whole numbers separated by commas, not {text!r}") from None


def _shifts_text(shifts) -> str:
    return ",".join(str(shift) for shift in shifts) if shifts else "none"


@dataclass(frozen=True)
class Setting:
    """What the studio says and checks about one settings field (its dataclass field's ``metadata["setting"]``).

    ``choices``: allowed values, each with its explanation (``{}``: any value within ``limits``); ``flag``: the
    command-line flag without ``--`` (the field name with dashes when empty); ``group``: where the Train form shows
    it (one of ``GROUPS``); ``form``: shown in the Train form at all; ``column``: its header in the runs table (empty:
    none); ``compare``: a row of the runs comparison; ``saved_before``: what runs saved before the field existed used;
    ``parse``/``show``: text <-> value for values that are not plain numbers or words.
    """

    label: str
    help: str
    unit: str = ""
    limits: tuple[float, float] | None = None
    choices: dict[str, str] = field(default_factory=dict)
    flag: str = ""
    group: str = "run"
    form: bool = True
    column: str = ""
    compare: bool = True
    saved_before: Any = NEW
    parse: Callable[[str], Any] | None = None
    show: Callable[[Any], str] | None = None


def setting(default, label: str, help: str, **described):
    """A dataclass field with its :class:`Setting` (the one place a training setting is described)."""
    return field(default=default, metadata={"setting": Setting(label, help, **described)})


@dataclass(frozen=True)
class SettingField:
    """One described field of a settings class: ``config`` (the class), ``name``, ``kind`` (int, float, str or
    tuple, from its default), ``default`` and its :class:`Setting` as ``about``."""

    config: type
    name: str
    kind: type
    default: Any
    about: Setting

    @property
    def flag(self) -> str:
        return self.about.flag or self.name.replace("_", "-")

    def parse(self, text: str):
        """The value ``text`` means (ValueError when it means none): whole numbers may hold ``,`` or ``_``."""
        if self.about.parse:
            return self.about.parse(text)
        if self.kind is int:
            return int(text.strip().replace(",", "").replace("_", ""))
        return self.kind(text.strip())

    def show(self, value) -> str:
        """``value`` as text that :meth:`parse` reads back."""
        if self.about.show:
            return self.about.show(value)
        return repr(value) if isinstance(value, float) else str(value)  # every digit: 5e-3 as 0.005

    def described_help(self) -> str:
        """The help with the unit, the range and the choices' explanations, for a flag or a tooltip."""
        about, extra = self.about, []
        if about.limits:
            extra.append(f"{self.show(about.limits[0])} to {self.show(about.limits[1])}{' ' + about.unit if about.unit else ''}")
        elif about.unit:
            extra.append(about.unit)
        text = about.help + (f" ({'; '.join(extra)})" if extra else "")
        return text + "".join(f"; {explained}" for explained in about.choices.values() if explained)

    def read(self, summary: dict):
        """This setting's value in a run summary (``run.json``), as its config loads it (old runs included)."""
        section = summary.get("model_config" if self.config is ModelConfig else "train_config") or {}
        return getattr(self.config.from_dict(section), self.name)


def settings_of(config: type) -> list[SettingField]:
    """The described fields of a settings class, in declaration order."""
    out = []
    for f in fields(config):
        about = f.metadata.get("setting")
        if about is not None:
            out.append(SettingField(config, f.name, type(f.default), f.default, about))
    return out


def training_settings() -> list[SettingField]:
    """Every setting of a training run (``TrainConfig`` and ``ModelConfig``), in the Train form's order (by group,
    then as declared)."""
    described = settings_of(TrainConfig) + settings_of(ModelConfig)
    return sorted(described, key=lambda s: GROUPS.index(s.about.group))


class ConfigFields:
    """What every settings dataclass here can do: say which values are out of range, and round-trip to a dict.

    Limits and choices come from each field's :class:`Setting`.
    """

    def problems(self) -> dict[str, str]:
        """Field name -> why its value is out of range (empty when the settings are usable)."""
        out = {}
        for described in settings_of(type(self)):
            value, about = getattr(self, described.name), described.about
            if about.limits and not about.limits[0] <= value <= about.limits[1]:
                out[described.name] = f"must be between {about.limits[0]:g} and {about.limits[1]:g}"
            if about.choices and value not in about.choices:
                out[described.name] = f"must be one of {', '.join(about.choices)}"
        return out

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict):
        """An instance from ``data``, ignoring keys it does not know (files of older or newer versions); a field
        missing from ``data`` takes its ``saved_before`` value (what runs from before it existed used), else its
        default. Tuples come back as tuples (JSON stores lists)."""
        known = {f.name: f for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for described in settings_of(cls):
            if described.name not in values and described.about.saved_before is not NEW:
                values[described.name] = described.about.saved_before
            if described.kind is tuple and described.name in values:
                values[described.name] = tuple(values[described.name])
        return cls(**values)


def _choices(values, explained: dict[str, str] | None = None) -> dict[str, str]:
    return {value: (explained or {}).get(value, "") for value in values}


@dataclass
class ModelConfig(ConfigFields):
    """Network shape. The defaults are the lab's: embedding 256, one LSTM layer of 1024 units, no dropout."""

    vocab_size: int = 0
    embedding_dim: int = setting(256, "Embedding size", "Size of each character's vector", limits=(8, 2048),
                                 group="network", column="Emb")
    hidden_size: int = setting(1024, "Hidden size", "LSTM units per layer", limits=(8, 4096), group="network",
                               column="Hidden")
    num_layers: int = setting(1, "Layers", "Stacked LSTM layers", limits=(1, 8), group="network", column="Layers")
    dropout: float = setting(0.0, "Dropout", "Dropout between layers and before the output (0 = none)",
                             limits=(0.0, 0.9), group="network")
    clock: str = setting("none", "Clock", "What the network reads beside the text",
                         choices=_choices(CLOCKS, CLOCK_HELP), group="network", column="Clock", saved_before="none")


@dataclass
class TrainConfig(ConfigFields):
    """Optimisation settings. The defaults are the lab's: Adam 5e-3, batch 8, sequence 100, 3000 iterations.

    ``lr_schedule``: ``constant`` (the lab's) keeps the learning rate; ``cosine`` lowers it along half a cosine from
    ``learning_rate`` at the first step to nothing at the last (see ``learning_rate_at``).

    ``text_level``: how the corpus is written for training (:mod:`studio.core.abc.canonical`): ``raw`` (as cleaned,
    the lab's exact text), ``canonical`` (one spelling, the default for new runs) or ``melody`` (canonical without
    slurs, decorations, grace notes and chord symbols). Runs saved before the field existed load as ``raw``.

    ``augment_keys``: semitone shifts (each -11 to 11, not 0, at most one per key) by which every training tune is
    also written (:mod:`studio.core.learning.augmentation`; e.g. ``(-5, -2, 2, 5)`` adds a tune in D in A, C, E and G).
    Validation tunes are never transposed. Empty (the default and the lab's): no augmentation.

    ``context``: what each training window is read after. ``window`` (the lab's) draws random windows of the training
    text, each from a zero LSTM state; ``stream`` (the default for new runs) gives each batch row its own shuffled
    stream of whole tunes, read window after window with the state carried across steps (truncated backpropagation
    through time, :mod:`studio.core.learning.tune_streams`), and validates on whole tunes read from a zero state, as sampling
    reads them. Runs saved before the field existed load as ``window``.

    ``tonic``: ``written`` (the lab's) or a letter: every tune, training and held-out, written with that tonic first,
    mode kept (:mod:`studio.core.abc.key_moves`), so cadences are learnt on one note. Not with ``augment_keys``.

    ``units``: what the model reads at each step (:mod:`studio.core.network.token_vocabulary`): ``characters`` (the
    lab's, the default) or ``tokens`` (:func:`studio.core.abc.units.abc_tokens`); ``seq_length`` counts them.
    """

    iterations: int = setting(3000, "Iterations", "Training steps (one batch each)", limits=(1, 1_000_000),
                              group="optimisation")
    batch_size: int = setting(8, "Batch size", "Windows of text per step", limits=(1, 1024), group="optimisation",
                              column="Batch")
    seq_length: int = setting(100, "Sequence length", "Characters per window", unit="characters",
                              limits=(2, 2000), group="optimisation", column="Seq")
    learning_rate: float = setting(5e-3, "Learning rate", "Adam step size", limits=(1e-6, 1.0),
                                   group="optimisation", column="LR")
    lr_schedule: str = setting(
        "constant", "LR schedule",
        "constant: the lab's; cosine: the learning rate falls along half a cosine to nothing by the last step",
        choices=_choices(("constant", "cosine")), group="optimisation", saved_before="constant")
    seed: int = setting(0, "Seed", "Random seed: same seed and settings, same run", limits=(0, 2**31 - 1))
    device: str = setting("auto", "Device", "auto takes a GPU when there is one",
                          choices=_choices(("auto", "cpu", "cuda", "mps")), group="machine", compare=False)
    precision: str = setting("auto", "Precision", "auto times a few steps of fp32 and bf16 at the run's shapes on "
                             "this machine (once, then remembered) and takes bf16 if it is at least 1.1x faster; "
                             "runs of other batch sizes may so train in different precisions: compare them by hand "
                             "with fp32 or bf16 chosen (an experiment's runs share the first one's)",
                             choices=_choices(("auto", "fp32", "bf16")), group="machine", compare=False)
    grad_clip: float = setting(5.0, "Gradient clip", "Largest gradient norm of a step", limits=(0.0, 1000.0),
                               form=False)
    validation_interval: int = setting(100, "Validate every", "Steps between validation losses",
                                       limits=(1, 1_000_000))
    validation_windows: int = setting(64, "Validation windows", "Windows of held-out text per validation loss",
                                      limits=(1, 10_000), form=False)
    checkpoint_interval: int = setting(250, "Checkpoint every", "Steps between saved checkpoints",
                                       limits=(1, 1_000_000))
    early_stop_patience: int = setting(
        0, "Early stopping", "End the run when the held-out loss has not improved for this many validations in a "
        "row (0 = never); the best checkpoint is the one kept", unit="validations", limits=(0, 10_000),
        group="optimisation", column="Patience", saved_before=0)
    validation_fraction: float = setting(0.1, "Validation share", "Share of the tunes held out for validation",
                                         limits=(0.0, 0.5), form=False)
    text_level: str = setting(
        "canonical", "Text",
        "How the tunes are written for training. Rewriting a corpus the first time takes up to a minute, then it is "
        "cached", choices=_choices(TEXT_LEVELS, TEXT_LEVEL_HELP), flag="text", group="text", column="Text",
        saved_before="raw")
    augment_keys: tuple[int, ...] = setting(
        (), "Key augmentation",
        "Also train on every training tune transposed by these semitones, e.g. --augment-keys=-5,-2,2,5 (a tune in D "
        "also in A, C, E and G); validation tunes never", form=False, parse=semitone_shifts, show=_shifts_text)
    context: str = setting(
        "stream", "Context",
        "What each window of text is read after", choices=_choices(CONTEXTS, CONTEXT_HELP), group="text",
        column="Context", saved_before="window")
    tonic: str = setting("written", "Tonic", "The key the tunes are written in for training",
                         choices=_choices(TONICS, TONIC_HELP), group="text", column="Tonic", saved_before="written")
    units: str = setting("characters", "Units", "What the model reads at each step",
                         choices=_choices(UNITS, UNITS_HELP), group="text", form=False, saved_before="characters")

    def problems(self) -> dict[str, str]:
        out = super().problems()
        shifts = self.augment_keys
        if any(not isinstance(s, int) or not -11 <= s <= 11 or s == 0 for s in shifts):
            out["augment_keys"] = "must be semitone shifts from -11 to 11, none of them 0"
        elif len({s % 12 for s in shifts}) != len(shifts):
            out["augment_keys"] = "must name each key once (a shift and the same shift 12 apart give one key)"
        elif shifts and self.tonic != "written":
            out["augment_keys"] = (f"cannot go with one tonic ({self.tonic}): key augmentation writes the tunes in "
                                   "other keys again")
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
    # lr 1e-3 kept 84% of lr 3e-3's gain on the new tunes for 40% of its cost on O'Neill's; 150 cosine steps; early
    # stopping after 4 validations (100 steps) without a new best: on 200 Essen songs a 1,000-step run's held-out
    # loss was lowest at step 375 and rose after it (overfitting), so the rule would have ended it at 475
    "fine-tune": (ModelConfig(dropout=0.2), TrainConfig(iterations=150, learning_rate=1e-3, lr_schedule="cosine",
                                                        validation_fraction=0.2, validation_interval=25,
                                                        checkpoint_interval=50, early_stop_patience=4)),
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
#: (:mod:`studio.core.generation.cadence`); ``free`` leaves the strains' last notes to the model.
CADENCES = ("home", "free")


@dataclass
class SamplingConfig:
    """How to sample: ``seed`` None picks a random seed (reported in the results).

    ``bars`` ``strict`` (every bar adds up to the meter, every tune valid) or ``free``; ``form`` (strict bars only:
    ignored when ``bars`` is ``free``) ``free``, ``AABB``, ``AB`` or ``AABBCC`` with ``strain_bars`` 8 or 16;
    ``phrase_repeats`` (with a form) lets bars copy earlier ones as folk tunes do (:mod:`studio.core.generation.phrase_repeats`);
    ``cadence`` (with a form) ``home`` brings every strain to a tonic-triad note and the tune to its tonic, ``free``
    does not (:mod:`studio.core.generation.cadence`).
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
