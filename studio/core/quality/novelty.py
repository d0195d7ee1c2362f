"""Novelty: how close a tune comes to any tune of a corpus, by the Jaccard similarity of their note n-grams.

:class:`NoveltyIndex` is an inverted index from n-gram to corpus tunes. It is kept as four numpy arrays (sorted
64-bit n-gram hashes, their offsets into the posting list, the posting list of tune numbers, each tune's n-gram count)
so it can be stored in and read back from the reference cache in milliseconds (:meth:`arrays`, :meth:`from_arrays`).
"""

from __future__ import annotations

import hashlib
from fractions import Fraction

import numpy as np

#: Similarity at or above which a tune counts as a near copy of a corpus tune.
NEAR_COPY_THRESHOLD = 0.85
#: Length of the note n-grams the novelty index compares.
NGRAM = 5
_ARRAY_NAMES = ("gram_hashes", "offsets", "postings", "sizes")


def note_ngrams(text: str) -> set[str]:
    """N-grams of (interval to the previous note, duration as a share of the bar): key- and L-independent."""
    from studio.core.abc.tokenizer import scan_tune

    scan = scan_tune(text[:200_000])
    meter = scan.meter or Fraction(1)
    notes = scan.melody()
    events = [f"{b.pitch - a.pitch}:{b.advance / meter}" for a, b in zip(notes, notes[1:])]
    return {" ".join(events[i:i + NGRAM]) for i in range(len(events) - NGRAM + 1)}


def _gram_hashes(grams) -> np.ndarray:
    """A stable 64-bit hash of each n-gram (Python's own ``hash`` changes from one process to the next)."""
    return np.array([int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little", signed=True)
                     for g in grams], dtype=np.int64)


class NoveltyIndex:
    """Finds how close a tune comes to any tune of a corpus (Jaccard similarity of note n-grams, 0 to 1)."""

    def __init__(self, corpus_tunes: list[str]) -> None:
        hashes, numbers, sizes = [], [], []
        for number, tune in enumerate(corpus_tunes):
            grams = note_ngrams(tune)
            sizes.append(len(grams))
            hashes.append(_gram_hashes(grams))
            numbers.append(np.full(len(grams), number, dtype=np.int32))
        all_hashes = np.concatenate(hashes) if hashes else np.zeros(0, np.int64)
        all_numbers = np.concatenate(numbers) if numbers else np.zeros(0, np.int32)
        order = np.lexsort((all_numbers, all_hashes))
        all_hashes, all_numbers = all_hashes[order], all_numbers[order]
        unique, starts = np.unique(all_hashes, return_index=True)
        self._set_arrays(unique, np.append(starts, len(all_hashes)).astype(np.int64), all_numbers,
                         np.array(sizes, dtype=np.int32))

    def _set_arrays(self, gram_hashes, offsets, postings, sizes) -> None:
        self._gram_hashes, self._offsets, self._postings, self._sizes = gram_hashes, offsets, postings, sizes

    def arrays(self) -> dict[str, np.ndarray]:
        """The index as named numpy arrays (:meth:`from_arrays` rebuilds it without scanning any tune)."""
        return dict(zip(_ARRAY_NAMES, (self._gram_hashes, self._offsets, self._postings, self._sizes)))

    @classmethod
    def from_arrays(cls, arrays) -> "NoveltyIndex":
        """Rebuilds an index from :meth:`arrays` (KeyError or ValueError when they do not fit together)."""
        index = cls.__new__(cls)
        gram_hashes, offsets, postings, sizes = (np.asarray(arrays[name]) for name in _ARRAY_NAMES)
        consistent = (gram_hashes.dtype == np.int64 and len(offsets) == len(gram_hashes) + 1
                      and (len(offsets) == 0 or offsets[-1] == len(postings))
                      and (len(postings) == 0 or 0 <= postings.min() <= postings.max() < len(sizes)))
        if not consistent:
            raise ValueError("the novelty index arrays do not fit together")
        index._set_arrays(gram_hashes, offsets.astype(np.int64), postings.astype(np.int32), sizes.astype(np.int32))
        return index

    def __len__(self) -> int:
        return len(self._sizes)

    def nearest(self, text: str) -> tuple[int | None, float]:
        """Index of the most similar corpus tune and the similarity (``(None, 0.0)`` when nothing is shared)."""
        grams = note_ngrams(text)
        if not grams or not len(self._gram_hashes):
            return None, 0.0
        query = _gram_hashes(grams)
        slots = np.searchsorted(self._gram_hashes, query).clip(max=len(self._gram_hashes) - 1)
        slots = slots[self._gram_hashes[slots] == query]
        if not len(slots):
            return None, 0.0
        tunes = np.concatenate([self._postings[self._offsets[s]:self._offsets[s + 1]] for s in slots])
        shared = np.bincount(tunes, minlength=len(self._sizes))
        similarity = shared / np.maximum(len(grams) + self._sizes - shared, 1)
        best = int(np.argmax(similarity))
        return (best, float(similarity[best])) if similarity[best] > 0 else (None, 0.0)

    def max_similarity(self, text: str) -> float:
        """Highest similarity of the tune to any corpus tune (1.0 for an exact copy)."""
        return self.nearest(text)[1]

    def is_near_copy(self, text: str) -> bool:
        """True when the tune is at least :data:`NEAR_COPY_THRESHOLD` similar to a corpus tune."""
        return self.max_similarity(text) >= NEAR_COPY_THRESHOLD
