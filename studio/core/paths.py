"""Where ABC Studio's own files live (no heavy imports: the window and the CLI read this at start-up)."""

import re
from pathlib import Path

#: The model ABC Studio ships and opens with (see models/MODEL_CARD.md).
SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "models" / "default.pt"


def file_name_part(text: str, keep: str = "", limit: int | None = None, fallback: str = "") -> str:
    """``text`` made safe inside a file name: runs of anything but ASCII letters, digits and ``keep`` become one
    dash, dashes at the ends go, then at most ``limit`` characters; ``fallback`` when nothing is left."""
    cleaned = re.sub(rf"[^A-Za-z0-9{re.escape(keep)}]+", "-", text).strip("-")
    return (cleaned[:limit] if limit else cleaned) or fallback
