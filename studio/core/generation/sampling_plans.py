"""Plans for strict sampling: where the bar lines go, how long each bar lasts, which bars repeat an earlier one.

The strict sampler (:mod:`studio.core.generation.strict_sampling`) asks its plan, at each bar line, for the bar line closing
the next bar (:meth:`bar_line`), that bar's length (:meth:`bar_length`: None for the meter), which earlier bar it
copies as a phrase repeat (:meth:`phrase_source`, :mod:`studio.core.generation.phrase_repeats`) and the text of such a bar
written before the sampler began (:meth:`written_bar`). :class:`FormPlan` plans a whole tune: ``strains`` strains
of ``strain_bars`` full bars, repeated or not.

:class:`RegionPlan` plans a region of an existing tune (chosen bars regenerated, or a new strain): the tune's own
text between the region's bars (so repeats, endings, line breaks and a next strain's pickup are kept; after the last
bar an ending that stops the sampler), and each bar's length: the meter, or a shorter length written on purpose (a
pickup, or a strain's last bar shortened to complement the pickup after it), which the bar must then last exactly.
With ``strain_bars``, ``first`` and ``earlier`` it numbers the bars as a form does, so a new strain repeats its own
phrases and may end as the strain before it. :class:`RegionCadence` gives the region's bars their cadence targets
(a pitch class or none), as :class:`~studio.core.generation.cadence.CadencePlan` does for a whole tune.

A region's bars are numbered as the sampler counts them: ``before`` full bars in the primer, then 1, 2, ... (a pickup
written in the region counts as one, since it lasts its own length).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from studio.core.generation.cadence import CadenceState
from studio.core.generation.phrase_repeats import source_bar

#: Strains and whether they repeat, per form.
_FORM_STRAINS = {"AB": (2, False), "AABB": (2, True), "AABBCC": (3, True)}
#: What closes the last sampled bar (the plan's own ending; the tune's bar line follows in the text after it).
REGION_END = "|\n\n"


@dataclass(frozen=True)
class FormPlan:
    """Where the bar lines of a form go: ``strains`` strains of ``strain_bars`` full bars, repeated or not."""

    strains: int
    strain_bars: int
    repeated: bool

    @classmethod
    def of(cls, form: str, strain_bars: int) -> "FormPlan | None":
        if form not in _FORM_STRAINS:
            return None
        strains, repeated = _FORM_STRAINS[form]
        return cls(strains, strain_bars, repeated)

    def pickup_bar_line(self) -> str:
        """The bar line after a pickup: the first strain's repeat starts after it (abc2midi counts a repeated
        pickup as a short bar)."""
        return "|:" if self.repeated else "|"

    def bar_line(self, bar_number: int) -> str:
        """The bar line (and line break) closing full bar ``bar_number`` (1-based); the tune ends after the last."""
        if bar_number % self.strain_bars:
            return "|"
        if bar_number // self.strain_bars >= self.strains:
            return (":|" if self.repeated else "|]") + "\n\n"
        return ("::" if self.repeated else "||") + "\n"  # abc2midi reads ':|:' as an end without a start

    def bar_length(self, bar_number: int) -> Fraction | None:
        """None: every bar lasts the meter."""
        return None

    def phrase_source(self, bar_number: int, copies: dict[int, int], draw) -> int | None:
        """The earlier bar that bar ``bar_number`` copies (:func:`~studio.core.generation.phrase_repeats.source_bar`)."""
        return source_bar(bar_number, self.strain_bars, copies, draw)

    def written_bar(self, bar_number: int) -> str | None:
        """None: a whole tune's plan copies only bars the sampler wrote."""
        return None


class RegionPlan:
    """Bar lines and lengths for the region's bars (see the module docstring).

    ``separators[k]`` closes the region's bar ``k + 1``; ``lengths[k]`` is bar ``k + 1``'s length in whole notes.
    For phrase repeats (none when ``strain_bars`` is None): the region's first full bar is bar ``first`` of a form
    of ``strain_bars``-bar strains (a ``pickup`` before it repeats nothing), and ``earlier`` maps form numbers of
    bars before the region to their text."""

    repeated = False
    strains = 1

    def __init__(self, before: int, separators: list[str], lengths: list[Fraction], strain_bars: int | None = None,
                 first: int = 1, pickup: bool = False, earlier: dict[int, str] | None = None):
        self.before, self.separators, self.lengths = before, separators, lengths
        self.strain_bars = strain_bars
        self.shift = before + int(pickup) + 1 - first  # sampler's number - form number, for the region's full bars
        self.pickup, self.earlier = pickup, earlier or {}

    def pickup_bar_line(self) -> str:
        return "|"

    def bar_line(self, bar_number: int) -> str:
        k = bar_number - self.before
        return self.separators[k - 1] if 1 <= k <= len(self.separators) else REGION_END

    def bar_length(self, bar_number: int) -> Fraction | None:
        """The length bar ``bar_number`` must last (None past the region)."""
        k = bar_number - self.before
        return self.lengths[k - 1] if 1 <= k <= len(self.lengths) else None

    def phrase_source(self, bar_number: int, copies: dict[int, int], draw) -> int | None:
        """The bar (sampler's number; at most ``before`` for a bar of the primer) that bar ``bar_number`` copies."""
        if self.strain_bars is None or (self.pickup and bar_number == self.before + 1):
            return None
        shift = self.shift
        source = source_bar(bar_number - shift, self.strain_bars,
                            {bar - shift: copied - shift for bar, copied in copies.items()}, draw)
        return None if source is None else source + shift

    def written_bar(self, bar_number: int) -> str | None:
        """The text of a primer bar that a phrase repeat may copy (sampler's number), if the plan knows it."""
        return self.earlier.get(bar_number - self.shift)


class RegionCadence:
    """The cadence of the region's bars: ``targets[k]`` is bar ``k + 1``'s target pitch class (None: no cadence)."""

    def __init__(self, before: int, targets: list[int | None]):
        self.before, self.targets = before, targets

    def target(self, state: CadenceState) -> frozenset[int] | None:
        k = state.full_bars + 1 - self.before
        pitch_class = self.targets[k - 1] if 1 <= k <= len(self.targets) else None
        return None if pitch_class is None else frozenset({pitch_class})
