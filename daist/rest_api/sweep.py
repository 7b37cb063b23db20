"""The points of a user sweep (``shape = steps``) and its knee. Pure: no Locust import."""
from __future__ import annotations

from typing import Any

from daist.models.locust import HdrSummary, StepPoint


def step_point(users: int, tally: Any, *, window_s: float) -> StepPoint:
    """One step from the recorder's step tally (all endpoints together)."""
    hdr = HdrSummary.of(tally.histogram)
    return StepPoint(users=users, rps=round(tally.requests / window_s, 2) if window_s > 0 else 0.0,
                     p95_ms=hdr.p95_ms, p99_ms=hdr.p99_ms, num_requests=tally.requests,
                     fail_ratio=round(tally.failures / tally.requests, 4) if tally.requests else 0.0)


def mark_knee(steps: list[StepPoint]) -> None:
    """The knee is the step with the highest 'power' (throughput / p95, Kleinrock): past it,
    more users buy latency rather than throughput."""
    scored = [(s.rps / s.p95_ms, i) for i, s in enumerate(steps) if s.p95_ms > 0 and s.rps > 0]
    if scored:
        steps[max(scored)[1]].knee = True
