"""Does a score program read our MusicXML as the studio reads the ABC? Both readings as one list, and the first
difference in words (the MuseScore round trip of ``tests/core/test_musicxml.py`` and ``bench/musicxml_musescore.py``).

Both readings are (MIDI pitch or None for a rest, length in quarter notes) per sounding note and rest, repeats as
written, a chord's pitches low to high, grace notes left out, and a note tied to the next note of the same pitch
counted once with both lengths (a tie between two pitches is a slur in folk ABC). The ABC side comes from the
tokenizer alone (:func:`studio.core.abc.tokenizer.scan_tune`), not from the MusicXML writer, so the check is
independent of the code it checks.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from fractions import Fraction
from pathlib import Path

from studio.core.abc.tokenizer import scan_tune

_STEP = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def _add(items: list, pitches: tuple, quarters: Fraction, tied_before: bool) -> None:
    if tied_before and items and len(pitches) == 1 and items[-1][0] == pitches:
        items[-1] = (pitches, items[-1][1] + quarters)
    else:
        items.append((pitches, quarters))


def _flat(items: list) -> list[tuple]:
    return [(pitch, quarters) for pitches, quarters in items for pitch in (sorted(pitches) or [None])]


def abc_notes(text: str) -> list[tuple]:
    """The tokenizer's reading of one tune (see the module docstring)."""
    items: list = []
    chord: list = []
    in_chord = tied = False
    for token in scan_tune(text).tokens:
        kind = token.kind
        if kind == "chord_start":
            in_chord, chord = True, []
        elif kind == "chord_end":
            if in_chord and chord:
                _add(items, tuple(t.pitch for t in chord), chord[0].duration * 4, tied)
                tied = False
            in_chord = False
        elif kind == "note" and in_chord:
            chord.append(token)
        elif kind in ("note", "rest"):
            _add(items, (token.pitch,) if kind == "note" else (), token.duration * 4, tied)
            tied = False
        elif kind == "tie":
            tied = True
    return _flat(items)


def musicxml_notes(path: str | Path) -> list[tuple]:
    """A MusicXML file's reading (``.musicxml`` or ``.mxl``; the first part, every voice in document order)."""
    path = Path(path)
    if path.suffix.lower() == ".mxl":
        with zipfile.ZipFile(path) as archive:
            container = ET.fromstring(archive.read("META-INF/container.xml"))
            inner = container.find(".//rootfile").get("full-path")
            root = ET.fromstring(archive.read(inner))
    else:
        root = ET.parse(path).getroot()
    items: list = []
    divisions = 1
    tied_from: set = set()
    part = root.find("part")
    for measure in part.iter("measure") if part is not None else ():
        for element in measure:
            if element.tag == "attributes" and element.find("divisions") is not None:
                divisions = int(element.find("divisions").text)
            if element.tag != "note" or element.find("grace") is not None:
                continue
            pitch = element.find("pitch")
            midi = None
            if pitch is not None:
                alter = pitch.find("alter")
                midi = (12 * (int(pitch.find("octave").text) + 1) + _STEP[pitch.find("step").text]
                        + round(float(alter.text) if alter is not None else 0))
            quarters = Fraction(int(element.find("duration").text), divisions)
            ties = {tie.get("type") for tie in element.findall("tie")}
            if element.find("chord") is not None and items:
                items[-1] = (items[-1][0] + (midi,), items[-1][1])
            else:
                _add(items, (midi,) if midi is not None else (), quarters, "stop" in ties and midi in tied_from)
            tied_from = {midi} if "start" in ties else set()
    return _flat(items)


def first_difference(ours: list[tuple], theirs: list[tuple]) -> str | None:
    """None when both readings agree, else where and how they first differ, in words."""
    if ours == theirs:
        return None
    index = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    mine = ours[index] if index < len(ours) else "nothing"
    other = theirs[index] if index < len(theirs) else "nothing"
    return (f"note {index + 1} of {len(ours)}: the ABC has {_describe(mine)}, the MusicXML read back has "
            f"{_describe(other)} ({len(theirs)} notes)")


def _describe(item) -> str:
    if isinstance(item, str):
        return item
    pitch, quarters = item
    return f"{'a rest' if pitch is None else f'pitch {pitch}'} of {quarters} quarter"
