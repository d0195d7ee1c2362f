"""What the model sees in a text: per-position log-probabilities from one batched forward pass of the LSTM.

A text is fed the way the sampler feeds its primer: from its first character, with the LSTM's state at zero and no
start character. So the first character has no prediction; every later character ``i`` has the distribution the model
gave after reading the characters before it. From the stored log-probabilities (temperature 1) the distribution at
any temperature is redrawn without another model call (``softmax(log_p / T)`` equals ``softmax(logits / T)``).

Characters outside the model's vocabulary are skipped: they are removed from what the model reads (the model sees
the text as if they were not there), get no surprise, and are counted in ``TextInspection.unknown``.

``compare_temperatures`` samples one seed at several temperatures (the sampler's draws are the same at every
temperature) and measures each tune with the studio's metrics and the model's own entropy along it.
"""

from __future__ import annotations

import bisect
import math
import re
import string
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

import torch

from studio.core.abc.rhythm import RhythmState
from studio.core.abc.text import KEPT_HEADER_FIELDS
from studio.core.abc.validate import ValidationReport, validate_tune
from studio.core.configs import DEFAULT_PRIMER, SamplingConfig
from studio.core.generation.draw import temperature_probabilities
from studio.core.generation.strict_sampling import allowed_characters
from studio.core.network.model import CharLSTM
from studio.core.network.network_inputs import text_inputs
from studio.core.network.token_vocabulary import require_characters
from studio.core.network.vocabulary import Vocabulary
from studio.core.quality.metrics import TuneMetrics, tune_metrics

LOG2 = math.log(2.0)
#: A line the training text never has: a comment or directive, or a field the corpus clean-up drops.
_UNSEEN_FIELDS = "".join(ch for ch in string.ascii_letters if ch not in KEPT_HEADER_FIELDS)
_UNSEEN_LINE = re.compile(rf"^(?:%|[{_UNSEEN_FIELDS}]:(?![|:]))[^\n]*\n?", re.MULTILINE)
#: Temperatures of the "same seed" comparison the lab describes (safe, as trained, adventurous).
COMPARED_TEMPERATURES = (0.5, 1.0, 1.5)

_NAMED_CHARACTERS = {
    "|": "bar line", "\n": "new line", " ": "space", ":": "colon (repeat sign)", "[": "open bracket (chord)",
    "]": "close bracket", "(": "open parenthesis (slur/tuplet)", ")": "close parenthesis (slur)", "/": "slash (shorter)",
    ">": "broken rhythm (dotted-short)", "<": "broken rhythm (short-dotted)", "^": "sharp", "_": "flat",
    "=": "natural", ",": "octave down mark", "'": "octave up mark", "-": "tie", "~": "roll (ornament)",
    '"': "quote (chord symbol)", "{": "grace notes begin", "}": "grace notes end", "z": "rest", "x": "invisible rest",
    "\\": "line continuation", "%": "comment", "!": "decoration mark", ".": "staccato dot", "\t": "tab",
}


def character_label(ch: str) -> str:
    """A readable name for one character: ``|`` bar line, ``\\n`` new line, ``c`` note C5 (ABC octave marks)."""
    if ch in _NAMED_CHARACTERS:
        return _NAMED_CHARACTERS[ch]
    if ch in "CDEFGAB":
        return f"note {ch}4"
    if ch in "cdefgab":
        return f"note {ch.upper()}5"
    if ch.isdigit():
        return f"digit {ch} (length)"
    return f"letter {ch}" if ch.isalpha() else f"character {ch!r}"


def character_display(ch: str) -> str:
    """How a character is shown in a chart or a table: ``\\n`` and space spelled out, others as themselves."""
    return {"\n": "\\n", " ": "space", "\t": "\\t"}.get(ch, ch)


def entropy_bits(probabilities: torch.Tensor) -> torch.Tensor:
    """Entropy in bits over the last dimension (0 log 0 counted as 0)."""
    p = probabilities.double()
    terms = torch.where(p > 0, p * torch.log2(p.clamp_min(1e-300)), torch.zeros_like(p))
    return (-terms.sum(dim=-1)).float()


@dataclass(frozen=True)
class CharacterChance:
    """One character of a distribution with its readable label and probability."""

    char: str
    label: str
    probability: float


@dataclass(frozen=True)
class Distribution:
    """The model's next-character distribution at ``offset`` of a text (what it expected there), at a temperature.

    ``written`` is the character the text has at ``offset`` (None at the end of the text); ``written_probability`` is
    None when there is no written character or the model does not know it.
    """

    offset: int
    temperature: float
    written: str | None
    written_probability: float | None
    entropy_bits: float
    top: tuple[CharacterChance, ...]
    probabilities: tuple[float, ...]  # over the vocabulary, in its order


