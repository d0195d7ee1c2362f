"""What the Runs tab's table shows: one column per setting or figure, each read from a run's summary."""

from __future__ import annotations

from datetime import datetime

from studio.core.configs import training_settings
from studio.core.formatting import score_label
from studio.core.learning.early_stopping import STOPPED_EARLY

_SHOWN = [setting for setting in training_settings() if setting.about.column]
#: (header, how to read the cell from a run summary): the settings with a ``Setting.column``, words before the
#: status and numbers after it.
COLUMNS = (
    ("Name", lambda s: s.get("name")),
    ("Date", lambda s: _short_date(s.get("created"))),
    ("Corpus", lambda s: _corpus_of(s)),
    *((setting.about.column, setting.read) for setting in _SHOWN if setting.about.choices),
    ("Status", lambda s: status_of(s)),
    ("Steps", lambda s: f"{s.get('steps_done', 0):,} / {s.get('train_config', {}).get('iterations', 0):,}"),
    *((setting.about.column, setting.read) for setting in _SHOWN if not setting.about.choices),
    ("Last loss", lambda s: _loss(s.get("last_loss"))),
    ("Best loss", lambda s: _loss(s.get("best_loss"))),
    ("Val loss", lambda s: _loss(s.get("last_val_loss"))),
    ("Best val", lambda s: _loss(s.get("best_val_loss"))),
    ("Score (corpus, split)", lambda s: _latest_score(s.get("scores"))),
)
SCORE_COLUMN = len(COLUMNS) - 1
STATUS_COLUMN = [header for header, _read in COLUMNS].index("Status")
#: The row of the shipped model (shown once it has been scored): no run id.
SHIPPED_ROW_NAME = "Shipped model (default.pt)"

#: Columns from here on hold numbers (aligned right).
FIRST_NUMBER_COLUMN = STATUS_COLUMN + 1


def status_of(summary: dict) -> str:
    """The run's status, with the reason a run stopped by itself (``stopped (disk full: free some space, ...)``,
    ``stopped early (the held-out loss did not improve ...)``)."""
    status = summary.get("status")
    reason = summary.get({"stopped": "stop_reason", STOPPED_EARLY: "early_stop"}.get(status, ""))
    return f"{status} ({reason})" if reason else status


def _corpus_of(summary: dict) -> str | None:
    """The corpus, and for a fine-tuned run the model it started from (``parent`` in run.json)."""
    name, parent = summary.get("corpus", {}).get("name"), summary.get("parent")
    return f"{name}, from {parent.get('name') or parent.get('label')}" if parent else name


def _short_date(text: str | None) -> str:
    if not text:
        return "-"
    try:
        return datetime.fromisoformat(text).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return text


def _latest_score(scores: dict | None) -> str:
    """The newest stored score (``studio.core.quality.scoring.record_score``), e.g. ``1.150 (oneills1850, validation)``."""
    if not scores:
        return "-"
    return score_label(list(scores.values())[-1])


def _loss(value) -> str:
    return "-" if value is None else f"{value:.3f}"
