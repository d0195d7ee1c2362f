"""Does the studio's reader agree with abc2midi on the ABC collections music21 ships?

For every tune of every ABC file in music21's corpus (O'Neill's, Ryan's, Aird's, Essen, miscFolk, Nottingham,
Josquin), as ``split_tunes`` cuts a file (what ``evaluate`` and the window read), asks two judges:

- the studio: :func:`studio.core.abc.validate.validate_tune` and its ``structurally_valid`` (bar durations apart);
- abc2midi 4.84 (``abc2midi TUNE -c``, one temporary file per tune): an ``Error`` line means it cannot read the tune.

and prints per collection the share the studio calls structurally valid, the agreement with abc2midi on the tunes
abc2midi reads without an error (the studio must call them valid too: target >= 99%), the full confusion matrix, and
the disagreements by kind (the studio's problem kind or abc2midi's error message) with one example each.

abc2midi's verdicts are cached by tune text (``--cache``), so a second run only re-reads the tunes with the studio.

    PYTHONPATH=. .venv/bin/python bench/reader_agreement.py                  # every tune: a few minutes
    PYTHONPATH=. .venv/bin/python bench/reader_agreement.py --only airdsAirs miscFolk --examples 5
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from studio.core.abc.text import decode_abc_bytes, read_headers, split_tunes
from studio.core.abc.validate import STRUCTURAL_KINDS, validate_tune

#: abc2midi errors that concern no note: fields it does not know (Aird's ``I: :: ::``), free-text chord symbols, ties
#: used as slurs, its own limits on ``R:hornpipe``. A tune with only these is one "abc2midi reads the notes of".
NOTE_SAFE_ERRORS = ("I: key", "Guitar chord does not start", "Unrecognized chord name", "Hornpipe must be in",
                    "Could not find note to be tied", "Cannot find note before tie", "malformed Q: field")
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "reader_agreement_abc2midi.json"
_ERROR = re.compile(r"^Error in line-char \d+-\d+ : (.*)$", re.MULTILINE)
_NUMBERS = re.compile(r"\d+")


def collections() -> dict[str, list[Path]]:
    """music21's ABC files grouped by collection (the folder under ``corpus``)."""
    from music21 import corpus

    grouped: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(Path(p) for p in corpus.getCorePaths(fileExtensions=("abc",))):
        grouped[path.parts[path.parts.index("corpus") + 1]].append(path)
    return dict(grouped)


def abc2midi_errors(text: str, folder: Path) -> list[str]:
    """abc2midi's error messages for one tune (``-c``: check only; it writes barloc.txt into ``folder``)."""
    path = folder / "tune.abc"
    path.write_text(text + "\n", encoding="utf-8")
    try:
        done = subprocess.run(["abc2midi", str(path), "-c"], cwd=folder, capture_output=True, text=True,
                              errors="replace", timeout=30)
    except subprocess.TimeoutExpired:
        return ["timeout"]
    errors = _ERROR.findall(done.stdout + done.stderr)
    if done.returncode < 0:
        errors.append(f"crashed (signal {-done.returncode})")
    return errors


def _kind_of_error(message: str) -> str:
    return _NUMBERS.sub("N", message.strip())[:70]