@dataclass(frozen=True)
class SurprisingPlace:
    """A character the model did not expect: where (1-based line and column), what, and how surprised (bits)."""

    offset: int
    line: int
    column: int
    char: str
    label: str
    bits: float


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def offset_of(text: str, line: int, column: int) -> int:
    """The offset of a 1-based ``line:column`` (the inverse of :func:`line_and_column`); ValueError when outside."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines) or not 1 <= column <= len(lines[line - 1]) + 1:
        raise ValueError(f"{line}:{column} is outside the text ({len(lines)} lines)")
    return sum(len(x) + 1 for x in lines[: line - 1]) + column - 1


@dataclass
class TextInspection:
    """One text as the model read it.

    ``offsets[j]`` is the text offset of the j-th character the model read (unknown characters are skipped);
    ``log_probs[j]`` (float32, vocabulary-wide, temperature 1) is the model's distribution after reading characters
    0..j, i.e. its prediction for character j+1 (the last row: what would follow the text).
    """

    text: str
    vocabulary: Vocabulary
    offsets: tuple[int, ...]
    log_probs: torch.Tensor
    unknown: dict[str, int] = field(default_factory=dict)
    #: what reading the text as written means, when it means something (a one-tonic model, a tune in another key)
    note: str = ""
    _strict_rows: dict[int, torch.Tensor | None] = field(default_factory=dict, init=False, repr=False)

    # --- surprise -------------------------------------------------------------------------------------------------

    @cached_property
    def surprise_bits(self) -> torch.Tensor:
        """-log2 p of each character read, given the ones before it; NaN for the first (it has no prediction)."""
        if not self.offsets:
            return torch.zeros(0)
        codes = torch.tensor(self.vocabulary.encode("".join(self.text[i] for i in self.offsets[1:])), dtype=torch.long)
        read = -self.log_probs[:-1].gather(1, codes[:, None]).squeeze(1) / LOG2
        return torch.cat([torch.full((1,), float("nan")), read])

    @property
    def predicted_count(self) -> int:
        """How many characters have a prediction (all read characters but the first)."""
        return max(len(self.offsets) - 1, 0)

    @property
    def unknown_count(self) -> int:
        return sum(self.unknown.values())

    @property
    def mean_bits(self) -> float:
        """Mean surprise in bits per predicted character (NaN for a text of fewer than two known characters)."""
        bits = self.surprise_bits[1:]
        return float(bits.mean()) if len(bits) else float("nan")

    def surprise_by_offset(self) -> list[float | None]:
        """Surprise in bits for every offset of the text (None: not predicted or not in the vocabulary)."""
        out: list[float | None] = [None] * len(self.text)
        for offset, bits in zip(self.offsets[1:], self.surprise_bits[1:].tolist()):
            out[offset] = bits
        return out

    def surprise_of_span(self, start: int, end: int) -> float:
        """Total surprise in bits of the predicted characters in ``text[start:end]``, e.g. one note token
        (``Token.offset`` and ``len(Token.text)``) for colouring the score."""
        first = max(bisect.bisect_left(self.offsets, start), 1)  # the first character read has no prediction
        return float(self.surprise_bits[first: bisect.bisect_left(self.offsets, end)].sum())

    def most_surprising(self, count: int = 5) -> list[SurprisingPlace]:
        """The ``count`` characters with the highest surprise, most surprising first."""
        bits = self.surprise_bits[1:]
        order = torch.argsort(bits, descending=True, stable=True)[:count].tolist()
        places = []
        for j in order:
            offset = self.offsets[j + 1]
            line, column = line_and_column(self.text, offset)
            ch = self.text[offset]
            places.append(SurprisingPlace(offset, line, column, ch, character_label(ch), float(bits[j])))
        return places

    # --- distributions ---------------------------------------------------------------------------------------------

    def row_before(self, offset: int) -> int | None:
        """Row of ``log_probs`` predicting the character at ``offset`` (None: the model has read nothing before)."""
        if not 0 <= offset <= len(self.text):
            raise ValueError(f"offset {offset} is outside the text (length {len(self.text)})")
        read_before = bisect.bisect_left(self.offsets, offset)
        return read_before - 1 if read_before else None

    def distribution_at(self, offset: int, temperature: float = 1.0, top: int = 15) -> Distribution | None:
        """What the model expected at ``offset`` (given the text before it) at ``temperature``, its ``top`` characters
        most likely first; ``offset == len(text)`` asks what would follow the text. None before any character."""
        row = self.row_before(offset)
        if row is None:
            return None
        probabilities = temperature_probabilities(self.log_probs[row], temperature)
        chars = self.vocabulary.chars
        values, codes = torch.topk(probabilities, min(top, len(chars)))
        chances = tuple(CharacterChance(chars[c], character_label(chars[c]), float(v))
                        for v, c in zip(values.tolist(), codes.tolist()))
        written = self.text[offset] if offset < len(self.text) else None
        written_p = float(probabilities[chars.index(written)]) if written is not None and written in chars else None
        return Distribution(offset, temperature, written, written_p, float(entropy_bits(probabilities)), chances,
                            tuple(probabilities.tolist()))

    def strict_forbidden_share(self, offset: int, temperature: float = 1.0) -> float | None:
        """The share of the model's probability at ``offset`` (at ``temperature``) that the strict-bars rule forbids
        there: the mass on characters the strict sampler would mask, given the text before ``offset`` (its rhythm
        state and shared mask cache, exactly as :mod:`studio.core.generation.strict_sampling` asks before each character).
        None where there is no prediction or strict bars could not continue the text (no countable meter, or a bar
        that can no longer add up). The mask is kept per offset, so moving the temperature costs one softmax."""
        row = self.row_before(offset)
        if row is None:
            return None
        if offset not in self._strict_rows:
            state = RhythmState().feed_text(self.text[:offset])
            countable = not state.in_body or (state.meter is not None and state.viable())
            self._strict_rows[offset] = allowed_characters(self.vocabulary).row(state) if countable else None
        allowed = self._strict_rows[offset]
        if allowed is None:
            return None
        probabilities = temperature_probabilities(self.log_probs[row], temperature)
        return float(probabilities[~allowed].sum().clamp(0.0, 1.0))

    def entropy_along(self, temperature: float = 1.0) -> torch.Tensor:
        """Entropy in bits of the model's prediction for each predicted character (length ``predicted_count``)."""
        return entropy_bits(temperature_probabilities(self.log_probs[:-1], temperature))

    def distribution_lines(self, offset: int, temperatures=(1.0,), top: int = 15) -> list[str]:
        """The distribution at ``offset`` for a terminal, one column of probabilities per temperature, the written
        character marked with ``<-``."""
        line, column = line_and_column(self.text, offset)
        charts = [self.distribution_at(offset, t, top) for t in temperatures]
        if charts[0] is None:
            return [f"{line}:{column}: the first character has no prediction (the model starts reading there)"]
        written = charts[0].written
        head = f"{line}:{column}, written {character_display(written) if written is not None else '(end of text)'}"
        lines = [head + "".join(f"; T={c.temperature:g}: entropy {c.entropy_bits:.2f} bits" +
                                (f", written p={c.written_probability:.3f}" if c.written_probability is not None else "")
                                for c in charts)]
        chars = self.vocabulary.chars
        for chance in charts[-1].top:
            columns = "  ".join(f"{c.probabilities[chars.index(chance.char)]:6.3f}" for c in charts)
            mark = "  <-" if chance.char == written else ""
            lines.append(f"  {character_display(chance.char):>5}  {columns}  {chance.label}{mark}")
        return lines

    def summary_lines(self, places: int = 5) -> list[str]:
        """A few lines for a terminal: characters, mean bits, the most surprising places, unknown characters."""
        lines = [f"{self.predicted_count:,} characters predicted, mean surprise {self.mean_bits:.3f} bits per character"]
        for place in self.most_surprising(places):
            lines.append(f"  {place.line}:{place.column}  {character_display(place.char):>5}  {place.bits:6.2f} bits"
                         f"  ({place.label})")
        if self.unknown:
            listed = ", ".join(f"{ch!r} x{n}" for ch, n in sorted(self.unknown.items()))
            lines.append(f"{self.unknown_count} character(s) the model never saw were skipped: {listed}")
        return lines


