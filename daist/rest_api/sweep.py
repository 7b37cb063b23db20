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


KNEE_GAIN = 0.10
"""A step that adds less than this share of linear growth has stopped paying off."""


def knee_index(users: list[int], rps: list[float]) -> int | None:
    """Where throughput stops growing: the step before the first step whose gain in requests/s
    is below ``KNEE_GAIN`` of linear growth (what the previous step's requests/s per user would
    give at the new user count). None while every step still pays off (no knee in the range)."""
    for i in range(1, len(users)):
        before, now = rps[i - 1], rps[i]
        if users[i - 1] <= 0 or users[i] <= users[i - 1] or before <= 0:
            continue
        linear_gain = before * (users[i] / users[i - 1] - 1.0)
        if now - before < KNEE_GAIN * linear_gain:
            return i - 1
    return None


def mark_knee(steps: list[StepPoint]) -> None:
    index = knee_index([s.users for s in steps], [s.rps for s in steps])
    for i, step in enumerate(steps):
        step.knee = i == index
