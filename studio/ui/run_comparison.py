"""What comparing runs needs, without Qt: the settings that differ between runs, and their loss logs as CSV.

The differing-settings view is the lab report's controlled-variable table: when two runs differ only in batch size,
only the batch size row is shown.
"""

from __future__ import annotations

import csv
import io

from studio.core.formatting import format_value

def text_level_of(summary: dict) -> str:
    """The text level a run trained on (runs from before text levels existed trained on the raw text)."""
    return summary.get("corpus", {}).get("text_level") or summary.get("train_config", {}).get("text_level") or "raw"


def context_of(summary: dict) -> str:
    """What a run's windows were read after (runs from before contexts existed read random windows)."""
    return summary.get("train_config", {}).get("context") or "window"


#: (label, how to read it from a run summary), in the order the table shows them.
COMPARED_SETTINGS = (
    ("Corpus", lambda s: s.get("corpus", {}).get("name")),
    ("Text", text_level_of),
    ("Context", context_of),
    ("Iterations", lambda s: s.get("train_config", {}).get("iterations")),
    ("Batch size", lambda s: s.get("train_config", {}).get("batch_size")),
    ("Sequence length", lambda s: s.get("train_config", {}).get("seq_length")),
    ("Learning rate", lambda s: s.get("train_config", {}).get("learning_rate")),
    # runs from before the schedule existed trained at a constant rate
    ("LR schedule", lambda s: s.get("train_config", {}).get("lr_schedule", "constant")),
    ("Embedding size", lambda s: s.get("model_config", {}).get("embedding_dim")),
    ("Hidden size", lambda s: s.get("model_config", {}).get("hidden_size")),
    ("Layers", lambda s: s.get("model_config", {}).get("num_layers")),
    ("Dropout", lambda s: s.get("model_config", {}).get("dropout")),
    ("Seed", lambda s: s.get("train_config", {}).get("seed")),
    ("Gradient clip", lambda s: s.get("train_config", {}).get("grad_clip")),
    ("Validation share", lambda s: s.get("train_config", {}).get("validation_fraction")),
    ("Device", lambda s: s.get("device")),
    ("Precision", lambda s: s.get("precision")),
)


def differing_settings(summaries: list[dict]) -> list[tuple[str, list[str]]]:
    """(label, one formatted value per run) for each setting whose values are not all equal."""
    rows = []
    for label, read in COMPARED_SETTINGS:
        values = [format_value(read(summary), exact=True) for summary in summaries]
        if len(set(values)) > 1:
            rows.append((label, values))
    return rows


def loss_logs_csv(runs) -> str:
    """All loss points of ``runs`` (core Run objects) in one table: run id, run name, step, kind, value, elapsed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run_id", "run_name", "step", "kind", "value", "elapsed_s"])
    for run in runs:
        name = run.name
        for point in run.loss_log():
            writer.writerow([run.id, name, point.step, point.kind, f"{point.value:.6f}", f"{point.elapsed:.3f}"])
    return out.getvalue()
