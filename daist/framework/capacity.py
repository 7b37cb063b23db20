"""The capacity search, generic over what a level is (users of a load test, reporting trials of
a metric test): grow the level geometrically until a step breaks a limit, then bisect between
the last level that kept every limit and the first that broke one, down to a resolution.

A kind hands in ``judge(level) -> StepOutcome``. The search never takes a level it could not
judge for a capacity: a step whose load generator saturated is invalid, one with too few
samples is undecided, and either ends the search where it stands, saying so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

KEPT = "kept"
BROKE = "broke"
UNDECIDED = "undecided"
INVALID = "invalid"
OUTCOMES = (KEPT, BROKE, UNDECIDED, INVALID)


@dataclass
class StepOutcome:
    level: int
    outcome: str
    """``kept`` every limit, ``broke`` one, ``undecided`` (too few samples to judge a limit)
    or ``invalid`` (the load generator saturated: the figures are its own limit)."""
    decided_by: str
    """The figure that decided it, e.g. ``get experiments: p95 212.0 ms > 160 ms (n=412)``."""
    throughput: float = 0.0
    p95_ms: float | None = None
    """The whole step's p95 (all requests), for the curve; None without enough samples."""
    num_requests: int = 0

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"a step's outcome is one of {', '.join(OUTCOMES)}, not "
                             f"{self.outcome!r}")


@dataclass
class SearchPlan:
    start: int = 1
    growth: float = 2.0
    resolution: float = 0.10
    """Bisect until the gap between kept and broken is at most this share of the kept level."""
    max_level: int = 1000

    def __post_init__(self) -> None:
        if self.start < 1 or self.max_level < self.start:
            raise ValueError("the search needs 1 <= start <= max_level")
        if self.growth <= 1 or not 0 < self.resolution < 1:
            raise ValueError("the search needs growth > 1 and 0 < resolution < 1")


@dataclass
class SearchResult:
    capacity: int
    """The highest level that kept every limit (0: even ``start`` broke one or was not kept)."""
    at_least: bool
    """True when the search stopped before a step broke a limit (``max_level``, an undecided or
    invalid step): the capacity is a lower bound, not the edge."""
    limited_by: str
    """What ended the search above the capacity: the broken limit, or why it stopped."""
    steps: list[StepOutcome] = field(default_factory=list)
    """Every step in the order it ran."""


def search_capacity(judge: Callable[[int], StepOutcome], plan: SearchPlan,
                    say: Callable[[str], None] = lambda text: None) -> SearchResult:
    steps: list[StepOutcome] = []

    def run(level: int) -> StepOutcome:
        outcome = judge(level)
        steps.append(outcome)
        say(f"capacity step {len(steps)}: {level}: {outcome.outcome} ({outcome.decided_by})")
        return outcome

    kept, broken = 0, None
    limited_by = ""
    level = plan.start
    while True:  # grow
        outcome = run(level)
        if outcome.outcome == KEPT:
            kept = level
            if level >= plan.max_level:
                limited_by = f"the search's max_level ({plan.max_level}) was reached"
                return SearchResult(kept, True, limited_by, steps)
            level = min(plan.max_level, max(level + 1, math.ceil(level * plan.growth)))
            continue
        if outcome.outcome == BROKE:
            broken, limited_by = outcome, outcome.decided_by
            break
        return SearchResult(kept, True, _stopped(outcome), steps)
    while broken.level - kept > max(1.0, plan.resolution * kept):  # bisect
        level = (kept + broken.level) // 2
        if level <= kept:
            break
        outcome = run(level)
        if outcome.outcome == KEPT:
            kept = level
        elif outcome.outcome == BROKE:
            broken, limited_by = outcome, outcome.decided_by
        else:
            return SearchResult(kept, True, _stopped(outcome), steps)
    return SearchResult(kept, False, f"{broken.level}: {limited_by}", steps)


def _stopped(outcome: StepOutcome) -> str:
    return f"{outcome.level} was {outcome.outcome}: {outcome.decided_by}"