def measure(names: list[str], cache_path: Path, examples: int) -> dict:
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for name, files in collections().items():
            if names and name not in names:
                continue
            counts: Counter = Counter()
            studio_only: Counter = Counter()  # abc2midi reads it, the studio calls it invalid: by studio problem
            abc2midi_only: Counter = Counter()  # the studio calls it valid, abc2midi errs: by abc2midi message
            studio_problems: Counter = Counter()  # every structural problem kind, over all tunes
            shown: dict[str, list[str]] = defaultdict(list)
            for file in files:
                for tune in split_tunes(decode_abc_bytes(file.read_bytes())):
                    tune_id = f"{file.stem}:{read_headers(tune).get('X', '?').strip()}"
                    key = hashlib.sha1(tune.encode("utf-8")).hexdigest()
                    if key not in cache:
                        cache[key] = abc2midi_errors(tune, folder)
                    errors = cache[key]
                    report = validate_tune(tune)
                    structural = [p for p in report.problems if p.kind in STRUCTURAL_KINDS]
                    studio_problems.update({p.kind for p in structural})
                    valid = not structural
                    counts["tunes"] += 1
                    counts["studio valid"] += valid
                    counts["abc2midi clean"] += not errors
                    counts["both valid"] += valid and not errors
                    counts["both invalid"] += not valid and bool(errors)
                    reads_notes = all(e.strip().startswith(NOTE_SAFE_ERRORS) for e in errors)
                    counts["abc2midi reads notes"] += reads_notes
                    counts["valid, notes read"] += valid and reads_notes
                    if not valid and not errors:
                        kind = structural[0].kind
                        studio_only[kind] += 1
                        if len(shown[kind]) < examples:
                            shown[kind].append(f"{tune_id} line {structural[0].line}: {structural[0].message}")
                    elif valid and errors:
                        kind = _kind_of_error(errors[0])
                        abc2midi_only[kind] += 1
                        if len(shown["abc2midi: " + kind]) < examples:
                            shown["abc2midi: " + kind].append(f"{tune_id}: {errors[0][:100]}")
            results[name] = {"counts": dict(counts), "studio_only": dict(studio_only),
                             "abc2midi_only": dict(abc2midi_only), "problems": dict(studio_problems),
                             "examples": dict(shown)}
            cache_path.write_text(json.dumps(cache))
    return results


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def print_results(results: dict) -> None:
    print(f"{'collection':20} {'tunes':>6} {'studio valid':>12} {'abc2midi clean':>14} {'agreement':>9} "
          f"{'both':>6} {'neither':>7} {'only studio':>11} {'only abc2midi':>13} {'reads notes':>11} {'agreement':>9}")
    total: Counter = Counter()
    for name, result in results.items():
        c = Counter(result["counts"])
        total.update(c)
        print(f"{name:20} {c['tunes']:6} {_percent(c['studio valid'], c['tunes']):>12} "
              f"{c['abc2midi clean']:14} {_percent(c['both valid'], c['abc2midi clean']):>9} {c['both valid']:6} "
              f"{c['both invalid']:7} {c['studio valid'] - c['both valid']:11} "
              f"{c['abc2midi clean'] - c['both valid']:13} {c['abc2midi reads notes']:11} "
              f"{_percent(c['valid, notes read'], c['abc2midi reads notes']):>9}")
    print(f"{'all':20} {total['tunes']:6} {_percent(total['studio valid'], total['tunes']):>12} "
          f"{total['abc2midi clean']:14} {_percent(total['both valid'], total['abc2midi clean']):>9} {'':44}"
          f"{total['abc2midi reads notes']:11} {_percent(total['valid, notes read'], total['abc2midi reads notes']):>9}")
    print("\nagreement = share of the tunes abc2midi reads without an error that the studio calls structurally valid;"
          "\nreads notes = tunes whose abc2midi errors concern no note (NOTE_SAFE_ERRORS), and the same agreement")
    for name, result in results.items():
        if not (result["studio_only"] or result["abc2midi_only"]):
            continue
        print(f"\n{name}:")
        print("  studio's structural problems (tunes): " + ", ".join(
            f"{k} {v}" for k, v in sorted(result["problems"].items(), key=lambda kv: -kv[1])))
        for kind, count in sorted(result["studio_only"].items(), key=lambda kv: -kv[1]):
            print(f"  abc2midi reads, studio refuses ({kind}): {count}")
            for example in result["examples"].get(kind, []):
                print(f"      {example}")
        for kind, count in sorted(result["abc2midi_only"].items(), key=lambda kv: -kv[1])[:8]:
            print(f"  studio reads, abc2midi errs ({kind}): {count}")
            for example in result["examples"].get("abc2midi: " + kind, [])[:2]:
                print(f"      {example}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=[], help="collections to measure (default: all)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="abc2midi verdicts by tune text")
    parser.add_argument("--examples", type=int, default=2, help="examples per kind of disagreement")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    start = time.perf_counter()
    results = measure(args.only, args.cache, args.examples)
    print_results(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
