"""Typed access to the window's QSettings: every read names its default, and the default's type is the value's type.

QSettings returns strings for numbers and booleans on some platforms; ``read`` converts back to the type of the
default, so callers never see ``"true"`` where they expect ``True``. Keys are grouped per feature ("window/...",
"train/...", "runs/...").
"""

from __future__ import annotations

from PySide6.QtCore import QSettings


def read(key: str, default):
    """The stored value for ``key`` converted to ``type(default)``, or ``default`` when missing or unreadable."""
    value = QSettings().value(key, default)
    if value is None:
        return default
    kind = type(default)
    try:
        if kind is bool:
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
        if kind in (int, float, str):
            return kind(value)
    except (TypeError, ValueError):
        return default
    return value


def write(key: str, value) -> None:
    QSettings().setValue(key, value)
