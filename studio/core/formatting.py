"""How a value is written in a table, on the terminal and in the window alike (metrics, run settings)."""

from __future__ import annotations


def format_value(value, *, exact: bool = False) -> str:
    """``None`` -> ``-``; booleans yes/no; integers plain; floats with three decimals (one from 10 up), or, with
    ``exact`` (settings such as a learning rate of 0.0005), in their shortest exact form."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if exact:
        return f"{value:g}" if isinstance(value, float) else str(value)
    value = value + 0.0  # no "-0.000"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"

def score_label(entry: dict) -> str:
    """A stored score as a table shows it: ``1.150 (oneills1850, validation)`` in nats per character."""
    method = "" if entry.get("method", "tunes") == "tunes" else f", {entry['method']}"
    return f"{entry['nats_per_char']:.3f} ({entry['corpus']}, {entry['split']}{method})"
