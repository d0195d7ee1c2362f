"""MusicXML out: what the file holds, and MuseScore 3 (a real client, headless) reading the same notes back."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from fractions import Fraction

import pytest

from studio.core.engraving.musicxml import MusicXmlError, tune_musicxml, write_musicxml
from studio.core.engraving.musicxml_check import abc_notes, first_difference, musicxml_notes
from studio.core.engraving.notated_tune import split_length

#: Repeats, first and second endings, chord symbols, a triplet, a grace note, a tie, a tempo, a pickup.
TUNE = """X:1
T:The Test Jig
C:Trad.
M:6/8
L:1/8
Q:3/8=100
K:Em
B|:"Em"EFG "D"A2B|"Am7"(3cBA G {a}g2-g|1 "B7"f3 d2B:|2 "Em"e3 z2||
|:"G"GAB Md2c|[ce]BA G>AG|cBA G3:|
"""
MUSESCORE = shutil.which("mscore3")
needs_musescore = pytest.mark.skipif(MUSESCORE is None, reason="musescore3 is not installed (./studio.sh test "
                                                                "installs it; apt-get install musescore3)")


def _musescore(source, target):
    done = subprocess.run([MUSESCORE, "-o", str(target), str(source)], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert target.exists(), done.stderr[-2000:]
    return ET.parse(target).getroot()


def test_the_file_holds_title_meter_key_tempo_repeats_endings_and_chord_symbols():
    root = ET.fromstring(tune_musicxml(TUNE, "Generated: temperature 0.8"))
    assert root.findtext("movement-title") == "The Test Jig"
    assert root.findtext(".//creator[@type='composer']") == "Trad."
    assert (root.findtext(".//time/beats"), root.findtext(".//time/beat-type")) == ("6", "8")
    assert (root.findtext(".//key/fifths"), root.findtext(".//key/mode")) == ("1", "minor")
    assert root.find(".//sound").get("tempo") == "150"  # 3/8 = 100: 150 quarter notes a minute
    measures = root.findall(".//measure")
    assert measures[0].get("implicit") == "yes"  # the pickup
    assert [r.get("direction") for r in root.iter("repeat")] == ["forward", "backward", "forward", "backward"]
    assert [(e.get("number"), e.get("type")) for e in root.iter("ending")] == [
        ("1", "start"), ("1", "stop"), ("2", "start"), ("2", "discontinue")]
    assert [h.findtext("root/root-step") + (h.find("kind").get("text")) for h in root.iter("harmony")] == [
        "Em", "D", "Am7", "B7", "Em", "G"]
    assert [h.findtext("kind") for h in root.iter("harmony")][:3] == ["minor", "major", "minor-seventh"]
    assert len(root.findall(".//note/time-modification")) == 3 and len(root.findall(".//note/grace")) == 1
    assert [t.get("type") for t in root.iter("tie")] == ["start", "stop"]
    assert len(root.findall(".//note/chord")) == 1


def test_lengths_no_single_note_shows_are_tied_notes():
    assert split_length(Fraction(5, 2)) == [Fraction(2), Fraction(1, 2)]
    assert split_length(Fraction(3, 2)) == [Fraction(3, 2)]  # a dotted quarter is one note
    root = ET.fromstring(tune_musicxml("X:1\nT:Five\nM:5/8\nL:1/8\nK:C\nc5|\n"))
    assert [n.findtext("type") for n in root.iter("note")] == ["half", "eighth"]
    assert [t.get("type") for t in root.iter("tie")] == ["start", "stop"]


def test_a_tune_without_notes_is_refused_with_its_title():
    with pytest.raises(MusicXmlError, match="Silence"):
        tune_musicxml("X:1\nT:Silence\nK:C\n")


@needs_musescore
def test_musescore_reads_the_notes_repeats_endings_and_chords_we_wrote(tmp_path, oneills):
    tunes = [TUNE] + [t.text for t in oneills.tunes[:6]]
    for number, tune in enumerate(tunes):
        source = write_musicxml(tune, tmp_path / f"{number}.musicxml")
        back = tmp_path / f"{number}.back.musicxml"
        read = _musescore(source, back)
        assert first_difference(abc_notes(tune), musicxml_notes(back)) is None
        if number == 0:  # MuseScore kept the structure too, not only the notes
            assert [r.get("direction") for r in read.iter("repeat")] == ["forward", "backward", "forward",
                                                                         "backward"]
            assert {e.get("number") for e in read.iter("ending")} == {"1", "2"}
            assert len(read.findall(".//harmony")) == 6
            assert read.find(".//sound[@tempo]").get("tempo") == "150"


@needs_musescore
def test_musescore_opens_the_compressed_mxl(tmp_path):
    source = write_musicxml(TUNE, tmp_path / "jig.mxl")
    assert zipfile.is_zipfile(source)
    back = tmp_path / "back.musicxml"
    _musescore(source, back)
    assert musicxml_notes(back) == musicxml_notes(source) == abc_notes(TUNE)
