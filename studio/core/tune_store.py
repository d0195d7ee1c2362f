"""The Generate tab's tunes kept on disk: every tune with the settings that made it, the selection and the open tune
book, in one JSON file in the user's data folder, written atomically and read back at the next start.

The caller debounces (the window saves about half a second after the last change and on close). A store file that
cannot be read is set aside (renamed ``tunes.json.corrupt-N``) and the list starts empty with a message; it never
stops the window from opening. ``tune_opening`` gives the start of a tune that the model can continue from.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from studio.core.atomic_files import write_json_atomic
from studio.core.paths import data_home
from studio.core.runs import Run
from studio.core.tune_book import StoredTune, write_tune_book

STORE_NAME = "tunes.json"
STORE_VERSION = 1


@dataclass
class TuneListState:
    """What the window restores: the tunes, the current row, the selected rows and the open tune book (if any)."""

    tunes: list[StoredTune] = field(default_factory=list)
    current: int = -1
    selected: list[int] = field(default_factory=list)
    book_path: str = ""
    book_modified: bool = False


@dataclass
class LoadedTuneList:
    """``state`` read from the store; ``message`` says what went wrong (empty when nothing did)."""

    state: TuneListState
    message: str = ""


def store_path() -> Path:
    """``<data folder>/tunes.json`` (``ABC_STUDIO_HOME`` moves the data folder)."""
    return data_home() / STORE_NAME


def save_tune_list(state: TuneListState, path: Path | None = None) -> Path:
    """Writes ``state`` atomically (temporary file, flush, fsync, rename); returns the path."""
    path = Path(path) if path else store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = asdict(state)
    data["version"] = STORE_VERSION
    write_json_atomic(path, data)
    return path


def _state_from(data) -> TuneListState:
    if not isinstance(data, dict) or not isinstance(data.get("tunes"), list):
        raise ValueError("not a tune list")
    tunes = [StoredTune.from_dict(t) for t in data["tunes"]]
    current = data.get("current", -1)
    current = current if isinstance(current, int) and 0 <= current < len(tunes) else (len(tunes) - 1)
    selected = [r for r in data.get("selected", []) if isinstance(r, int) and 0 <= r < len(tunes)]
    return TuneListState(tunes, current, selected, str(data.get("book_path") or ""),
                         bool(data.get("book_modified", False)))


def set_aside(path: Path) -> Path:
    """Renames an unreadable store to ``<name>.corrupt-N`` (the first N free) and returns the new path."""
    number = 1
    while (target := path.with_name(f"{path.name}.corrupt-{number}")).exists():
        number += 1
    path.rename(target)
    return target


def load_tune_list(path: Path | None = None) -> LoadedTuneList:
    """The stored tune list; empty when there is none. A corrupt store is set aside with a message, never raised."""
    path = Path(path) if path else store_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return LoadedTuneList(TuneListState())
    except OSError as exc:
        return LoadedTuneList(TuneListState(), f"Could not read the saved tunes ({path}): {exc.strerror or exc}")
    try:
        return LoadedTuneList(_state_from(json.loads(raw.decode("utf-8"))))
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        try:
            kept = set_aside(path)
        except OSError as rename_error:
            return LoadedTuneList(TuneListState(), f"The saved tunes in {path} are damaged ({exc}) and could not "
                                                   f"be set aside: {rename_error}")
        return LoadedTuneList(TuneListState(), f"The saved tunes in {path} were damaged ({exc}); the file was kept "
                                               f"as {kept.name} and the list starts empty.")


_HEADER = re.compile(r"^[A-Za-z]:")
_BAR = re.compile(r"\|[:\]|]?|:\|")


def tune_opening(text: str, bars: int = 2) -> str:
    """The header lines of ``text`` up to its ``K:`` line, then its first ``bars`` bars of music (the primer that
    continues the tune). A tune without a ``K:`` line is returned as it is up to its first ``bars`` bars."""
    lines = text.replace("\r\n", "\n").split("\n")
    head: list[str] = []
    body_start = 0
    for number, line in enumerate(lines):
        if _HEADER.match(line) or line.startswith("%"):
            if not line.startswith("%"):
                head.append(line)
            body_start = number + 1
            if line.startswith("K:"):
                break
        else:
            break
    body = "\n".join(lines[body_start:])
    ends = [match.end() for match in _BAR.finditer(body)]
    cut = ends[bars - 1] if len(ends) >= bars else len(body)
    if ends and body[:ends[0]].strip() in {"|:", "|", "||"}:  # a leading repeat sign is no bar
        cut = ends[bars] if len(ends) > bars else len(body)
    opening = body[:cut]
    return "\n".join(head) + "\n" + opening if head else opening


def keep_in_run(model_path: str | Path, tunes: list) -> Path | None:
    """Writes ``tunes`` (``GeneratedTune``s) as a tune book into the ``samples/`` folder of the run whose
    checkpoint ``model_path`` is (``<run>/checkpoints/*.pt``); None for a model that belongs to no run."""
    from datetime import datetime

    model = Path(model_path)
    if not tunes or model.parent.name != "checkpoints" or not (model.parent.parent / "run.json").is_file():
        return None
    first = tunes[0]
    label = f"{datetime.now():%Y%m%d-%H%M%S}-t{first.temperature:g}-seed{first.seed}-n{len(tunes)}"
    return Run(model.parent.parent).save_samples(write_tune_book(tunes), label)


def tune_problems(texts: list[str]) -> list[str]:
    """For each tune, ``""`` when the validator finds nothing, else how many problems and the first one
    (``"3 problem(s); line 7, column 4: ..."``). About 7 ms a tune: run it off the GUI thread for a book."""
    from studio.core.abc.validate import validate_tune

    summaries = []
    for text in texts:
        try:
            problems = validate_tune(text).problems
        except Exception as exc:  # a validator bug marks the tune instead of losing the book
            summaries.append(f"could not be checked: {exc}")
            continue
        first = problems[0] if problems else None
        summaries.append(f"{len(problems)} problem(s); line {first.line}, column {first.column + 1}: "
                         f"{first.message}" if first else "")
    return summaries
