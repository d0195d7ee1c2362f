"""What comes before a note, written as the standard writes it: real tunes that write a bowing before its slur
(``u(AG)``) or a fingering bare (``"4"``) read the same notes after the canonical rewrite, and abc2midi no longer
refuses them; chord symbols and placed annotations are left alone."""

from __future__ import annotations

import re

import pytest

from studio.core.abc.canonical import canonical_tune, normalise_tune
from studio.core.abc.meaning import note_sequence
from studio.core.abc.note_prefixes import placed_annotation
from studio.core.corpus import load_corpus
from tests.support import abc2midi_complaints

HEADER = "X:1\nM:2/4\nL:1/8\nK:D\n"
#: A decoration right before a slur, a tuplet, a grace group or a quoted string: what abc2midi calls malformed.
DECORATION_BEFORE_PREFIX = re.compile(r"(?<![\"!A-Za-z])[uv~.HT][({\"]")


def refusals(complaints: list[str]) -> int:
    """abc2midi's complaints about a decoration away from its note or free text taken for a chord."""
    return sum(c.startswith(("Malformed note", "Guitar chord does not start", "Unrecognized chord name"))
               for c in complaints)


def body(text: str) -> str:
    return canonical_tune(HEADER + text + "\n").split("\n")[-1]


@pytest.mark.parametrize("written, canonical", [
    ("u(AB) c2|", "(uAB)c2|"),
    ("v(3ABc B|", "(3vABc B|"),
    ("~{g}A B3|", "{g}~AB3|"),
    ('u"G"A B3|', '"G"uAB3|'),
    ("~u(AB) c2|", "(~uAB)c2|"),
    ("u(.c2 d2|", "(.uc2d2|"),
    ("!roll!(AB) c2|", "(!roll!AB)c2|"),
    ("u (AB) c2|", "(uAB)c2|"),
])
def test_a_decoration_moves_to_stand_right_before_its_note(written, canonical):
    assert body(written) == canonical
    assert note_sequence(HEADER + canonical) == note_sequence(HEADER + written)


def test_a_decoration_before_a_bar_line_or_at_the_end_stays():
    assert body("A2 u| B3|") == "A2u|B3|"
    assert body("A2 B2|u") == "A2B2|u"


@pytest.mark.parametrize("quoted, placed", [
    ('"p"', '"^p"'), ('"4"', '"^4"'), ('"D.C."', '"^D.C."'), ('"fine"', '"^fine"'),
    ('"G"', '"G"'), ('"Em7"', '"Em7"'), ('"D/F#"', '"D/F#"'), ('"^rall."', '"^rall."'), ('"_4"', '"_4"'),
    ('"<(1)"', '"<(1)"'),
])
def test_free_text_in_quotes_is_placed_above_and_chords_stay(quoted, placed):
    assert placed_annotation(quoted) == placed


def test_ryans_tunes_with_bowings_and_fingerings_read_the_same_notes_and_abc2midi_takes_them(tmp_path):
    tunes = [t for t in load_corpus("ryansMammoth").tunes if re.search(r"u\(|\"[0-9p]\"", t.text)]
    assert len(tunes) > 50
    checked = refused_before = refused_after = 0
    for tune in tunes[::10]:
        rewrite = normalise_tune(tune.text, "canonical")
        if rewrite.kept_raw:
            continue
        assert rewrite.changes["decorations moved to their note"] + rewrite.changes["annotations placed"] > 0, tune.id
        assert not DECORATION_BEFORE_PREFIX.search(rewrite.text.split("K:", 1)[1]), tune.id
        assert note_sequence(rewrite.text) == note_sequence(tune.text), tune.id
        assert normalise_tune(rewrite.text, "canonical").text == rewrite.text, tune.id
        before, after = (refusals(abc2midi_complaints(text, tmp_path)) for text in (tune.text, rewrite.text))
        assert after <= before, (tune.id, before, after)  # some tunes also use decorations abc2midi lacks (Ryan's k)
        refused_before, refused_after, checked = refused_before + before, refused_after + after, checked + 1
    assert checked > 5 and refused_after < refused_before / 2, (checked, refused_before, refused_after)
