"""Where ABC Studio's own files live: the user's data folder and the shipped model (no heavy imports: the window
and the CLI read this at start-up)."""

import os
import re
from pathlib import Path

import platformdirs

APP_NAME = "abc-studio"

#: The model ABC Studio ships and opens with (see models/MODEL_CARD.md).
SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "models" / "default.pt"


def file_name_part(text: str, keep: str = "", limit: int | None = None, fallback: str = "") -> str:
    """``text`` made safe inside a file name: runs of anything but ASCII letters, digits and ``keep`` become one
    dash, dashes at the ends go, then at most ``limit`` characters; ``fallback`` when nothing is left."""
    cleaned = re.sub(rf"[^A-Za-z0-9{re.escape(keep)}]+", "-", text).strip("-")
    return (cleaned[:limit] if limit else cleaned) or fallback


def data_home() -> Path:
    """The user's ABC Studio data folder (``ABC_STUDIO_HOME`` overrides it)."""
    override = os.environ.get("ABC_STUDIO_HOME")
    return Path(override).expanduser() if override else Path(platformdirs.user_data_dir(APP_NAME))
