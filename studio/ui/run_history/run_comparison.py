"""What comparing runs needs, without Qt: the settings that differ between runs, and their loss logs as CSV.

The differing-settings view is the lab report's controlled-variable table: when two runs differ only in batch size,
only the batch size row is shown.
"""

from __future__ import annotations

import csv
import io

from studio.core.configs import training_settings
from studio.core.formatting import format_value


#: (label, how to read it from a run summary), in the order the table shows them: the corpus, every setting the
#: core describes (``Setting.compare``; runs saved before a setting existed read as they trained), and the device and
#: precision the run actually used.
COMPARED_SETTINGS = (
    ("Corpus", lambda s: s.get("corpus", {}).get("name")),
    *((setting.about.label, setting.read) for setting in training_settings() if setting.about.compare),
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
