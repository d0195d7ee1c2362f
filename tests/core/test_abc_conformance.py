"""ABC 2.1 as real collections write it: the conformance table of the reader (``studio.core.abc``).

Each row is a short tune in one spelling and its plain twin (the same music in the plainest ABC). The spelling must
read as structurally valid with every bar right, play the same notes and lengths as the twin, and the twin must play
what music21 reads in it; abc2midi (Debian's abcmidi, an independent judge) must report no error in the spelling,
except where a row says abc2midi refuses it. Below, the real mistakes that must stay problems, located and named.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support import abc2midi_output
from studio.core.abc.lexer import plain_spellings
from studio.core.abc.meaning import music21_note_sequence, music21_sounding_notes, sounding_notes
from studio.core.abc.validate import validate_tune

HEAD = "X:1\nT:row\nM:4/4\nL:1/8\nK:D\n"
PLAIN = HEAD + "|:abcd efga|bagf edcB:|\n"

#: construct -> (tune written with it, its plain twin, whether abc2midi reads it without an error)
TABLE = {
    "back quotes between beamed notes": (HEAD + "|:a`b`c`d e``fga|bagf edcB:|\n", PLAIN, True),
    "! at the end of music lines": (HEAD + "|:abcd efga|!\nbagf edcB:|!\n", PLAIN, True),
    "! mid-line, not closed before a space": (HEAD + "|:abcd efga|!bagf edcB:|\n", PLAIN, False),
    "!trill! and !D.C.! decorations": (HEAD + "|:!trill!abcd efga|bagf edcB!D.C.!:|\n", PLAIN, True),
    "I:linebreak ! (every ! a line break)": (HEAD.replace("K:D", "I:linebreak !\nK:D")
                                             + "|:abcd!efga|!bagf edcB:|\n", PLAIN, False),
    "+trill+ decorations (ABC 2.0)": (HEAD + "|:+trill+abcd efga|bagf +fermata+edcB:|\n", PLAIN, True),
    "K:D Major, spelled-out mode": (HEAD.replace("K:D", "K:D Major") + "|:abcd efga|bagf edcB:|\n", PLAIN, True),
    "K:E Dorian = K:D's signature": ("X:1\nT:row\nM:4/4\nL:1/8\nK:E Dorian\n|:abcd efga|bagf edcB:|\n", PLAIN, True),
    "M:C| cut time": ("X:1\nT:row\nM:C|\nL:1/8\nK:D\n|:abcd efga|bagf edcB:|\n",
                      "X:1\nT:row\nM:2/2\nL:1/8\nK:D\n|:abcd efga|bagf edcB:|\n", True),
    "inline [K:] [M:] [L:] [P:]": (HEAD + "[P:A]|:abcd efga|[M:4/4][L:1/4][K:D]b/a/g/f/ e/d/c/B/:|\n", PLAIN, True),
    "\\ line continuation": (HEAD + "|:abcd efga|\\\nbagf edcB:|\n", PLAIN, True),
    "%% directives and % comments anywhere": (HEAD + "%%MIDI program 73\n|:abcd efga|% first bar\n"
                                              "bagf edcB:|\n", PLAIN, True),
    "[1 [2 endings and :|] |]": (HEAD + "|:abcd efga|[1 bagf edcB:|][2 bagf edcB|]\n",
                                 HEAD + "|:abcd efga|1 bagf edcB:|2 bagf edcB|]\n", True),
    "[| :: start and double repeats": (HEAD + "[|abcd efga::bagf edcB:|\n", HEAD + "|abcd efga:|:bagf edcB:|\n",
                                       True),
    "[: and :] repeats (abc2midi's)": (HEAD + "[:abcd efga|bagf edcB:]\n", PLAIN, True),
    "y spacers": (HEAD + "|:abcd y efga|bagf y2edcB:|\n", PLAIN, True),
    "chord symbols with free text, annotations": (HEAD + '|:"Am7"abcd "^Fine"efga|"_below"bagf "@1,2 x"edcB:|\n',
                                                  PLAIN, True),
    "[|] invisible bar line (abc2midi: chord already finished)": (HEAD + "|:abcd efga[|]bagf edcB:|\n", PLAIN, False),
}


@pytest.mark.parametrize("construct", list(TABLE))
def test_a_spelling_reads_as_its_plain_twin(construct):
    written, twin, _ = TABLE[construct]
    report = validate_tune(written)
    assert report.problems == [], construct
    assert report.bars_checked >= 1
    assert sounding_notes(written) == sounding_notes(twin) != []
    assert sounding_notes(plain_spellings(written)) == sounding_notes(written)


def test_the_plain_twins_play_what_music21_reads():
    twins = sorted({twin for _, twin, _ in TABLE.values()})
    for twin in twins:
        assert music21_sounding_notes(music21_note_sequence(twin)) == sounding_notes(twin), twin


@pytest.mark.skipif(shutil.which("abc2midi") is None, reason="abc2midi (Debian's abcmidi) is not installed")
@pytest.mark.parametrize("construct", list(TABLE))
def test_abc2midi_reads_the_spellings_it_accepts(construct, tmp_path):
    written, _, accepted = TABLE[construct]
    path = tmp_path / "tune.abc"
    path.write_text(written, encoding="utf-8")
    out = abc2midi_output(path)
    assert ("Error" not in out) == accepted, out


#: real mistakes -> (tune, problem kind, line, column of the mark)
MISTAKES = {
    "unclosed slur": (HEAD + "|:(abcd efga|bagf edcB:|\n", "unclosed_slur", 6, 2),
    "stray slur end": (HEAD + "|:abcd efga)|bagf edcB:|\n", "stray_slur", 6, 11),
    "bar too long": (HEAD + "|:abcd efga|bagf edcBa:|\n", "bar_duration", 6, 22),
    "absurd length": (HEAD + "|:a99999bcd efga|bagf edcB:|\n", "absurd_length", 6, 2),
    "garbage": (HEAD + "|:abcd $$ efga|bagf edcB:|\n", "unknown_symbol", 6, 7),
    "undefined symbol letter (abcm2ps: bad character)": (HEAD + "|:Uabcd efga|bagf edcB:|\n", "unknown_symbol", 6, 2),
    "quoted-printable =20 left in the text": (HEAD + "|:abcd efga|bagf edcB:|=20\n", "unknown_symbol", 6, 23),
    "decoration split by a colon is a line break, then letters": (HEAD + "|:!fermat:a!bcd efga|bagf edcB:|\n",
                                                                   "unknown_symbol", 6, 5),
    "unclosed chord": (HEAD + "|:[abcd efga|bagf edcB:|\n", "unclosed_chord", 6, 2),
    "unclosed quote": (HEAD + '|:"Am abcd efga|bagf edcB:|\n', "unclosed_quote", 6, 2),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_real_mistakes_stay_problems_named_at_their_place(mistake):
    text, kind, line, column = MISTAKES[mistake]
    found = [p for p in validate_tune(text).problems if p.kind == kind]
    assert found, mistake
    assert (found[0].line, found[0].column) == (line, column), found[0]
    assert found[0].message


def test_airds_airs_read_as_valid_as_abcm2ps_reads_them():
    """Aird's airs (music21's copy, 1,180 tunes, back quotes in beams): at least 97% structurally valid (73% before
    back quotes were read)."""
    from music21 import corpus

    from studio.core.abc.text import decode_abc_bytes, split_tunes

    files = [Path(p) for p in corpus.getCorePaths(fileExtensions=("abc",)) if "airdsAirs" in str(p)]
    tunes = [t for f in files for t in split_tunes(decode_abc_bytes(f.read_bytes()))]
    valid = sum(validate_tune(t).structurally_valid for t in tunes)
    assert len(tunes) > 1000 and valid / len(tunes) >= 0.97
