"""Phrase repeats: which bars of a strain repeat an earlier bar, drawn with the chances folk tunes show.

An 8-bar strain of an Irish tune is mostly two 4-bar phrases that begin alike: in O'Neill's 8-bar strains bar 5 is
written exactly as bar 1 in 66% of them, bar 6 as bar 2 in 59% of those, and the second strain often ends as the
first did (its bar 8 as the first strain's in half of the tunes of two such strains). A character model sampled bar by bar writes
every bar afresh (median share of bars repeating an earlier bar: 0.00 against the corpus's 0.25), so the strict
sampler asks this module, at each bar line of a planned form, whether the next bar copies an earlier one, and then
writes that bar's text through the model (its state follows, as if the model had written it).

The chances below were measured on O'Neill's (:func:`measure_chances` recomputes them; a test keeps them in step).
Strains longer than 8 bars use the rules within each group of 8 bars.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.core.abc.tokenizer import Bar

#: Bars per phrase group the rules speak of.
GROUP_BARS = 8


@dataclass(frozen=True)
class CopyRule:
    """Bar ``position`` (1-8 in its group) copies bar ``source`` of the same group (``strains_back`` 0) or the same
    position of the previous strain (``strains_back`` 1), with ``chance``, or ``chance_after_copy`` when bar
    ``position - 1`` copied bar ``source - 1`` (a phrase carried on)."""

    position: int
    source: int
    chance: float
    chance_after_copy: float | None = None
    strains_back: int = 0


#: The rules in the order they are drawn for a bar (the first that fires wins). Measured on O'Neill's
#: (827 strains of exactly 8 full bars; the previous strain's bars: tunes of two such strains), rounded to two places.
RULES = (
    CopyRule(3, 1, 0.36),
    CopyRule(5, 1, 0.66),
    CopyRule(6, 2, 0.18, chance_after_copy=0.59),
    CopyRule(7, 3, 0.06, chance_after_copy=0.18),
    CopyRule(7, 7, 0.32, strains_back=1),
    CopyRule(8, 8, 0.50, strains_back=1),
    CopyRule(8, 4, 0.17),
)


def source_bar(bar_number: int, strain_bars: int, copies: dict[int, int], draw) -> int | None:
    """The earlier bar (1-based, counted through the tune's full bars) that bar ``bar_number`` copies, or None.

    ``copies`` maps the bars copied so far to their sources; ``draw()`` gives a uniform number in [0, 1) (the
    tune's own random generator, so a seed still gives one tune). A rule is drawn only when its source exists.
    """
    strain, offset = divmod(bar_number - 1, strain_bars)
    group_start = strain * strain_bars + (offset // GROUP_BARS) * GROUP_BARS  # bar number before the group's first
    position = offset % GROUP_BARS + 1
    for rule in RULES:
        if rule.position != position:
            continue
        if rule.strains_back:
            if strain < rule.strains_back:
                continue
            source = bar_number - rule.strains_back * strain_bars
        else:
            source = group_start + rule.source
        chance = rule.chance
        if rule.chance_after_copy is not None and copies.get(bar_number - 1) == source - 1:
            chance = rule.chance_after_copy
        if draw() < chance:
            return source
    return None


def _full_bar_groups(sections: list[list[Bar]]) -> list[list[tuple]]:
    from studio.core.quality.metrics import bar_signature

    return [[bar_signature(bar) for bar in section if bar.meter and bar.duration == bar.meter]
            for section in sections]


def measure_chances(texts) -> dict[str, float]:
    """Each rule's chances measured on tunes (texts): strains of exactly 8 full bars, and tunes of two of them.

    Keys: ``"5<-1"`` (unconditional), ``"6<-2 after copy"``, ``"8<-prev 8"`` and so on, as :data:`RULES` names them.
    """
    from studio.core.abc.validate import validate_tune
    from studio.core.quality.metrics import sections_of

    hits: dict[str, int] = {}
    trials: dict[str, int] = {}

    def count(name: str, hit: bool) -> None:
        trials[name] = trials.get(name, 0) + 1
        hits[name] = hits.get(name, 0) + int(hit)

    for text in texts:
        groups = [group for group in _full_bar_groups(sections_of(validate_tune(text).scan.bars)) if len(group) == 8]
        for group in groups:
            for rule in RULES:
                if rule.strains_back:
                    continue
                name = f"{rule.position}<-{rule.source}"
                previous_copied = group[rule.position - 2] == group[rule.source - 2]
                if rule.chance_after_copy is not None and previous_copied:
                    name += " after copy"
                count(name, group[rule.position - 1] == group[rule.source - 1])
        if len(groups) == 2:
            for rule in RULES:
                if rule.strains_back:
                    count(f"{rule.position}<-prev {rule.position}",
                          groups[1][rule.position - 1] == groups[0][rule.position - 1])
    return {name: hits[name] / trials[name] for name in trials}
