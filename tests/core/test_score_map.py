"""Clicking an engraved note selects the ABC characters that spell it: real verovio, 50 O'Neill's tunes."""

import re

from studio.core.abc.lexer import lex
from studio.core.engraving.score_map import ScoreMap

#: verovio writes each note's pitch name and octave into the SVG when asked (independent of the timemap).
PITCHED = {"svgAdditionalAttribute": ["note@pname", "note@oct"]}
_NOTE = re.compile(r'<g id="([^"]+)" class="note"[^>]*?data-pname="([a-g])"[^>]*?data-oct="(\d)"')


def spelled(text: str) -> tuple[str, int] | None:
    """(pitch name, octave) of an ABC note token, e.g. "^c'2" -> ("c", 6); None when the text is no one note."""
    pieces = list(lex(text))
    if len(pieces) != 1 or pieces[0][0] != "note":
        return None
    letter = re.search(r"[A-Ga-g]", text).group()
    return letter.lower(), (5 if letter.islower() else 4) + text.count("'") - text.count(",")


def test_clicking_each_note_of_50_tunes_selects_the_characters_that_spell_it(oneills, renderer):
    engraved = mapped = tunes = 0
    for tune in oneills.tunes:
        if tunes == 50:
            break
        rendering = renderer.render(tune.text, options=PITCHED, pages_only=True)
        if not rendering.ok:
            continue
        tunes += 1
        score = ScoreMap(tune.text, rendering.pages)
        for note_id, name, octave in _NOTE.findall("".join(rendering.pages)):
            engraved += 1
            where = score.range_of(note_id)
            if where is None:
                continue
            mapped += 1
            assert spelled(tune.text[slice(*where)]) == (name, int(octave)), (tune.id, note_id, where)
            assert note_id in score.ids_in(*where)
    assert tunes == 50 and mapped == engraved, (mapped, engraved)  # every engraved note can be clicked