def seen_text(text: str) -> str:
    """``text`` without the lines a model never saw in its training text (as :func:`known_characters` leaves them
    out): what a token model reads of it."""
    return _UNSEEN_LINE.sub("", text)


def known_characters(text: str, vocabulary: Vocabulary) -> tuple[tuple[int, ...], dict[str, int]]:
    """Offsets of the characters of ``text`` the model reads, and the count of each one the vocabulary lacks.

    The model reads a tune as its training text wrote it: lines it never saw there (``%`` comments such as the
    studio's ``% generated by`` note, fields other than :data:`KEPT_HEADER_FIELDS`) are left out, not counted."""
    unseen = {i for match in _UNSEEN_LINE.finditer(text) for i in range(*match.span())}
    read = [i for i in range(len(text)) if i not in unseen] if unseen else range(len(text))
    offsets = tuple(i for i in read if text[i] in vocabulary)
    unknown = Counter(text[i] for i in read if text[i] not in vocabulary)
    return offsets, dict(unknown)


def padded_codes(sequences: list[list[int]]) -> torch.Tensor:
    """A (batch, longest) tensor of codes, shorter rows padded at the end with code 0 (the LSTM reads left to right,
    so padding after a row's last character changes none of its outputs); (batch, longest, 2) for a clocked network's
    inputs (:mod:`studio.core.network.network_inputs`)."""
    rows = [torch.tensor(codes, dtype=torch.long) for codes in sequences]
    out = torch.zeros((len(rows), max(len(r) for r in rows)) + rows[0].shape[1:], dtype=torch.long)
    for row, codes in enumerate(rows):
        out[row, : len(codes)] = codes
    return out


