"""One endpoint judged by a load test's ``Limits``: which limits it broke, written once for the
verdict and the report's limits table so the two cannot disagree.

Latency: the exact (HDR) percentile of the window above its limit. Failures: an endpoint fails
the test when its failure ratio exceeds its limit, a ``fail=`` set by a ``[locust] slo`` rule
(the most specific rule wins; an empty ``fail=`` lifts it), else the test's ``max_fail_ratio``
(empty: none). The default applies only from ``MIN_ENDPOINT_FAILURES`` failures on: a rare
endpoint's one failure in three requests is left to the whole test's ratio, not called 33 %."""
from __future__ import annotations

import math
from dataclasses import dataclass

from daist.models.limits import FAIL, Limits
from daist.models.locust import EndpointStats

MIN_ENDPOINT_FAILURES = 5
"""Failures an endpoint needs before the default (``max_fail_ratio``) limit judges it."""


@dataclass(frozen=True)
class FailLimit:
    ratio: float
    min_failures: int
    explicit: bool
    """Set by a ``[locust] slo`` rule (else the ``max_fail_ratio`` default)."""

    def broken_by(self, failures: int, requests: int) -> bool:
        return (requests > 0 and failures >= self.min_failures
                and failures / requests > self.ratio)


def endpoint_fail_limit(slo: Limits, test_name: str, endpoint_class: str) -> FailLimit | None:
    """The failure limit of one endpoint under ``slo``; None when a rule lifted it or no limit
    is set."""
    ruled = [rule for selector in ("*", endpoint_class, test_name)  # least to most specific
             for rule in slo.rules if rule.selector == selector and rule.stat == FAIL]
    if ruled:
        limit = ruled[-1].limit
        return FailLimit(limit, 1, True) if limit is not None else None
    if slo.max_fail_ratio is None:
        return None
    return FailLimit(slo.max_fail_ratio, MIN_ENDPOINT_FAILURES, False)


@dataclass(frozen=True)
class Break:
    """One limit an endpoint broke."""

    measure: str
    """``fail`` (a ratio) or a percentile (``p95``)."""
    measured: float
    limit: float
    default: bool = False
    """A failure limit from ``max_fail_ratio`` (no rule of the endpoint's own)."""

    @property
    def scale(self) -> float:
        """How many times the limit."""
        return self.measured / self.limit if self.limit else math.inf


def latency_limits(slo: Limits, test_name: str, endpoint_class: str) -> dict[str, float]:
    return {measure: limit for measure, limit in slo.limits_for(test_name, endpoint_class).items()
            if measure != FAIL}


def endpoint_breaks(entry: EndpointStats, slo: Limits) -> list[Break]:
    """The limits this endpoint broke: its failure limit first, then its percentiles."""
    broken = []
    fail = endpoint_fail_limit(slo, entry.test_name, entry.endpoint_class)
    if fail is not None and fail.broken_by(entry.num_failures, entry.num_requests):
        broken.append(Break(FAIL, entry.fail_ratio, fail.ratio, not fail.explicit))
    if entry.hdr.count:
        for measure, limit in latency_limits(slo, entry.test_name, entry.endpoint_class).items():
            value = entry.hdr.percentile(measure)
            if value > limit:
                broken.append(Break(measure, value, limit))
    return broken
