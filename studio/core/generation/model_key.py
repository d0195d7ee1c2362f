"""Composing with a model that learnt every tune in one key: the tune is read in that key, the new bars come back in
the tune's own; a key asked for in the primer is written in the model's key and the finished tunes moved to it.

A model trained with one tonic (``TrainConfig.tonic``, e.g. D) has read every tune written with that tonic; a tune
in G is, to it, a tune in a key it never learnt to continue. Regenerating bars or writing a new strain
(:mod:`~studio.core.generation.regenerate`, :mod:`~studio.core.generation.new_strain`) therefore moves the tune into
the model's key first (:func:`~studio.core.abc.key_moves.shift_to_tonic`: mode kept, within the playable range),
samples and ranks there, and writes each candidate's new text back in the tune's key: the candidate tune moved back
must read as the tune as written around the new text (so only the new bars are taken from it), else the candidate
is dropped. The likelihoods and ranking are the model's, read in its key. A tune already in the model's key, one
without a readable key and a model of tunes in their own keys are read as written.

The inspector reads a tune as written (its chart follows the text on screen); :func:`inspect_as_written` adds
:meth:`ModelKey.reading_note` to the inspection when that text is in a key the model never learnt to read.

Generating (:meth:`~studio.core.generation.sampling.Sampler.sample`) with a primer that asks for a key (the Generate
tab's Key, ``K:G`` in ``--primer``): the primer's ``K:`` is moved into the model's key (the nearer way: G major to D
major, E minor to D minor), the model writes there, and each finished tune is moved back to the key asked, in the
octave that keeps it in the playable range. Without a key in the primer the model writes in its own, and each
finished tune is moved to a key drawn as the model's training tunes were written in the mode it chose
(:func:`in_a_corpus_key`: the keys its checkpoint keeps; a reel in D major goes to G major as often as its corpus
writes major tunes in G), the draw seeded by the tune's seed. A model whose checkpoint keeps no keys (trained before
they were kept) leaves its tunes in its own key.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from studio.core.abc.key_moves import fitting_shift, in_tonic, nearer_way_to_tonic, pitch_span, shift_to_tonic
from studio.core.abc.keys import read_key
from studio.core.abc.tokenizer import scan_tune
from studio.core.abc.transpose import transpose_abc
from studio.core.network.inspection import TextInspection, inspect_text


@dataclass(frozen=True)
class ModelKey:
    """How a tune is moved for a model: ``shift`` semitones into the model's ``tonic`` (0: read as written)."""

    tonic: str
    shift: int = 0

    @classmethod
    def for_tune(cls, sampler, text: str) -> "ModelKey":
        """The move of ``text`` into ``sampler``'s key (none for a model of tunes in their own keys)."""
        tonic = getattr(sampler, "tonic", "written")
        if tonic == "written":
            return cls(tonic)
        return cls(tonic, shift_to_tonic(text, tonic) or 0)

    @classmethod
    def for_primer(cls, sampler, primer: str) -> "ModelKey":
        """The move of a primer's ``K:`` into ``sampler``'s key, the nearer way (a primer has few notes or none, so
        the range is the finished tune's to keep: :meth:`tune_back`)."""
        tonic = getattr(sampler, "tonic", "written")
        if tonic == "written":
            return cls(tonic)
        return cls(tonic, nearer_way_to_tonic(primer, tonic) or 0)

    def tune_back(self, text: str) -> str:
        """A tune the model wrote in its key, moved back to the key asked: the octave that keeps it in the
        playable range (the nearer way when none does)."""
        shift = fitting_shift(pitch_span(text), -self.shift)
        return transpose_abc(text, -self.shift if shift is None else shift)

    @property
    def moves(self) -> bool:
        return self.shift != 0

    def reading_note(self) -> str:
        """For the inspector, which reads a tune as written: what a tune outside the model's key means ("" when it
        is in it, or the model learnt tunes in their own keys)."""
        if not self.moves:
            return ""
        return (f"This model learnt every tune in {self.tonic}: it reads this tune as one in a key it never learnt. "
                f"Transpose the text by {self.shift:+d} semitones to see what it expects in {self.tonic}.")

    def into(self, text: str) -> str:
        """``text`` in the model's key."""
        return transpose_abc(text, self.shift) if self.shift else text

    def back(self, regeneration, text: str, start: int, end: int, selection):
        """``regeneration`` (made on ``self.into(text)``) with each candidate written back in ``text``'s key: the
        candidate's new text replaces ``text[start:end]``; ``selection`` is the choice as made on ``text``."""
        tail = len(text) - end
        written_back, dropped = [], 0
        for candidate in regeneration.candidates + ([regeneration.original] if regeneration.original else []):
            moved_back = transpose_abc(candidate.text, -self.shift)
            if not (moved_back.startswith(text[:start]) and moved_back.endswith(text[end:])
                    and len(moved_back) - tail >= start):
                dropped += 1
                continue
            bars = moved_back[start:len(moved_back) - tail]
            written_back.append(replace(candidate, bars=bars, text=text[:start] + bars + text[end:]))
        original = next((c for c in written_back if c.original), None)
        candidates = [c for c in written_back if not c.original]
        notes = [f"read in {self.tonic}, the key this model learnt every tune in; the new bars are written back in "
                 f"the tune's K:{scan_tune(text).fields.get('K', '').strip()}"]
        if dropped:
            notes.append(f"{dropped} candidate(s) left out: moved back to the tune's key, the bars around them "
                         "would not read as written")
        return replace(regeneration, selection=selection, candidates=candidates, original=original,
                       notes=regeneration.notes + notes)


def in_a_corpus_key(text: str, keys: dict[str, dict[str, int]] | None, seed: int) -> str:
    """A tune a one-tonic model wrote in its key, moved to a tonic drawn (by ``seed``) from ``keys`` (mode -> tonic
    -> tunes, :func:`studio.core.abc.key_moves.keys_by_mode`) for its own mode, in the octave the playable range
    keeps; unchanged without keys for its mode, without a readable key, or when no octave fits."""
    key = read_key(scan_tune(text).fields.get("K", ""))
    tonics = (keys or {}).get(key.mode) if key is not None else None
    if not tonics:
        return text
    return in_tonic(text, random.Random(seed).choices(list(tonics), weights=list(tonics.values()))[0])


def inspect_as_written(sampler, text: str) -> TextInspection:
    """The inspector's reading of ``text`` by ``sampler``'s model, as written, with its ``note`` when the tune is
    in a key a one-tonic model never learnt."""
    inspection = inspect_text(sampler.model, sampler.vocabulary, text)
    inspection.note = ModelKey.for_tune(sampler, text).reading_note()
    return inspection
