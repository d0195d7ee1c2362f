"""Does the canonical (and melody) text mean the same music as the raw text, on every built-in tune?

For each tune of the built-in collections (as ``load_corpus`` cleans them), reads the note sequence (pitch,
duration, bar) of the raw, canonical and melody texts through the studio's tokenizer and through music21, and counts
the tunes whose sequences differ (target: 0 for canonical; melody is compared without grace notes, since those are
what it drops). Also prints the characters per collection at each level and the ratio to raw.

    PYTHONPATH=. .venv/bin/python bench/canonical_check.py                # every tune: ~10 min on one core
    PYTHONPATH=. .venv/bin/python bench/canonical_check.py --limit 50     # the first 50 tunes per collection
    PYTHONPATH=. .venv/bin/python bench/canonical_check.py --every 8      # every 8th tune
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from studio.core.abc.canonical import normalise_tune
from studio.core.abc.meaning import (
    music21_note_sequence,
    music21_sounding_notes,
    note_sequence,
    sounding_notes,
    without_grace_notes,
)
from studio.core.corpus import load_corpus

COLLECTIONS = ("oneills1850", "ryansMammoth", "airdsAirs")


def _music21(text: str, grace_notes: bool = True):
    try:
        sequence = music21_note_sequence(text)
        return sequence if grace_notes else without_grace_notes(sequence)
    except Exception as exc:  # noqa: BLE001 - music21 failing is one of the outcomes we count
        return f"error: {type(exc).__name__}"


def _pitches(sequence) -> list | str:
    return sequence if isinstance(sequence, str) else [pitch for pitch, _ in music21_sounding_notes(sequence)]


def _reads_as_tokenizer(reading, raw_text: str) -> bool:
    """Whether music21's reading of a rewritten text plays what the tokenizer reads in the raw text."""
    return not isinstance(reading, str) and music21_sounding_notes(reading) == sounding_notes(raw_text)


def check_collection(name: str, limit: int | None, use_music21: bool, every: int = 1, offset: int = 0) -> dict:
    tunes = load_corpus(name).tunes[:limit][offset::every]
    counts: Counter = Counter()
    examples: dict[str, list[str]] = {}
    chars = Counter()
    for done, tune in enumerate(tunes):
        if done and done % 50 == 0:
            print(f"  {name}: {done} tunes: {dict(counts)}", flush=True)
        canonical = normalise_tune(tune.text, "canonical")
        melody = normalise_tune(tune.text, "melody")
        chars["raw"] += len(tune.text)
        chars["canonical"] += len(canonical.text)
        chars["melody"] += len(melody.text)
        counts["canonical kept raw"] += canonical.kept_raw
        counts["melody kept raw"] += melody.kept_raw
        outcomes = {
            "tokenizer canonical": note_sequence(tune.text) != note_sequence(canonical.text),
            "tokenizer melody": note_sequence(tune.text, False) != note_sequence(melody.text, False),
        }
        if use_music21:
            raw_all = _music21(tune.text)
            raw_melody = raw_all if isinstance(raw_all, str) else without_grace_notes(raw_all)
            canonical_reading = _music21(canonical.text)
            outcomes["music21 canonical"] = raw_all != canonical_reading
            # music21 misreads some raw texts that the canonical text spells differently (a note before "::")
            counts["music21 canonical, raw misread by music21"] += outcomes["music21 canonical"] and _reads_as_tokenizer(
                canonical_reading, tune.text)
            melody_reading = _music21(melody.text, False)
            outcomes["music21 melody"] = raw_melody != melody_reading
            # where music21 reads the melody text as the tokenizer reads the raw text, music21 misread the raw one
            # (it drops a broken rhythm written beside a slur or a staccato dot, e.g. "A>).G")
            counts["music21 melody, raw misread by music21"] += outcomes["music21 melody"] and _reads_as_tokenizer(
                melody_reading, tune.text)
            counts["music21 melody, same pitches"] += outcomes["music21 melody"] and _pitches(
                melody_reading) == _pitches(raw_melody)
            counts["music21 fails on raw"] += isinstance(raw_all, str)
        for what, differs in outcomes.items():
            counts[what] += differs
            if differs:
                examples.setdefault(what, []).append(tune.id)
    return {"tunes": len(tunes), "counts": counts, "examples": examples, "chars": chars}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="tunes per collection (default: all)")
    parser.add_argument("--no-music21", action="store_true", help="the tokenizer check only (seconds, not minutes)")
    parser.add_argument("--collections", default=",".join(COLLECTIONS))
    parser.add_argument("--every", type=int, default=1, help="check every Nth tune only (default: every tune)")
    parser.add_argument("--offset", type=int, default=0, help="with --every: start at this tune (default 0)")
    args = parser.parse_args()
    results = {}
    for name in args.collections.split(","):
        start = time.perf_counter()
        results[name] = check_collection(name, args.limit, not args.no_music21, args.every, args.offset)
        print(f"{name}: {results[name]['tunes']} tunes checked in {time.perf_counter() - start:.0f} s: "
              f"{dict(results[name]['counts'])} {dict(results[name]['chars'])}", flush=True)
    kinds = ["canonical kept raw", "melody kept raw", "tokenizer canonical", "tokenizer melody"]
    if not args.no_music21:
        kinds += ["music21 canonical", "music21 canonical, raw misread by music21", "music21 melody",
                  "music21 melody, raw misread by music21",
                  "music21 melody, same pitches", "music21 fails on raw"]
    print("\nTunes whose note sequence (pitch, duration, bar) differs from the raw text's "
          "(melody compared without grace notes):\n")
    print("| collection | tunes | " + " | ".join(kinds) + " |")
    print("|---|---|" + "---|" * len(kinds))
    for name, result in results.items():
        print(f"| {name} | {result['tunes']:,} | " + " | ".join(str(result["counts"][k]) for k in kinds) + " |")
    print("\nCharacters of the tune texts (sum over tunes) and ratio to raw:\n")
    print("| collection | raw | canonical | melody | canonical/raw | melody/raw |")
    print("|---|---|---|---|---|---|")
    for name, result in results.items():
        chars = result["chars"]
        print(f"| {name} | {chars['raw']:,} | {chars['canonical']:,} | {chars['melody']:,} | "
              f"{chars['canonical'] / chars['raw']:.3f} | {chars['melody'] / chars['raw']:.3f} |")
    for name, result in results.items():
        for what, ids in result["examples"].items():
            print(f"{name} {what}: {len(ids)} e.g. {', '.join(ids[:8])}")


if __name__ == "__main__":
    main()
