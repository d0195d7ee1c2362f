"""The vocabulary of a token model (``TrainConfig.units`` ``tokens``), and which vocabulary a stored one is.

A token model reads ABC cut by :func:`studio.core.abc.units.abc_tokens` (a note with its length, a bar line, a field
is one unit). Its :class:`TokenVocabulary` is the set of tokens of the corpus it trained on (every tune of it, as the
character vocabulary holds every character of it, plus the tokens of the key-augmented copies), sorted. It offers what
:class:`studio.core.network.vocabulary.Vocabulary` offers for text (``encode``, ``decode``, ``len``, ``in``,
``units``), so training, scoring and free sampling read either. A text holding a token the vocabulary lacks cannot
be encoded (:class:`VocabularyError` names it); scoring skips such tokens and counts them
(:meth:`TokenVocabulary.known_codes`), as it skips unknown characters.

Features written for characters (strict sampling and what builds on it, the inspector, fine-tuning's extension of a
vocabulary) ask :func:`require_characters` first, which refuses a token model with a message that says so.

A checkpoint stores a character vocabulary as a string and a token vocabulary as a list (:func:`stored_vocabulary`,
:func:`vocabulary_from_stored`), so checkpoints from before tokens existed load as characters.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from studio.core.abc.units import abc_tokens
from studio.core.network.vocabulary import Vocabulary, VocabularyError


class CharactersOnly(ValueError):
    """A feature that reads a model character by character was given a token model."""


@dataclass(frozen=True)
class TokenVocabulary:
    """Maps tokens to integer codes and back; ``tokens`` is sorted and has no repeats."""

    tokens: tuple[str, ...]
    units = "tokens"

    @classmethod
    def from_texts(cls, texts) -> "TokenVocabulary":
        return cls(tuple(sorted({token for text in texts for token in abc_tokens(text)})))

    def __post_init__(self) -> None:
        if not self.tokens or len(set(self.tokens)) != len(self.tokens) or "" in self.tokens:
            raise VocabularyError("a vocabulary needs at least one token, no empty one and no repeats")
        object.__setattr__(self, "_index", {token: i for i, token in enumerate(self.tokens)})

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self._index

    def code_of(self, unit: str) -> int | None:
        return self._index.get(unit)

    def known_codes(self, text: str) -> tuple[list[int], dict[str, int]]:
        """Codes of the tokens of ``text`` the vocabulary holds, and the count of each token it lacks (skipped)."""
        index = self._index
        tokens = abc_tokens(text)
        unknown = Counter(token for token in tokens if token not in index)
        return [index[token] for token in tokens if token in index], dict(unknown)

    def encode(self, text: str) -> list[int]:
        """Codes of the tokens of ``text``; raises VocabularyError naming the tokens the vocabulary lacks."""
        codes, unknown = self.known_codes(text)
        if unknown:
            raise VocabularyError(f"tokens the model never saw: {', '.join(map(repr, sorted(unknown)))}")
        return codes

    def decode(self, codes) -> str:
        tokens = self.tokens
        return "".join(tokens[int(c)] for c in codes)


def stored_vocabulary(vocabulary: Vocabulary | TokenVocabulary) -> str | list[str]:
    """What a checkpoint or a run's ``run.json`` keeps of ``vocabulary``: the characters, or the list of tokens."""
    return list(vocabulary.tokens) if isinstance(vocabulary, TokenVocabulary) else vocabulary.chars


def vocabulary_from_stored(stored: str | list[str]) -> Vocabulary | TokenVocabulary:
    """The vocabulary :func:`stored_vocabulary` kept (a string: characters, as every checkpoint before tokens)."""
    return Vocabulary(stored) if isinstance(stored, str) else TokenVocabulary(tuple(stored))


def require_characters(vocabulary, what: str) -> None:
    """Raises :class:`CharactersOnly` when ``vocabulary`` is not a character vocabulary: ``what`` (e.g. ``strict
    bars``) is not written for token models yet."""
    if getattr(vocabulary, "units", "characters") != "characters":
        raise CharactersOnly(f"{what} works on models that read characters; this model reads tokens "
                             "(units tokens): sample it with free bars (--bars free), or use a character model")