@torch.no_grad()
def inspect_texts(model: CharLSTM, vocabulary: Vocabulary, texts: list[str], batch_size: int = 16) -> list[TextInspection]:
    """Inspections of ``texts``: one forward pass of the model per batch of ``batch_size`` texts."""
    require_characters(vocabulary, "the inspector")
    model.eval()
    device = next(model.parameters()).device
    read = [known_characters(text, vocabulary) for text in texts]
    results: list[TextInspection | None] = [None] * len(texts)
    pending = [i for i, (offsets, _) in enumerate(read) if offsets]
    for i, (offsets, unknown) in enumerate(read):
        if not offsets:
            results[i] = TextInspection(texts[i], vocabulary, (), torch.zeros(0, len(vocabulary)), unknown)
    for start in range(0, len(pending), batch_size):
        batch = pending[start: start + batch_size]
        sequences = [text_inputs("".join(texts[i][o] for o in read[i][0]), vocabulary, model.config.clock)
                     for i in batch]
        logits, _ = model(padded_codes(sequences).to(device))
        log_probs = torch.log_softmax(logits.float(), dim=-1).cpu()
        for row, i in enumerate(batch):
            offsets, unknown = read[i]
            results[i] = TextInspection(texts[i], vocabulary, offsets, log_probs[row, : len(offsets)].clone(), unknown)
    return results  # type: ignore[return-value]


def inspect_text(model: CharLSTM, vocabulary: Vocabulary, text: str) -> TextInspection:
    """The inspection of one text (one forward pass)."""
    return inspect_texts(model, vocabulary, [text])[0]


# --- the same seed at several temperatures -------------------------------------------------------------------------


@dataclass
class TemperatureTune:
    """One tune of a same-seed comparison, measured: metrics, validation, and the model's view along the tune."""

    temperature: float
    text: str
    complete: bool
    metrics: TuneMetrics
    validation: ValidationReport
    mean_entropy_bits: float  # the model's entropy at this temperature, averaged over the tune's characters
    mean_surprise_bits: float  # at temperature 1: how typical the tune is for the model

    @property
    def bars_all_correct(self) -> bool:
        return self.validation.bars_failed == 0


def compare_temperatures(sampler, seed: int, temperatures=COMPARED_TEMPERATURES, primer: str = DEFAULT_PRIMER,
                         max_length: int = 1000, top_k: int | None = None) -> list[TemperatureTune]:
    """One tune per temperature from the same ``seed`` (the same random draws read through a sharper or flatter
    distribution), each with its metrics; ``sampler`` is a :class:`studio.core.generation.sampling.Sampler`."""
    tunes = [sampler.sample(SamplingConfig(temperature=t, top_k=top_k, seed=seed, primer=primer,
                                           max_length=max_length))[0] for t in temperatures]
    inspections = inspect_texts(sampler.model, sampler.vocabulary, [tune.text for tune in tunes])
    out = []
    for temperature, tune, seen in zip(temperatures, tunes, inspections):
        entropy = seen.entropy_along(temperature) if seen.predicted_count else torch.zeros(0)
        out.append(TemperatureTune(temperature, tune.text, tune.complete, tune_metrics(tune.text),
                                   validate_tune(tune.text), float(entropy.mean()) if len(entropy) else float("nan"),
                                   seen.mean_bits))
    return out
