"""What an experiment compares: one preset (or a base to fine-tune), one variable, its values (no torch here).

:class:`ExperimentSpec` names a preset, a variable (a field of ``ModelConfig`` or ``TrainConfig``, ``temperature``
at generation time, or ``start_from``: what each arm starts from), its values and, with ``base`` (``--from``: the
shipped model, a run or a model file, :mod:`studio.core.learning.fine_tuning`), what every arm starts from;
:func:`parse_values` reads the values typed for the variable. ``start_from=shipped,nothing`` answers "does the base
help with my tunes?": one arm fine-tuned from the shipped model, one trained from nothing with the same network, text
level and recipe. :mod:`studio.core.learning.experiments` runs a spec.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

from studio.core.configs import BASE_FIELDS, PRESETS, ModelConfig, SamplingConfig, TrainConfig, preset
from studio.core.corpus import DEFAULT_CORPUS

#: Variables applied when sampling, not when training.
GENERATION_VARIABLES = ("temperature",)
MODEL_VARIABLES = tuple(f.name for f in fields(ModelConfig) if f.name != "vocab_size")
#: augment_keys is a list itself (``-5,-2,2,5``): compare it with two experiments' runs, not as one variable.
TRAIN_VARIABLES = tuple(f.name for f in fields(TrainConfig) if f.name not in ("device", "precision", "augment_keys"))
#: The variable that is no setting: what each arm starts from (``shipped``, a run id, a model file, or ``nothing``).
START_FROM = "start_from"
NOTHING = "nothing"
VARIABLES = TRAIN_VARIABLES + MODEL_VARIABLES + GENERATION_VARIABLES + (START_FROM,)


class ExperimentError(Exception):
    """An experiment cannot be defined, run or read; the message says why, for the user."""


def variable_type(variable: str) -> type:
    """The Python type of a variable's values (int, float or str)."""
    if variable in GENERATION_VARIABLES:
        return float
    if variable == START_FROM:
        return str
    for config in (TrainConfig, ModelConfig):
        for f in fields(config):
            if f.name == variable and variable in VARIABLES:
                return next((kind for kind in (float, str) if kind.__name__ in str(f.type)), int)
    raise ExperimentError(f"unknown variable {variable!r}; choose one of {', '.join(VARIABLES)}")


def parse_values(variable: str, text: str) -> list:
    """``'8,4'`` -> ``[8, 4]`` typed for ``variable``; raises ExperimentError on a bad or repeated value."""
    kind = variable_type(variable)
    values = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            value = kind(float(part)) if kind is int and float(part).is_integer() else kind(part)
        except ValueError:
            raise ExperimentError(f"{variable} needs {kind.__name__} values, not {part!r}") from None
        if value in values:
            raise ExperimentError(f"{variable}={part} is listed twice")
        values.append(value)
    if len(values) < 2:
        example = "shipped,nothing" if variable == START_FROM else "8,4"
        raise ExperimentError(f"give at least two values to compare, e.g. {variable}={example}")
    return values


@dataclass
class ExperimentSpec:
    """What to compare. ``iterations`` overrides the preset's; ``overrides`` sets other base fields; ``base``
    (``shipped``, a run id or a model file) is what every arm is fine-tuned from (empty: from nothing)."""

    variable: str
    values: list
    preset: str = "lab"
    corpus: str = DEFAULT_CORPUS
    iterations: int | None = None
    tunes_per_run: int = 20
    sampling_seed: int = 1000
    temperature: float = 1.0
    max_length: int = 1000
    overrides: dict = field(default_factory=dict)
    name: str = ""
    base: str = ""

    @property
    def generation_time(self) -> bool:
        return self.variable in GENERATION_VARIABLES

    def problems(self) -> dict[str, str]:
        """Field -> why it cannot be used (empty when the spec can run)."""
        out = {}
        if self.preset not in PRESETS:
            out["preset"] = f"unknown preset {self.preset!r}; known: {', '.join(PRESETS)}"
        if self.variable not in VARIABLES:
            out["variable"] = f"unknown variable {self.variable!r}; choose one of {', '.join(VARIABLES)}"
        if len(self.values) < 2:
            out["values"] = "give at least two values"
        elif len(set(map(str, self.values))) != len(self.values):
            out["values"] = "values must differ"
        if not 1 <= self.tunes_per_run <= 256:
            out["tunes_per_run"] = "must be between 1 and 256"
        if self.iterations is not None and self.iterations < 1:
            out["iterations"] = "must be at least 1"
        if self.base and self.variable == START_FROM:
            out["variable"] = (f"each arm starts from its value of start_from: leave out the one base for every arm "
                               f"({self.base})")
        elif self.base and self.variable in BASE_FIELDS:
            out["variable"] = (f"every arm takes {self.variable.replace('_', ' ')} from the model it starts from "
                               f"({self.base}): vary a training setting, such as learning_rate")
        if out:
            return out
        for value in self.values:
            try:
                model_config, train_config, temperature = self.configs_for(value)
            except (TypeError, ValueError) as exc:
                out["values"] = str(exc)
                break
            sampling = SamplingConfig(temperature=temperature, max_length=self.max_length, count=self.tunes_per_run,
                                      bars="free")  # experiments judge the model itself: the lab's sampling
            bad = {**model_config.problems(), **train_config.problems(), **sampling.problems()}
            if bad:
                out["values"] = "; ".join(f"{self.variable}={value}: {k} {v}" for k, v in bad.items())
                break
        return out

    def check(self) -> None:
        """Raises ExperimentError naming every problem."""
        problems = self.problems()
        if problems:
            raise ExperimentError("; ".join(f"{k}: {v}" for k, v in problems.items()))

    def base_configs(self) -> tuple[ModelConfig, TrainConfig]:
        model_config, train_config = preset(self.preset)
        model_fields = {k: v for k, v in self.overrides.items() if k in MODEL_VARIABLES}
        train_fields = {k: v for k, v in self.overrides.items() if k not in MODEL_VARIABLES}
        if self.iterations is not None:
            train_fields["iterations"] = self.iterations
        return replace(model_config, **model_fields), replace(train_config, **train_fields)

    def configs_for(self, value) -> tuple[ModelConfig, TrainConfig, float]:
        """Model config, train config and sampling temperature of the arm with ``value``."""
        model_config, train_config = self.base_configs()
        if self.variable in MODEL_VARIABLES:
            model_config = replace(model_config, **{self.variable: value})
        elif self.variable in TRAIN_VARIABLES:
            train_config = replace(train_config, **{self.variable: value})
        temperature = float(value) if self.variable == "temperature" else self.temperature
        return model_config, train_config, temperature

    def base_of(self, value) -> str:
        """What the arm with ``value`` starts from: a base (``shipped``, a run id or a model file), or ``""`` for
        nothing."""
        if self.variable != START_FROM:
            return self.base
        return "" if value == NOTHING else value

    def label(self, value) -> str:
        return f"{self.variable}={value:g}" if isinstance(value, float) else f"{self.variable}={value}"

    def title(self) -> str:
        start = f" from {self.base}" if self.base else ""
        variable = "start from" if self.variable == START_FROM else self.variable
        return self.name or f"{self.preset}{start}: {variable} " + " vs ".join(str(v) for v in self.values)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ExperimentSpec":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
