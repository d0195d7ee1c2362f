"""Shared behaviour of the configuration dataclasses (ModelConfig, TrainConfig): range checks and loading."""

from __future__ import annotations

from dataclasses import fields


def range_problems(config, limits: dict[str, tuple[float, float]]) -> dict[str, str]:
    """Field name -> why its value is outside ``limits`` (field -> (low, high)); empty when all are in range."""
    out = {}
    for name, (low, high) in limits.items():
        if not low <= getattr(config, name) <= high:
            out[name] = f"must be between {low:g} and {high:g}"
    return out


def from_known_fields(cls, data: dict):
    """An instance of the dataclass ``cls`` from ``data``, ignoring keys it does not know (older or newer files)."""
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in known})
