"""The character vocabulary of a model: a fixed, ordered set of characters and their integer codes."""

from __future__ import annotations

from dataclasses import dataclass


class VocabularyError(ValueError):
    """Text holds characters the model never saw."""


@dataclass(frozen=True)
class Vocabulary:
    """Maps characters to integer codes and back; ``chars`` is sorted and has no repeats."""

    chars: str
    units = "characters"  # what one code stands for (a token model's vocabulary says ``tokens``)

    @classmethod
    def from_text(cls, text: str) -> "Vocabulary":
        return cls("".join(sorted(set(text))))

    def __post_init__(self) -> None:
        if not self.chars or len(set(self.chars)) != len(self.chars):
            raise VocabularyError("a vocabulary needs at least one character and no repeats")
        object.__setattr__(self, "_index", {ch: i for i, ch in enumerate(self.chars)})

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, ch: str) -> bool:
        return ch in self._index

    def code_of(self, unit: str) -> int | None:
        """The code of one character, or None when the vocabulary lacks it."""
        return self._index.get(unit)

    def unknown_chars(self, text: str) -> str:
        """The characters of ``text`` this vocabulary lacks, sorted, each once."""
        return "".join(sorted(set(text) - set(self._index)))

    def encode(self, text: str) -> list[int]:
        """Codes of ``text``; raises VocabularyError naming the characters the vocabulary lacks."""
        missing = self.unknown_chars(text)
        if missing:
            raise VocabularyError(f"characters the model never saw: {missing!r}")
        index = self._index
        return [index[ch] for ch in text]

    def decode(self, codes) -> str:
        chars = self.chars
        return "".join(chars[int(c)] for c in codes)
