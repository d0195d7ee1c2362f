"""MuseScore 3 reads our MusicXML: agreement with the studio's reading, tune by tune, and each difference.

    python bench/musicxml_musescore.py [--oneills 200] [--book generated.abc] [--keep DIR]

Writes each tune as MusicXML (:mod:`studio.core.engraving.musicxml`), has MuseScore 3 open all of them in one batch job
(``mscore3 -j job.json``, headless) and write its own MusicXML back, then compares the notes MuseScore read with the
tokenizer's reading of the ABC (:mod:`studio.core.engraving.musicxml_check`). Prints the agreement per set and every tune
that differs with the first difference. Needs ``mscore3`` (Debian: ``apt-get install musescore3``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.core.abc.text import tune_title  # noqa: E402
from studio.core.engraving.musicxml import MusicXmlError, write_musicxml  # noqa: E402
from studio.core.engraving.musicxml_check import abc_notes, first_difference, musicxml_notes  # noqa: E402


def musescore_round_trip(tunes: list[str], folder: Path) -> list[tuple[str, str | None]]:
    """(title, None when MuseScore read the same notes, else the first difference) per tune."""
    job, written = [], []
    for number, tune in enumerate(tunes):
        source, back = folder / f"{number:04d}.musicxml", folder / f"{number:04d}.back.musicxml"
        try:
            write_musicxml(tune, source)
        except MusicXmlError as exc:
            written.append((tune, None, str(exc)))
            continue
        job.append({"in": str(source), "out": str(back)})
        written.append((tune, back, None))
    (folder / "job.json").write_text(json.dumps(job))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    subprocess.run(["mscore3", "-j", str(folder / "job.json")], env=env, capture_output=True, timeout=3600)
    results = []
    for tune, back, problem in written:
        title = tune_title(tune, "untitled")
        if problem is None and not back.exists():
            problem = "MuseScore wrote nothing back (it could not open the file)"
        if problem is None:
            problem = first_difference(abc_notes(tune), musicxml_notes(back))
        results.append((title, problem))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--oneills", type=int, default=200, help="the first N tunes of O'Neill's (0: none)")
    parser.add_argument("--book", action="append", default=[], help="an .abc tune book to check too")
    parser.add_argument("--keep", help="keep the files in this folder")
    args = parser.parse_args()
    if shutil.which("mscore3") is None:
        print("nothing measured: mscore3 is not installed (apt-get install musescore3)")
        return 0
    sets = []
    if args.oneills:
        from studio.core.corpus import load_corpus

        sets.append(("O'Neill's", [t.text for t in load_corpus("oneills1850").tunes[: args.oneills]]))
    from studio.core.tune_book import read_tune_book

    sets += [(Path(book).name, read_tune_book(book)) for book in args.book]
    for name, tunes in sets:
        folder = Path(args.keep or tempfile.mkdtemp(prefix="mxl-")) / name.replace("'", "").replace(" ", "-")
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        results = musescore_round_trip(tunes, folder)
        same = sum(1 for _, problem in results if problem is None)
        print(f"{name}: MuseScore read the same notes as the studio in {same} of {len(results)} tunes "
              f"({100 * same / max(1, len(results)):.1f}%), {time.perf_counter() - started:.0f} s")
        for number, (title, problem) in enumerate(results, 1):
            if problem:
                print(f"  #{number} {title}: {problem}")
        if not args.keep:
            shutil.rmtree(folder.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
