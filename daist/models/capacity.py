"""``Capacity-<tags>.json``: how much load a target sustained within its limits, with every
step of the search that found it (``daist.framework.capacity``) and the USL model of the curve.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daist.models.base import Artifact


@dataclass
class CapacityStep:
    level: int = 0
    """Users (load test) or concurrently reporting trials (metric test)."""
    outcome: str = ""
    """kept, broke, undecided or invalid (see ``daist.framework.capacity``)."""
    decided_by: str = ""
    throughput: float = 0.0
    """Requests (or reports) per second in the step's window."""
    p95_ms: float | None = None
    num_requests: int = 0


@dataclass
class Capacity(Artifact):
    unit: str = "users"
    """users or trials."""
    capacity_users: int | None = None
    """The highest user count that kept every limit (a load test)."""
    capacity_trials: int | None = None
    """The most concurrently reporting trials that kept every limit (a metric test)."""
    at_least: bool = False
    """The search stopped before any step broke a limit: the capacity is a lower bound."""
    limited_by: str = ""
    """What broke first above the capacity (the limit and endpoint), or why the search stopped."""
    limits: str = ""
    """The limits every step was judged by, as the settings spelled them."""
    search: dict[str, Any] = field(default_factory=dict)
    """start, growth, resolution, step_time, max_level of the search."""
    steps: list[CapacityStep] = field(default_factory=list)
    usl: dict[str, Any] | None = None
    """The Universal Scalability Law fit of throughput against the level (``lam``, ``sigma``,
    ``kappa``, ``r_squared``, ``peak_level``, ``peak_throughput``, ``extrapolated``); None with
    too few levels to fit."""

    @property
    def capacity(self) -> int:
        value = self.capacity_users if self.unit == "users" else self.capacity_trials
        return int(value or 0)

    @property
    def headline(self) -> str:
        """One line: ``capacity: 31 users (p95 ... broke at 34)`` or ``at least 64 users``."""
        bound = "at least " if self.at_least else ""
        return f"capacity: {bound}{self.capacity} {self.unit}; above it: {self.limited_by}"
