"""Where ABC Studio's own files live (no heavy imports: the window and the CLI read this at start-up)."""

from pathlib import Path

#: The model ABC Studio ships and opens with (see models/MODEL_CARD.md).
SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "models" / "default.pt"
